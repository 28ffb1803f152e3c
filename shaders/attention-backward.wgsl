// Causal attention backward with grouped-query heads for a batch of B whole sequences of T tokens
// (src/kernels/attention-backward/; spec src/kernels/attention-backward/reference.ts).
// Q, dO, dQ [B, T, H, D]; K, V, dK, dV [B, T, Hkv, D]; head h reads kv head h / (H / Hkv);
// workgroup_id.z is the sequence, and sequences never see each other.
//
//   P  = softmax(Q K^T * scale + causal mask)        recomputed here, never stored ([T, T] per head)
//   dV = P^T dO        dP = dO V^T
//   dS = P * (dP - delta),  delta_i = rowsum(dO * O)_i = sum_j P_ij dP_ij   (so O is not needed)
//   dQ = dS K * scale  dK = dS^T Q * scale          (dK, dV summed over the heads of a kv group)
//
// Two passes, as FlashAttention-2's backward (Dao, 2023) without its tiling of Q:
//   attentionBackwardQuery, one workgroup per (query i, head h, sequence): lse_i, delta_i (saved to rowStats,
//     [T, H, 2]) and dQ_i, summing over keys in chunks of WORKGROUP_SIZE through workgroup memory;
//   attentionBackwardKeyValue, one workgroup per (key j, kv head, sequence): dK_j and dV_j, recomputing
//     P_ij = exp(s_ij - lse_i) and dS_ij from rowStats, heads of the group in order, queries ascending.
// Every sum has a fixed order (no atomics): the same inputs give the same bits.

struct BackwardParams {
  tokens: u32,
  heads: u32,
  kvHeads: u32,
  headDim: u32,
  groupSize: u32,
  scale: f32,
  _pad0: u32,
  _pad1: u32,
}

override WORKGROUP_SIZE: u32 = 64u;   // a power of two
const MAX_HEAD_DIM = 128u;
const LOWEST = -0x1.fffffep+127f;   // the most negative f32; scores are finite

@group(0) @binding(0) var<storage, read> queryIn: array<f32>;
@group(0) @binding(1) var<storage, read> keyIn: array<f32>;
@group(0) @binding(2) var<storage, read> valueIn: array<f32>;
@group(0) @binding(3) var<storage, read> outputGrad: array<f32>;
@group(0) @binding(4) var<storage, read_write> queryGrad: array<f32>;
@group(0) @binding(5) var<storage, read_write> rowStatsOut: array<f32>;
@group(0) @binding(6) var<uniform> queryParams: BackwardParams;

@group(0) @binding(4) var<storage, read> rowStatsIn: array<f32>;
@group(0) @binding(5) var<storage, read_write> keyGrad: array<f32>;
@group(0) @binding(6) var<storage, read_write> valueGrad: array<f32>;
@group(0) @binding(7) var<uniform> keyValueParams: BackwardParams;

var<workgroup> rowA: array<f32, MAX_HEAD_DIM>;      // q_i (query pass) or k_j (key/value pass)
var<workgroup> rowB: array<f32, MAX_HEAD_DIM>;      // dO_i or v_j
var<workgroup> accumulatorA: array<f32, MAX_HEAD_DIM>;   // entry d owned by thread d % WORKGROUP_SIZE
var<workgroup> accumulatorB: array<f32, MAX_HEAD_DIM>;
var<workgroup> tileA: array<f32, WORKGROUP_SIZE>;
var<workgroup> tileB: array<f32, WORKGROUP_SIZE>;
var<workgroup> scratch: array<f32, WORKGROUP_SIZE>;

fn reduceSum(value: f32, t: u32) -> f32 {
  scratch[t] = value;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { scratch[t] += scratch[t + stride]; }
    workgroupBarrier();
  }
  let total = scratch[0];
  workgroupBarrier();
  return total;
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

// rowA . keyIn[base ..], rowB . valueIn[base ..]
fn dotKey(base: u32, dim: u32) -> f32 {
  var sum = 0.0;
  for (var d = 0u; d < dim; d++) { sum += rowA[d] * keyIn[base + d]; }
  return sum;
}

