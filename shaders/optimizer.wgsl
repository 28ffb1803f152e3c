// The optimizer step (src/kernels/optimizer/; spec src/kernels/optimizer/reference.ts):
//
//   gradientNormPartials (one dispatch per gradient tensor, compiled with WORKGROUP_SIZE 64 and
//   dispatched over few enough workgroups that each thread sums dozens of entries):
//       partial[first + w] = (sum of g^2 over this workgroup's finite entries, count of non-finite)
//   gradientNormFinish (one workgroup):
//       stats = [||g||_2, non-finite count, sum of squares, tensors, non-finite count per tensor...]
//   adamWStep (one dispatch per parameter tensor), skipped entirely when stats say non-finite:
//       c = min(1, maxNorm / (||g|| + 1e-6));  g' = c g
//       m = b1 m + (1 - b1) g';  v = b2 v + (1 - b2) g'^2     (1 - b rounded from f64, not f32)
//       p = p - lr (m / bc1 / (sqrt(v / bc2) + eps) + lambda p),   bc = 1 - b^t (from the CPU, in f64)
//
// Determinism: each partial is a fixed set of indices (grid stride over a fixed number of
// workgroups) summed per thread in index order, then a fixed tree; the finish pass sums the
// partials in the same fixed way. No atomics, so the same gradients give the same bits.
// Non-finite entries are recognised by their exponent bits (all ones), not by comparisons the
// compiler may fold away, and left out of the sum: the norm is that of the finite entries, and
// the count is what tells the step to skip. A sum of squares that overflows f32 (entries around
// 1e19) gives norm = Inf, which also skips the step.

struct NormPartial {
  sumOfSquares: f32,
  nonFinite: u32,
}

struct PartialParams {
  count: u32,          // entries of this gradient tensor
  firstPartial: u32,   // where this tensor's partials start
  groups: u32,         // workgroups dispatched for it (one partial each)
  _pad: u32,
}

struct FinishParams {
  partials: u32,       // total partials over all tensors
  tensors: u32,
  _pad0: u32,
  _pad1: u32,
}

struct AdamWParams {
  count: u32,
  applyDecay: u32,
  clip: u32,            // 0: maxNorm is Infinity (clipping off)
  _pad: u32,
  learningRate: f32,
  beta1: f32,
  beta2: f32,
  epsilon: f32,
  weightDecay: f32,
  maxNorm: f32,
  biasCorrection1: f32, // 1 - beta1^t
  biasCorrection2: f32, // 1 - beta2^t
  oneMinusBeta1: f32,   // from the CPU in f64: 1 - f32(0.999) is off by 1.3e-5 relative
  oneMinusBeta2: f32,
  _pad1: u32,
  _pad2: u32,
}

override WORKGROUP_SIZE: u32 = 256u;   // a power of two

@group(0) @binding(0) var<storage, read> partialGradient: array<u32>;   // [count] f32 bits
@group(0) @binding(1) var<storage, read_write> partialOut: array<NormPartial>;
@group(0) @binding(2) var<uniform> partialParams: PartialParams;

@group(0) @binding(0) var<storage, read> finishPartials: array<NormPartial>;
@group(0) @binding(1) var<storage, read> finishRanges: array<u32>;      // [tensors + 1] partial offsets
@group(0) @binding(2) var<storage, read_write> finishStats: array<u32>; // [4 + tensors]
@group(0) @binding(3) var<uniform> finishParams: FinishParams;

@group(0) @binding(0) var<storage, read_write> adamParameter: array<f32>;
@group(0) @binding(1) var<storage, read> adamGradient: array<f32>;
@group(0) @binding(2) var<storage, read_write> adamFirstMoment: array<f32>;
@group(0) @binding(3) var<storage, read_write> adamSecondMoment: array<f32>;
@group(0) @binding(4) var<storage, read> adamStats: array<u32>;
@group(0) @binding(5) var<uniform> adamParams: AdamWParams;

var<workgroup> sumScratch: array<f32, WORKGROUP_SIZE>;
var<workgroup> countScratch: array<u32, WORKGROUP_SIZE>;

const EXPONENT_BITS = 0x7f800000u;

fn isNonFinite(bits: u32) -> bool {
  return (bits & EXPONENT_BITS) == EXPONENT_BITS;
}

// Fixed-order tree over the workgroup; every thread gets the totals.
fn reducePair(sum: f32, count: u32, t: u32) -> NormPartial {
  sumScratch[t] = sum;
  countScratch[t] = count;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) {
      sumScratch[t] += sumScratch[t + stride];
      countScratch[t] += countScratch[t + stride];
    }
    workgroupBarrier();
  }
  let total = NormPartial(sumScratch[0], countScratch[0]);
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gradientNormPartials(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let t = lid.x;
  let stride = partialParams.groups * WORKGROUP_SIZE;
  var sum = 0.0;
  var nonFinite = 0u;
  for (var i = wid.x * WORKGROUP_SIZE + t; i < partialParams.count; i += stride) {
    let bits = partialGradient[i];
    if (isNonFinite(bits)) {
      nonFinite += 1u;
    } else {
      let g = bitcast<f32>(bits);
      sum += g * g;
    }
  }
  let total = reducePair(sum, nonFinite, t);
  if (t == 0u) { partialOut[partialParams.firstPartial + wid.x] = total; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gradientNormFinish(@builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  var sum = 0.0;
  var nonFinite = 0u;
  for (var i = t; i < finishParams.partials; i += WORKGROUP_SIZE) {
    sum += finishPartials[i].sumOfSquares;
    nonFinite += finishPartials[i].nonFinite;
  }
  let total = reducePair(sum, nonFinite, t);
  // Which tensors hold the non-finite entries, so the caller can name them.
  for (var j = t; j < finishParams.tensors; j += WORKGROUP_SIZE) {
    var count = 0u;
    for (var i = finishRanges[j]; i < finishRanges[j + 1u]; i++) { count += finishPartials[i].nonFinite; }
    finishStats[4u + j] = count;
  }
  if (t == 0u) {
    finishStats[0] = bitcast<u32>(sqrt(total.sumOfSquares));
    finishStats[1] = total.nonFinite;
    finishStats[2] = bitcast<u32>(total.sumOfSquares);
    finishStats[3] = finishParams.tensors;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adamWStep(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let normBits = adamStats[0];
  // A non-finite gradient anywhere (or an overflowed norm) leaves every tensor as it was.
  if (adamStats[1] != 0u || isNonFinite(normBits)) { return; }
  let norm = bitcast<f32>(normBits);
  var scale = 1.0;
  if (adamParams.clip != 0u) { scale = min(1.0, adamParams.maxNorm / (norm + 1e-6)); }
  let b1 = adamParams.beta1;
  let b2 = adamParams.beta2;
  let decay = select(0.0, adamParams.weightDecay, adamParams.applyDecay != 0u);
  let stride = groups.x * WORKGROUP_SIZE;
  for (var i = gid.x; i < adamParams.count; i += stride) {
    let g = scale * adamGradient[i];
    let m = b1 * adamFirstMoment[i] + adamParams.oneMinusBeta1 * g;
    let v = b2 * adamSecondMoment[i] + adamParams.oneMinusBeta2 * g * g;
    adamFirstMoment[i] = m;
    adamSecondMoment[i] = v;
    let mHat = m / adamParams.biasCorrection1;
    let vHat = v / adamParams.biasCorrection2;
    let p = adamParameter[i];
    adamParameter[i] = p - adamParams.learningRate * (mHat / (sqrt(vHat) + adamParams.epsilon) + decay * p);
  }
}
