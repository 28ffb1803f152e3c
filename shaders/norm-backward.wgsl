// Backward of LayerNorm and RMSNorm (src/kernels/norm-backward/; spec
// src/kernels/norm-backward/reference.ts). Two dispatches, both deterministic:
//
//   rows pass (one workgroup per row r), g = dY * gamma, x^ the forward's normalized row:
//     layerNormBackwardRows: dX = (1/sigma) (g - mean(g) - x^ mean(g x^)),  sigma = sqrt(var + eps)
//     rmsNormBackwardRows:   dX = (1/rms)   (g - x^ mean(g x^)),            rms = sqrt(mean(x^2) + eps)
//     (dX += ... when accumulateInput), and the row's statistics for the columns pass.
//   columns pass (one invocation per column d, rows summed in row order 0..rows-1):
//     dGamma[d] (+)= sum_r dY[r, d] x^[r, d];  dBeta[d] (+)= sum_r dY[r, d]   (LayerNorm only)
//
// Rows pass workgroup: WORKGROUP_SIZE of norm.wgsl (its reductions are sized by it), chosen by the
// host with the forward's rule (normWorkgroupSize), so for the same d both run the same sums.
// Numerics follow shaders/norm.wgsl exactly (same power-of-two scaling x' = x 2^-e, same shifted
// two-pass mean and variance, same eight-lane sums), so x^ here is the forward's x^ bit for bit.
// sum(g) and sum(g x^) share one tree (reduceSumPair: each component in reduceSum's order, one set
// of barriers). In scaled units 1/sigma = inverse' 2^-e, applied with ldexp at the end (may
// underflow: the true value is tiny).
// Row statistics, 4 f32 per row: (f32(e), shift x[0] (LayerNorm), meanOffset', inverse').

#include "norm.wgsl"

struct NormBackwardParams {
  rows: u32,
  dim: u32,
  accumulateInput: u32,        // dX += instead of dX =
  accumulateParameters: u32,   // dGamma, dBeta += instead of =
  eps: f32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

override COLUMN_WORKGROUP: u32 = 64u;

@group(0) @binding(0) var<storage, read> backwardGradOut: array<f32>;         // dY [rows, dim]
@group(0) @binding(1) var<storage, read> backwardInput: array<f32>;           // x [rows, dim]
@group(0) @binding(2) var<storage, read> backwardGamma: array<f32>;           // [dim] (rows pass)
@group(0) @binding(3) var<storage, read_write> backwardGradInput: array<f32>; // dX [rows, dim]
@group(0) @binding(4) var<storage, read_write> backwardStats: array<vec4<f32>>;   // [rows]
@group(0) @binding(5) var<uniform> backwardParams: NormBackwardParams;

// Columns pass: binding 2 is the statistics (read), 3 dGamma, 4 dBeta (LayerNorm) or params (RMS).
@group(0) @binding(2) var<storage, read> columnStats: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> columnGradGamma: array<f32>;
@group(0) @binding(4) var<storage, read_write> columnGradBeta: array<f32>;
@group(0) @binding(5) var<uniform> layerColumnParams: NormBackwardParams;
@group(0) @binding(4) var<uniform> rmsColumnParams: NormBackwardParams;

var<workgroup> pairScratch: array<vec2<f32>, WORKGROUP_SIZE>;

// reduceSum of two values at once: one set of barriers, each component summed in the same order.
fn reduceSumPair(value: vec2<f32>, t: u32) -> vec2<f32> {
  pairScratch[t] = value;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { pairScratch[t] += pairScratch[t + stride]; }
    workgroupBarrier();
  }
  let total = pairScratch[0];
  workgroupBarrier();
  return total;
}

// Sweep 1 of the forward without the residual add: this thread's max |x|, and x[0] for thread 0.
fn backwardSweepInput(base: u32, dim: u32, t: u32) -> f32 {
  var largest = 0.0;
  for (var i = t; i < dim; i += WORKGROUP_SIZE) {
    let x = backwardInput[base + i];
    if (i == 0u) { firstOfRow = x; }
    largest = max(largest, abs(x));
  }
  return largest;
}