fn dotValue(base: u32, dim: u32) -> f32 {
  var sum = 0.0;
  for (var d = 0u; d < dim; d++) { sum += rowB[d] * valueIn[base + d]; }
  return sum;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn attentionBackwardQuery(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let p = queryParams;
  let t = lid.x;
  let i = wid.x;
  let h = wid.y;
  let dim = p.headDim;
  let kvHead = h / p.groupSize;
  let sequenceRow = wid.z * p.tokens;   // the sequence's first token row in the batch
  let rowBase = ((sequenceRow + i) * p.heads + h) * dim;
  for (var d = t; d < dim; d += WORKGROUP_SIZE) {
    rowA[d] = queryIn[rowBase + d];
    rowB[d] = outputGrad[rowBase + d];
    accumulatorA[d] = 0.0;
  }
  workgroupBarrier();
  let kvStride = p.kvHeads * dim;
  let kvBase = sequenceRow * kvStride + kvHead * dim;

  var largest = LOWEST;
  for (var j = t; j <= i; j += WORKGROUP_SIZE) { largest = max(largest, dotKey(j * kvStride + kvBase, dim) * p.scale); }
  let rowMax = reduceMax(largest, t);
  var sum = 0.0;
  for (var j = t; j <= i; j += WORKGROUP_SIZE) { sum += exp(dotKey(j * kvStride + kvBase, dim) * p.scale - rowMax); }
  let lse = rowMax + log(reduceSum(sum, t));
  var weighted = 0.0;
  for (var j = t; j <= i; j += WORKGROUP_SIZE) {
    let base = j * kvStride + kvBase;
    weighted += exp(dotKey(base, dim) * p.scale - lse) * dotValue(base, dim);
  }
  let delta = reduceSum(weighted, t);

  for (var chunk = 0u; chunk <= i; chunk += WORKGROUP_SIZE) {
    let j = chunk + t;
    var ds = 0.0;
    if (j <= i) {
      let base = j * kvStride + kvBase;
      ds = exp(dotKey(base, dim) * p.scale - lse) * (dotValue(base, dim) - delta);
    }
    tileA[t] = ds;
    workgroupBarrier();
    let count = min(WORKGROUP_SIZE, i + 1u - chunk);
    for (var d = t; d < dim; d += WORKGROUP_SIZE) {
      var acc = accumulatorA[d];
      for (var u = 0u; u < count; u++) { acc += tileA[u] * keyIn[(chunk + u) * kvStride + kvBase + d]; }
      accumulatorA[d] = acc;
    }
    workgroupBarrier();
  }
  for (var d = t; d < dim; d += WORKGROUP_SIZE) { queryGrad[rowBase + d] = accumulatorA[d] * p.scale; }
  if (t == 0u) {
    rowStatsOut[((sequenceRow + i) * p.heads + h) * 2u] = lse;
    rowStatsOut[((sequenceRow + i) * p.heads + h) * 2u + 1u] = delta;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn attentionBackwardKeyValue(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let p = keyValueParams;
  let t = lid.x;
  let j = wid.x;
  let kvHead = wid.y;
  let dim = p.headDim;
  let sequenceRow = wid.z * p.tokens;
  let kvRow = ((sequenceRow + j) * p.kvHeads + kvHead) * dim;
  for (var d = t; d < dim; d += WORKGROUP_SIZE) {
    rowA[d] = keyIn[kvRow + d];
    rowB[d] = valueIn[kvRow + d];
    accumulatorA[d] = 0.0;
    accumulatorB[d] = 0.0;
  }
  workgroupBarrier();
  let rowStride = p.heads * dim;
  for (var g = 0u; g < p.groupSize; g++) {
    let h = kvHead * p.groupSize + g;
    for (var chunk = j; chunk < p.tokens; chunk += WORKGROUP_SIZE) {
      let i = chunk + t;
      var probability = 0.0;
      var ds = 0.0;
      if (i < p.tokens) {
        let base = (sequenceRow + i) * rowStride + h * dim;
        var score = 0.0;
        var dp = 0.0;
        for (var d = 0u; d < dim; d++) {
          score += queryIn[base + d] * rowA[d];
          dp += outputGrad[base + d] * rowB[d];
        }
        let stats = ((sequenceRow + i) * p.heads + h) * 2u;
        probability = exp(score * p.scale - rowStatsIn[stats]);
        ds = probability * (dp - rowStatsIn[stats + 1u]);
      }
      tileA[t] = probability;
      tileB[t] = ds;
      workgroupBarrier();
      let count = min(WORKGROUP_SIZE, p.tokens - chunk);
      for (var d = t; d < dim; d += WORKGROUP_SIZE) {
        var dv = accumulatorB[d];
        var dk = accumulatorA[d];
        for (var u = 0u; u < count; u++) {
          let index = (sequenceRow + chunk + u) * rowStride + h * dim + d;
          dv += tileA[u] * outputGrad[index];
          dk += tileB[u] * queryIn[index];
        }
        accumulatorB[d] = dv;
        accumulatorA[d] = dk;
      }
      workgroupBarrier();
    }
  }
  for (var d = t; d < dim; d += WORKGROUP_SIZE) {
    keyGrad[kvRow + d] = accumulatorA[d] * p.scale;
    valueGrad[kvRow + d] = accumulatorB[d];
  }
}
