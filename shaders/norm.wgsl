// LayerNorm and RMSNorm, one workgroup per row, optionally fused with the residual add before
// them (src/kernels/norm/norm.ts; spec src/kernels/norm/reference.ts):
//
//   if addDelta: residual[r, i] = residual[r, i] + delta[r, i]   (written back: the new stream)
//   x = residual[r, :]    (the input when addDelta is off)
//   layerNorm: out = (x - mean) / sqrt(var + eps) * gamma + beta,   var biased (divide by d)
//   rmsNorm:   out = x / sqrt(mean(x^2) + eps) * gamma
//
// Numerics. Sweep 1 finds max|x|; every later sweep works on x' = x * 2^-e with 2^e the smallest
// power of two >= max|x| (only scaling down, e >= 0), which is exact, so x^2 and sums cannot
// overflow for any finite row (1e20, 3e38) and eps scales to eps * 2^-2e. LayerNorm's mean is
// taken of x' - x'[0] (shifted data: a constant row has mean exactly x'[0], variance exactly 0,
// output exactly beta; a row 1e4 + N(0,1) keeps full precision) and its variance two-pass from
// the mean, never E[x^2] - E[x]^2.
// Sums: thread t visits i = t, t + WG, t + 2 WG, ... and adds each term to lane (i / WG) % 8 of
// its eight partials, folds them as a pairwise tree, then a tree over the workgroup: a fixed order
// for a given (d, WG), so deterministic, and each term goes through at most
// ceil(d / 8 WG) + 3 + log2 WG roundings (relative to the sum of |terms|), as in an 8 WG-wide tree.
// WG is chosen per row length by the host (normWorkgroupSize in src/kernels/norm/norm.ts): small
// rows get small workgroups, whose barriers cost far less on software adapters, and the lanes keep
// the rounding depth within ceil(d / 256) + 8, that of one partial per thread and 256 threads.
// Each thread revisits only its own indices, so reading the written-back residual needs no
// barrier beyond program order.

struct NormParams {
  rows: u32,
  dim: u32,
  addDelta: u32,
  _pad0: u32,
  eps: f32,
  _pad1: u32,
  _pad2: u32,
  _pad3: u32,
}

override WORKGROUP_SIZE: u32 = 256u;   // a power of two, 32..256

@group(0) @binding(0) var<storage, read_write> normRows: array<f32>;   // [rows, dim]: x, or the residual
@group(0) @binding(1) var<storage, read> normDelta: array<f32>;        // [rows, dim]; a dummy without addDelta
@group(0) @binding(2) var<storage, read> normGamma: array<f32>;        // [dim]
@group(0) @binding(3) var<storage, read> layerBeta: array<f32>;        // [dim] (layerNorm)
@group(0) @binding(4) var<storage, read_write> layerOut: array<f32>;   // [rows, dim] (layerNorm)
@group(0) @binding(5) var<uniform> layerParams: NormParams;
@group(0) @binding(3) var<storage, read_write> rmsOut: array<f32>;     // [rows, dim] (rmsNorm)
@group(0) @binding(4) var<uniform> rmsParams: NormParams;

var<workgroup> scratch: array<f32, WORKGROUP_SIZE>;
var<workgroup> firstOfRow: f32;   // x[0], LayerNorm's shift, shared by thread 0 (which owns i = 0)

fn reduceSum(value: f32, t: u32) -> f32 {
  scratch[t] = value;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { scratch[t] += scratch[t + stride]; }
    workgroupBarrier();
  }
  let total = scratch[0];
  workgroupBarrier();   // scratch is reused by the next reduction
  return total;
}

// A thread's partial sums, one per lane (see the header).
alias Lanes = array<f32, 8>;

fn laneOf(i: u32) -> u32 {
  return (i / WORKGROUP_SIZE) & 7u;
}

