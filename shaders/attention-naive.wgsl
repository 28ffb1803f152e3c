// Straightforward attention: the full score matrix in a storage buffer, then one softmax per row,
// then P V. The benchmark baseline for the tiled kernels and a second GPU cross-check of them
// (src/kernels/attention/naive.ts). Same layouts and causal/GQA rules as attention-common.wgsl;
// scores are [numHeads, queries, keys] f32 at scores[(h * queries + t) * keys + j].
// Three dispatches in one pass: naiveScores, naiveSoftmax (in place: scores become
// probabilities), naiveOutput. Masked keys are never scored (NO_SCORE, probability exactly 0) and
// P V stops at the causal limit, so the baseline does the same arithmetic as the tiled kernels and
// a ratio measures tiling, not skipped work.
#include "attention-common.wgsl"

const WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<storage, read> query: array<f32>;
@group(0) @binding(1) var<storage, read> keyCache: array<f32>;
@group(0) @binding(2) var<storage, read_write> scores: array<f32>;
@group(0) @binding(3) var<uniform> params: AttentionParams;

fn scoreRow(p: AttentionParams, t: u32, head: u32) -> u32 {
  return (head * p.queries + t) * p.keys;
}

// Grid (ceil(keys / 64), queries, numHeads): one thread per score.
@compute @workgroup_size(WORKGROUP_SIZE)
fn naiveScores(@builtin(global_invocation_id) gid: vec3<u32>) {
  let p = params;
  let j = gid.x;
  let t = gid.y;
  let head = gid.z;
  if (j >= p.keys) { return; }
  var s = NO_SCORE;
  if (j <= causalLimit(p, t)) {
    let q = queryIndex(p, t, head);
    let k = cacheIndex(p, j, head / p.groupSize);
    var dot = 0.0;
    for (var d = 0u; d < p.headDim; d++) { dot += query[q + d] * keyCache[k + d]; }
    s = dot * p.scale;
  }
  scores[scoreRow(p, t, head) + j] = s;
}

@group(0) @binding(0) var<storage, read_write> softmaxRows: array<f32>;
@group(0) @binding(1) var<uniform> softmaxParams: AttentionParams;

var<workgroup> partial: array<f32, WORKGROUP_SIZE>;

// Grid (queries, numHeads): one workgroup per row. Each thread rereads only what it wrote.
@compute @workgroup_size(WORKGROUP_SIZE)
fn naiveSoftmax(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let p = softmaxParams;
  let base = scoreRow(p, wid.x, wid.y);
  var localMax = NO_SCORE;
  for (var j = tid; j < p.keys; j += WORKGROUP_SIZE) { localMax = max(localMax, softmaxRows[base + j]); }
  partial[tid] = localMax;
  workgroupBarrier();
  var rowMax = NO_SCORE;
  for (var g = 0u; g < WORKGROUP_SIZE; g++) { rowMax = max(rowMax, partial[g]); }
  workgroupBarrier();
  var localSum = 0.0;
  for (var j = tid; j < p.keys; j += WORKGROUP_SIZE) {
    let e = exp(softmaxRows[base + j] - rowMax);
    softmaxRows[base + j] = e;
    localSum += e;
  }
  partial[tid] = localSum;
  workgroupBarrier();
  var total = 0.0;
  for (var g = 0u; g < WORKGROUP_SIZE; g++) { total += partial[g]; }
  let inverse = 1.0 / total;
  for (var j = tid; j < p.keys; j += WORKGROUP_SIZE) { softmaxRows[base + j] *= inverse; }
}

@group(0) @binding(0) var<storage, read> probabilities: array<f32>;
@group(0) @binding(1) var<storage, read> valueCache: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;
@group(0) @binding(3) var<uniform> outputParams: AttentionParams;

// Grid (ceil(headDim / 64), queries, numHeads): one thread per output element.
@compute @workgroup_size(WORKGROUP_SIZE)
fn naiveOutput(@builtin(global_invocation_id) gid: vec3<u32>) {
  let p = outputParams;
  let d = gid.x;
  let t = gid.y;
  let head = gid.z;
  if (d >= p.headDim) { return; }
  let base = scoreRow(p, t, head);
  let kvHead = head / p.groupSize;
  var o = 0.0;
  for (var j = 0u; j <= causalLimit(p, t); j++) {
    o += probabilities[base + j] * valueCache[cacheIndex(p, j, kvHead) + d];
  }
  output[outputIndex(p, t, head) + d] = o;
}
