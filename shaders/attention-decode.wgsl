// Decode attention for a few queries (1..16: one new token, or K + 1 speculative tokens) over a
// long cache, split along the key axis and merged exactly, in the style of flash-decoding (Dao,
// Haziza, Massa, Sizov, "Flash-Decoding for long-context inference", 2023), which applies the
// online softmax of FlashAttention (Dao et al., 2022) across key splits.
//
// decodeSplit: one workgroup per (split s, head h, query t) scores keys
//   [s * splitSize, min((s + 1) * splitSize, limit(t) + 1))   (limit(t) = its causal position)
// in chunks of CHUNK keys held in workgroup memory, with the online recurrence per chunk
//   m' = max(m, max_j s_j),  l' = exp(m - m') l + sum_j exp(s_j - m'),
//   a' = exp(m - m') a + sum_j exp(s_j - m') v_j,
// and writes the partial record (m_s, l_s, a_s[0 .. headDim)) of stride headDim + 2 at
//   partials[((t * numHeads + h) * splits + s) * (headDim + 2)].
// A split past the causal limit writes (NO_SCORE, 0, 0...), which the merge weighs by exactly 0.
//
// decodeMerge: one workgroup per (head, query) combines the partials exactly:
//   M = max_s m_s,  O = sum_s exp(m_s - M) a_s / sum_s exp(m_s - M) l_s.
// Split 0 always holds key 0, so M is a real score and the denominator is >= 1.
#include "attention-common.wgsl"

@group(0) @binding(0) var<storage, read> query: array<f32>;
@group(0) @binding(1) var<storage, read> keyCache: array<f32>;
@group(0) @binding(2) var<storage, read> valueCache: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;
@group(0) @binding(4) var<uniform> params: AttentionParams;

const WORKGROUP_SIZE: u32 = 32u;
const DIMS_PER_THREAD: u32 = MAX_HEAD_DIM / WORKGROUP_SIZE;

override CHUNK: u32 = 256u;

var<workgroup> queryRow: array<f32, MAX_HEAD_DIM>;
var<workgroup> chunkScores: array<f32, CHUNK>;
var<workgroup> threadMax: array<f32, WORKGROUP_SIZE>;
var<workgroup> threadSum: array<f32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn decodeSplit(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let p = params;
  let split = wid.x;
  let head = wid.y;
  let t = wid.z;
  let kvHead = head / p.groupSize;
  let headDim = p.headDim;
  let keyBegin = split * p.splitSize;
  let keyEnd = min(keyBegin + p.splitSize, causalLimit(p, t) + 1u);
  let positionStride = p.numKvHeads * headDim;

  let q = queryIndex(p, t, head);
  for (var d = tid; d < headDim; d += WORKGROUP_SIZE) { queryRow[d] = query[q + d] * p.scale; }

  var m = NO_SCORE;
  var l = 0.0;
  var acc: array<f32, DIMS_PER_THREAD>;
  for (var chunkStart = keyBegin; chunkStart < keyEnd; chunkStart += CHUNK) {
    let n = min(CHUNK, keyEnd - chunkStart);
    workgroupBarrier();  // the previous chunk is consumed (first pass: the query row is written)
    var localMax = NO_SCORE;
    var k = cacheIndex(p, chunkStart + tid, kvHead);
    for (var j = tid; j < n; j += WORKGROUP_SIZE) {
      var dot = 0.0;
      for (var d = 0u; d < headDim; d++) { dot += queryRow[d] * keyCache[k + d]; }
      chunkScores[j] = dot;
      localMax = max(localMax, dot);
      k += WORKGROUP_SIZE * positionStride;
    }
    threadMax[tid] = localMax;
    workgroupBarrier();

    var chunkMax = NO_SCORE;
    for (var g = 0u; g < WORKGROUP_SIZE; g++) { chunkMax = max(chunkMax, threadMax[g]); }
    let mNew = max(m, chunkMax);
    // Each exp once, by the thread that wrote the score.
    var localSum = 0.0;
    for (var j = tid; j < n; j += WORKGROUP_SIZE) {
      let weight = exp(chunkScores[j] - mNew);
      chunkScores[j] = weight;
      localSum += weight;
    }
    threadSum[tid] = localSum;
    workgroupBarrier();

    var chunkSum = 0.0;
    for (var g = 0u; g < WORKGROUP_SIZE; g++) { chunkSum += threadSum[g]; }
    let alpha = exp(m - mNew);
    l = l * alpha + chunkSum;
    for (var i = 0u; i < DIMS_PER_THREAD; i++) {
      let d = tid + i * WORKGROUP_SIZE;
      if (d < headDim) {
        var a = acc[i] * alpha;
        var v = cacheIndex(p, chunkStart, kvHead) + d;
        for (var j = 0u; j < n; j++) {
          a += chunkScores[j] * valueCache[v];
          v += positionStride;
        }
        acc[i] = a;
      }
    }
    m = mNew;
  }

  let record = ((t * p.numHeads + head) * p.splits + split) * (headDim + 2u);
  if (tid == 0u) {
    partials[record] = m;
    partials[record + 1u] = l;
  }
  for (var i = 0u; i < DIMS_PER_THREAD; i++) {
    let d = tid + i * WORKGROUP_SIZE;
    if (d < headDim) { partials[record + 2u + d] = acc[i]; }
  }
}

@group(0) @binding(0) var<storage, read> mergeInput: array<f32>;
@group(0) @binding(1) var<storage, read_write> mergeOutput: array<f32>;
@group(0) @binding(2) var<uniform> mergeParams: AttentionParams;

@compute @workgroup_size(WORKGROUP_SIZE)
fn decodeMerge(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let p = mergeParams;
  let head = wid.x;
  let t = wid.y;
  let stride = p.headDim + 2u;
  let first = (t * p.numHeads + head) * p.splits * stride;
  var mMax = NO_SCORE;
  for (var s = 0u; s < p.splits; s++) { mMax = max(mMax, mergeInput[first + s * stride]); }
  var total = 0.0;
  for (var s = 0u; s < p.splits; s++) {
    let at = first + s * stride;
    total += exp(mergeInput[at] - mMax) * mergeInput[at + 1u];
  }
  let inverse = 1.0 / total;
  let out = outputIndex(p, t, head);
  for (var d = tid; d < p.headDim; d += WORKGROUP_SIZE) {
    var o = 0.0;
    for (var s = 0u; s < p.splits; s++) {
      let at = first + s * stride;
      o += exp(mergeInput[at] - mMax) * mergeInput[at + 2u + d];
    }
    mergeOutput[out + d] = o * inverse;
  }
}
