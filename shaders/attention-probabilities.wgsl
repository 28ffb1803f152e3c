// Attention probabilities of one head for the attention viewer: probabilities[t * keys + j] =
// softmax_j(scale * q_t . k_j) over the keys query t may see, exactly 0 past its causal limit.
// A separate small dispatch that recomputes the scores of the chosen head (the tiled kernels never
// hold a whole row), so capture costs one more pass over K for one head, and nothing when off.
// One workgroup per query; the row itself is the scratch space: each thread rereads only the
// entries it wrote, so only the two reductions go through workgroup memory.
#include "attention-common.wgsl"

const WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<storage, read> query: array<f32>;
@group(0) @binding(1) var<storage, read> keyCache: array<f32>;
@group(0) @binding(2) var<storage, read_write> probabilities: array<f32>;
@group(0) @binding(3) var<uniform> params: AttentionParams;

var<workgroup> queryRow: array<f32, MAX_HEAD_DIM>;
var<workgroup> partial: array<f32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn captureProbabilities(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let p = params;
  let t = wid.x;
  let head = p.captureHead;
  let kvHead = head / p.groupSize;
  let base = t * p.keys;
  let limit = causalLimit(p, t);
  let q = queryIndex(p, t, head);
  for (var d = tid; d < p.headDim; d += WORKGROUP_SIZE) { queryRow[d] = query[q + d] * p.scale; }
  workgroupBarrier();

  var localMax = NO_SCORE;
  for (var j = tid; j <= limit; j += WORKGROUP_SIZE) {
    let k = cacheIndex(p, j, kvHead);
    var dot = 0.0;
    for (var d = 0u; d < p.headDim; d++) { dot += queryRow[d] * keyCache[k + d]; }
    probabilities[base + j] = dot;
    localMax = max(localMax, dot);
  }
  partial[tid] = localMax;
  workgroupBarrier();
  var rowMax = NO_SCORE;
  for (var g = 0u; g < WORKGROUP_SIZE; g++) { rowMax = max(rowMax, partial[g]); }
  workgroupBarrier();

  var localSum = 0.0;
  for (var j = tid; j <= limit; j += WORKGROUP_SIZE) {
    let e = exp(probabilities[base + j] - rowMax);
    probabilities[base + j] = e;
    localSum += e;
  }
  partial[tid] = localSum;
  workgroupBarrier();
  var total = 0.0;
  for (var g = 0u; g < WORKGROUP_SIZE; g++) { total += partial[g]; }
  let inverse = 1.0 / total;
  for (var j = tid; j < p.keys; j += WORKGROUP_SIZE) {
    probabilities[base + j] = select(0.0, probabilities[base + j] * inverse, j <= limit);
  }
}
