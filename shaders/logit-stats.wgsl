// Row statistics of logits, one workgroup per row (see src/kernels/logits/stats.ts):
//   max m, log-sum-exp m + log s with s = sum exp(l - m), entropy log s - t/s with
//   t = sum exp(l - m)(l - m), argmax (lowest index among ties), counts of finite and invalid
//   (NaN, +Inf) entries, and the top-10 (logit desc, then index asc). -Inf entries are
//   probability zero and take part in nothing. Output: SUMMARY_WORDS u32 words per row.
#include "float-keys.wgsl"

struct Params { rows: u32, vocab: u32, _pad0: u32, _pad1: u32 }

@group(0) @binding(0) var<storage, read> logits: array<u32>;   // [rows, vocab] f32 bits
@group(0) @binding(1) var<storage, read_write> summary: array<u32>;  // [rows, SUMMARY_WORDS]
@group(0) @binding(2) var<uniform> params: Params;

override WORKGROUP_SIZE: u32 = 256u;
const TOP: u32 = 10u;
const SUMMARY_WORDS: u32 = 32u;

var<workgroup> sharedMax: array<f32, WORKGROUP_SIZE>;
var<workgroup> sharedSum: array<f32, WORKGROUP_SIZE>;
var<workgroup> sharedTilt: array<f32, WORKGROUP_SIZE>;
var<workgroup> sharedCounts: array<vec2<u32>, WORKGROUP_SIZE>;
var<workgroup> topValues: array<f32, WORKGROUP_SIZE * TOP>;
var<workgroup> topIds: array<u32, WORKGROUP_SIZE * TOP>;

fn beats(value: f32, id: u32, otherValue: f32, otherId: u32) -> bool {
  return value > otherValue || (value == otherValue && id < otherId);
}

/** Merges the sorted top lists of threads `a` and `b` into `a`. */
fn mergeTop(a: u32, b: u32) {
  var values: array<f32, TOP>;
  var ids: array<u32, TOP>;
  var i = 0u;
  var j = 0u;
  for (var k = 0u; k < TOP; k++) {
    let va = topValues[a * TOP + i];
    let ia = topIds[a * TOP + i];
    let vb = topValues[b * TOP + j];
    let ib = topIds[b * TOP + j];
    // Empty slots carry id NO_TOKEN and lose every comparison against a real entry.
    let takeA = ib == NO_TOKEN || (ia != NO_TOKEN && beats(va, ia, vb, ib));
    if (takeA) { values[k] = va; ids[k] = ia; i++; } else { values[k] = vb; ids[k] = ib; j++; }
  }
  for (var k = 0u; k < TOP; k++) {
    topValues[a * TOP + k] = values[k];
    topIds[a * TOP + k] = ids[k];
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rowStats(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let row = wid.x;
  let t = lid.x;
  let vocab = params.vocab;
  let base = row * vocab;

  // Sweep 1: max, counts and this thread's top-10 (indices rise along a thread's stride, so
  // strict > keeps the lower index among ties).
  var localMax = bitcast<f32>(0xff7fffffu);
  var finite = 0u;
  var invalid = 0u;
  var values: array<f32, TOP>;
  var ids: array<u32, TOP>;
  for (var k = 0u; k < TOP; k++) { values[k] = bitcast<f32>(0xff7fffffu); ids[k] = NO_TOKEN; }
  for (var i = t; i < vocab; i += WORKGROUP_SIZE) {
    let bits = logits[base + i];
    if (isInvalidBits(bits)) { invalid++; continue; }
    if (isNegInfBits(bits)) { continue; }
    let x = bitcast<f32>(bits);
    finite++;
    localMax = max(localMax, x);
    if (ids[TOP - 1u] == NO_TOKEN || x > values[TOP - 1u]) {
      var slot = TOP - 1u;
      while (slot > 0u && (ids[slot - 1u] == NO_TOKEN || x > values[slot - 1u])) {
        values[slot] = values[slot - 1u];
        ids[slot] = ids[slot - 1u];
        slot--;
      }
      values[slot] = x;
      ids[slot] = i;
    }
  }
  sharedMax[t] = localMax;
  sharedCounts[t] = vec2<u32>(finite, invalid);
  for (var k = 0u; k < TOP; k++) {
    topValues[t * TOP + k] = values[k];
    topIds[t * TOP + k] = ids[k];
  }
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) {
      sharedMax[t] = max(sharedMax[t], sharedMax[t + stride]);
      sharedCounts[t] += sharedCounts[t + stride];
      mergeTop(t, t + stride);
    }
    workgroupBarrier();
  }
  let rowMax = sharedMax[0];
  let counts = sharedCounts[0];

  // Sweep 2: s and t relative to the row max.
  var sum = 0.0;
  var tilt = 0.0;
  for (var i = t; i < vocab; i += WORKGROUP_SIZE) {
    let bits = logits[base + i];
    if (!isFiniteBits(bits)) { continue; }
    let shifted = bitcast<f32>(bits) - rowMax;
    let e = exp(shifted);
    sum += e;
    tilt += e * shifted;
  }
  sharedSum[t] = sum;
  sharedTilt[t] = tilt;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) {
      sharedSum[t] += sharedSum[t + stride];
      sharedTilt[t] += sharedTilt[t + stride];
    }
    workgroupBarrier();
  }

  if (t == 0u) {
    let out = row * SUMMARY_WORDS;
    let s = sharedSum[0];
    if (counts.x == 0u) {
      summary[out + 0u] = NEG_INF_BITS;
      summary[out + 1u] = NEG_INF_BITS;
      summary[out + 2u] = 0u;
      summary[out + 3u] = NO_TOKEN;
      summary[out + 6u] = 0u;
    } else {
      summary[out + 0u] = bitcast<u32>(rowMax);
      summary[out + 1u] = bitcast<u32>(rowMax + log(s));
      summary[out + 2u] = bitcast<u32>(max(0.0, log(s) - sharedTilt[0] / s));
      summary[out + 3u] = topIds[0];
      summary[out + 6u] = bitcast<u32>(s);
    }
    summary[out + 4u] = counts.y;
    summary[out + 5u] = counts.x;
    summary[out + 7u] = 0u;
    for (var k = 0u; k < TOP; k++) {
      summary[out + 8u + k] = topIds[k];
      summary[out + 18u + k] = select(bitcast<u32>(topValues[k]), NEG_INF_BITS, topIds[k] == NO_TOKEN);
    }
    for (var k = 28u; k < SUMMARY_WORDS; k++) { summary[out + k] = 0u; }
  }
}

// log-softmax written out: out = l - lse (rows x vocab, 2D grid); -Inf stays -Inf.
struct ElementParams { rows: u32, vocab: u32, _pad0: u32, _pad1: u32 }
@group(0) @binding(0) var<storage, read> source: array<u32>;
@group(0) @binding(1) var<storage, read> sourceSummary: array<u32>;
@group(0) @binding(2) var<storage, read_write> destination: array<u32>;
@group(0) @binding(3) var<uniform> elementParams: ElementParams;

@compute @workgroup_size(WORKGROUP_SIZE)
fn logSoftmax(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.y;
  let i = gid.x;
  if (i >= elementParams.vocab || row >= elementParams.rows) { return; }
  let index = row * elementParams.vocab + i;
  let bits = source[index];
  if (!isFiniteBits(bits)) { destination[index] = bits; return; }
  let lse = bitcast<f32>(sourceSummary[row * SUMMARY_WORDS + 1u]);
  destination[index] = bitcast<u32>(bitcast<f32>(bits) - lse);
}