fn writeGradInput(index: u32, value: f32) {
  if (backwardParams.accumulateInput != 0u) {
    backwardGradInput[index] = backwardGradInput[index] + value;
  } else {
    backwardGradInput[index] = value;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn layerNormBackwardRows(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let t = lid.x;
  let dim = backwardParams.dim;
  let base = wid.x * dim;
  let e = downExponent(reduceMax(backwardSweepInput(base, dim, t), t));
  let shift = ldexp(firstOfRow, e);
  var partial = Lanes();
  for (var i = t; i < dim; i += WORKGROUP_SIZE) {
    partial[laneOf(i)] += ldexp(backwardInput[base + i], e) - shift;
  }
  let meanOffset = reduceLanes(partial, t) / f32(dim);
  var squares = Lanes();
  for (var i = t; i < dim; i += WORKGROUP_SIZE) {
    let centered = (ldexp(backwardInput[base + i], e) - shift) - meanOffset;
    squares[laneOf(i)] += centered * centered;
  }
  let variance = reduceLanes(squares, t) / f32(dim);
  let inverse = inverseSqrt(max(variance + ldexp(backwardParams.eps, 2 * e), 1.17549435e-38));
  var gradSum = Lanes();
  var gradDot = Lanes();
  for (var i = t; i < dim; i += WORKGROUP_SIZE) {
    let normalized = ((ldexp(backwardInput[base + i], e) - shift) - meanOffset) * inverse;
    let g = backwardGradOut[base + i] * backwardGamma[i];
    let lane = laneOf(i);
    gradSum[lane] += g;
    gradDot[lane] += g * normalized;
  }
  let means = reduceSumPair(vec2<f32>(foldLanes(gradSum), foldLanes(gradDot)), t) / f32(dim);
  let meanGrad = means.x;
  let meanGradDot = means.y;
  for (var i = t; i < dim; i += WORKGROUP_SIZE) {
    let normalized = ((ldexp(backwardInput[base + i], e) - shift) - meanOffset) * inverse;
    let g = backwardGradOut[base + i] * backwardGamma[i];
    writeGradInput(base + i, ldexp((g - meanGrad - normalized * meanGradDot) * inverse, e));
  }
  if (t == 0u) { backwardStats[wid.x] = vec4<f32>(f32(e), firstOfRow, meanOffset, inverse); }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rmsNormBackwardRows(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let t = lid.x;
  let dim = backwardParams.dim;
  let base = wid.x * dim;
  let e = downExponent(reduceMax(backwardSweepInput(base, dim, t), t));
  var squares = Lanes();
  for (var i = t; i < dim; i += WORKGROUP_SIZE) {
    let x = ldexp(backwardInput[base + i], e);
    squares[laneOf(i)] += x * x;
  }
  let meanSquare = reduceLanes(squares, t) / f32(dim);
  let inverse = inverseSqrt(max(meanSquare + ldexp(backwardParams.eps, 2 * e), 1.17549435e-38));
  var gradDot = Lanes();
  for (var i = t; i < dim; i += WORKGROUP_SIZE) {
    let normalized = ldexp(backwardInput[base + i], e) * inverse;
    gradDot[laneOf(i)] += backwardGradOut[base + i] * backwardGamma[i] * normalized;
  }
  let meanGradDot = reduceLanes(gradDot, t) / f32(dim);
  for (var i = t; i < dim; i += WORKGROUP_SIZE) {
    let normalized = ldexp(backwardInput[base + i], e) * inverse;
    let g = backwardGradOut[base + i] * backwardGamma[i];
    writeGradInput(base + i, ldexp((g - normalized * meanGradDot) * inverse, e));
  }
  if (t == 0u) { backwardStats[wid.x] = vec4<f32>(f32(e), 0.0, 0.0, inverse); }
}

@compute @workgroup_size(COLUMN_WORKGROUP)
fn layerNormBackwardColumns(@builtin(global_invocation_id) gid: vec3<u32>) {
  let p = layerColumnParams;
  let d = gid.x;
  if (d >= p.dim) { return; }
  var gradGamma = 0.0;
  var gradBeta = 0.0;
  for (var r = 0u; r < p.rows; r++) {
    let s = columnStats[r];
    let e = i32(s.x);
    let normalized = ((ldexp(backwardInput[r * p.dim + d], e) - ldexp(s.y, e)) - s.z) * s.w;
    let dy = backwardGradOut[r * p.dim + d];
    gradGamma += dy * normalized;
    gradBeta += dy;
  }
  if (p.accumulateParameters != 0u) {
    gradGamma += columnGradGamma[d];
    gradBeta += columnGradBeta[d];
  }
  columnGradGamma[d] = gradGamma;
  columnGradBeta[d] = gradBeta;
}

@compute @workgroup_size(COLUMN_WORKGROUP)
fn rmsNormBackwardColumns(@builtin(global_invocation_id) gid: vec3<u32>) {
  let p = rmsColumnParams;
  let d = gid.x;
  if (d >= p.dim) { return; }
  var gradGamma = 0.0;
  for (var r = 0u; r < p.rows; r++) {
    let s = columnStats[r];
    let normalized = ldexp(backwardInput[r * p.dim + d], i32(s.x)) * s.w;
    gradGamma += backwardGradOut[r * p.dim + d] * normalized;
  }
  if (p.accumulateParameters != 0u) { gradGamma += columnGradGamma[d]; }
  columnGradGamma[d] = gradGamma;
}