fn foldLanes(l: Lanes) -> f32 {
  return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

fn reduceLanes(lanes: Lanes, t: u32) -> f32 {
  return reduceSum(foldLanes(lanes), t);
}

fn reduceMax(value: f32, t: u32) -> f32 {
  scratch[t] = value;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { scratch[t] = max(scratch[t], scratch[t + stride]); }
    workgroupBarrier();
  }
  let total = scratch[0];
  workgroupBarrier();
  return total;
}

// Sweep 1: x = rows (+ delta, written back), and this thread's max |x|.
fn sweepInput(base: u32, dim: u32, addDelta: bool, t: u32) -> f32 {
  var largest = 0.0;
  for (var i = t; i < dim; i += WORKGROUP_SIZE) {
    var x = normRows[base + i];
    if (addDelta) {
      x += normDelta[base + i];
      normRows[base + i] = x;
    }
    if (i == 0u) { firstOfRow = x; }
    largest = max(largest, abs(x));
  }
  return largest;
}

// e >= 0 with 2^e >= max|x|: x' = ldexp(x, -e) is exact and in [-1, 1]. (The factor 2^-e itself
// is not formed: for e = 128 it would be subnormal, which GPUs flush to zero.)
fn downExponent(maxAbs: f32) -> i32 {
  return -max(frexp(maxAbs).exp, 0);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn layerNorm(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let t = lid.x;
  let dim = layerParams.dim;
  let base = wid.x * dim;
  let e = downExponent(reduceMax(sweepInput(base, dim, layerParams.addDelta != 0u, t), t));
  // The mean is kept as shift + meanOffset and x' - mean is evaluated as (x' - shift) - meanOffset:
  // x' - shift is exact for x near x[0], so rows like 1e4 + N(0, 1) keep their full precision
  // (a single f32 mean of such a row is off by up to ulp(1e4) / 2 = 5e-4 standard deviations).
  let shift = ldexp(firstOfRow, e);   // written by thread 0 before reduceMax's barriers
  var partial = Lanes();
  for (var i = t; i < dim; i += WORKGROUP_SIZE) {
    partial[laneOf(i)] += ldexp(normRows[base + i], e) - shift;
  }
  let meanOffset = reduceLanes(partial, t) / f32(dim);
  var squares = Lanes();
  for (var i = t; i < dim; i += WORKGROUP_SIZE) {
    let centered = (ldexp(normRows[base + i], e) - shift) - meanOffset;
    squares[laneOf(i)] += centered * centered;
  }
  let variance = reduceLanes(squares, t) / f32(dim);
  // max(.., MIN_NORMAL): when eps * 2^2e underflows and the row is constant (variance 0),
  // 0 * inverseSqrt(0) would be NaN; the true output there is beta.
  let inverse = inverseSqrt(max(variance + ldexp(layerParams.eps, 2 * e), 1.17549435e-38));
  for (var i = t; i < dim; i += WORKGROUP_SIZE) {
    let normalized = ((ldexp(normRows[base + i], e) - shift) - meanOffset) * inverse;
    layerOut[base + i] = normalized * normGamma[i] + layerBeta[i];
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rmsNorm(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let t = lid.x;
  let dim = rmsParams.dim;
  let base = wid.x * dim;
  let e = downExponent(reduceMax(sweepInput(base, dim, rmsParams.addDelta != 0u, t), t));
  var squares = Lanes();
  for (var i = t; i < dim; i += WORKGROUP_SIZE) {
    let x = ldexp(normRows[base + i], e);
    squares[laneOf(i)] += x * x;
  }
  let meanSquare = reduceLanes(squares, t) / f32(dim);
  // An all-zero row has e = 0 and meanSquare 0: the eps term keeps inverseSqrt finite.
  let inverse = inverseSqrt(max(meanSquare + ldexp(rmsParams.eps, 2 * e), 1.17549435e-38));
  for (var i = t; i < dim; i += WORKGROUP_SIZE) {
    rmsOut[base + i] = ldexp(normRows[base + i], e) * inverse * normGamma[i];
  }
}
