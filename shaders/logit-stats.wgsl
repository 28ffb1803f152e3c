// Row statistics of logits, one workgroup per row (see src/kernels/logits/stats.ts):
//   max m, log-sum-exp m + log s with s = sum exp(l - m), entropy log s - t/s with
//   t = sum exp(l - m)(l - m), argmax (lowest index among ties), counts of finite and invalid
//   (NaN, +Inf) entries, and the top-10 (logit desc, then index asc). -Inf entries are
//   probability zero and take part in nothing. Output: SUMMARY_WORDS u32 words per row.
//
// Top-10 without per-element bookkeeping: tau, the 10th largest of the per-thread maxima, is a
// lower bound of the row's 10th largest value (those 10 maxima are 10 distinct entries), so the
// top-10 is among the entries >= tau, which sweep 2 collects (usually a few dozen). If more than
// CANDIDATES qualify (e.g. a row of ties), thread 0 selects from the row itself instead.
#include "float-keys.wgsl"

struct Params { rows: u32, vocab: u32, _pad0: u32, _pad1: u32 }

@group(0) @binding(0) var<storage, read> logits: array<u32>;   // [rows, vocab] f32 bits
@group(0) @binding(1) var<storage, read_write> summary: array<u32>;  // [rows, SUMMARY_WORDS]
@group(0) @binding(2) var<uniform> params: Params;

override WORKGROUP_SIZE: u32 = 256u;
const TOP: u32 = 10u;
const SUMMARY_WORDS: u32 = 32u;
const CANDIDATES: u32 = 1024u;
const LOWEST: u32 = 0xff7fffffu;  // bits of the lowest finite f32

var<workgroup> sharedMax: array<f32, WORKGROUP_SIZE>;
var<workgroup> sharedSum: array<f32, WORKGROUP_SIZE>;
var<workgroup> sharedTilt: array<f32, WORKGROUP_SIZE>;
var<workgroup> sharedCounts: array<vec2<u32>, WORKGROUP_SIZE>;
var<workgroup> candidates: array<u32, CANDIDATES>;
var<workgroup> candidateCount: atomic<u32>;
var<workgroup> rowMaxShared: f32;
var<workgroup> tauShared: f32;

fn beats(value: f32, id: u32, otherValue: f32, otherId: u32) -> bool {
  return value > otherValue || (value == otherValue && id < otherId);
}

// Reductions across threads are serial in thread 0 after one barrier: on software adapters a
// barrier costs more than 256 serial steps. The order is fixed, so sums are deterministic.
@compute @workgroup_size(WORKGROUP_SIZE)
fn rowStats(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let row = wid.x;
  let t = lid.x;
  let vocab = params.vocab;
  let base = row * vocab;

  // Sweep 1: max and counts.
  var localMax = bitcast<f32>(LOWEST);
  var finite = 0u;
  var invalid = 0u;
  for (var i = t; i < vocab; i += WORKGROUP_SIZE) {
    let bits = logits[base + i];
    if (isFiniteBits(bits)) {
      finite++;
      localMax = max(localMax, bitcast<f32>(bits));
    } else if (isInvalidBits(bits)) {
      invalid++;
    }
  }
  sharedMax[t] = localMax;
  sharedCounts[t] = vec2<u32>(finite, invalid);
  if (t == 0u) { atomicStore(&candidateCount, 0u); }
  workgroupBarrier();
  if (t == 0u) {
    var m = bitcast<f32>(LOWEST);
    var counts = vec2<u32>(0u, 0u);
    // The 10 largest per-thread maxima (threads without finite entries take no part).
    var largest: array<f32, TOP>;
    var have = 0u;
    for (var g = 0u; g < WORKGROUP_SIZE; g++) {
      let c = sharedCounts[g];
      counts += c;
      if (c.x == 0u) { continue; }
      let x = sharedMax[g];
      m = max(m, x);
      if (have < TOP || x > largest[TOP - 1u]) {
        var slot = min(have, TOP - 1u);
        while (slot > 0u && x > largest[slot - 1u]) {
          largest[slot] = largest[slot - 1u];
          slot--;
        }
        largest[slot] = x;
        have = min(have + 1u, TOP);
      }
    }
    rowMaxShared = m;
    tauShared = select(bitcast<f32>(LOWEST), largest[TOP - 1u], have == TOP);
    sharedCounts[0] = counts;
  }
  workgroupBarrier();
  let rowMax = rowMaxShared;
  let tau = tauShared;
  let counts = sharedCounts[0];

  // Sweep 2: s and t relative to the row max, and the top-10 candidates.
  var sum = 0.0;
  var tilt = 0.0;
  for (var i = t; i < vocab; i += WORKGROUP_SIZE) {
    let bits = logits[base + i];
    if (!isFiniteBits(bits)) { continue; }
    let x = bitcast<f32>(bits);
    let shifted = x - rowMax;
    let e = exp(shifted);
    sum += e;
    tilt += e * shifted;
    if (x >= tau) {
      let slot = atomicAdd(&candidateCount, 1u);
      if (slot < CANDIDATES) { candidates[slot] = i; }
    }
  }
  sharedSum[t] = sum;
  sharedTilt[t] = tilt;
  workgroupBarrier();

  if (t == 0u) {
    var s = 0.0;
    var tiltTotal = 0.0;
    for (var g = 0u; g < WORKGROUP_SIZE; g++) {
      s += sharedSum[g];
      tiltTotal += sharedTilt[g];
    }
    // Select the top-10 by (value desc, id asc); the order candidates arrived in is irrelevant.
    var bestValues: array<f32, TOP>;
    var bestIds: array<u32, TOP>;
    for (var k = 0u; k < TOP; k++) { bestValues[k] = 0.0; bestIds[k] = NO_TOKEN; }
    let found = atomicLoad(&candidateCount);
    let fromList = found <= CANDIDATES;
    let scan = select(vocab, found, fromList);
    for (var c = 0u; c < scan; c++) {
      let id = select(c, candidates[c], fromList);
      let bits = logits[base + id];
      if (!isFiniteBits(bits)) { continue; }
      let v = bitcast<f32>(bits);
      if (v < tau) { continue; }
      if (bestIds[TOP - 1u] != NO_TOKEN && !beats(v, id, bestValues[TOP - 1u], bestIds[TOP - 1u])) { continue; }
      var slot = TOP - 1u;
      while (slot > 0u && (bestIds[slot - 1u] == NO_TOKEN || beats(v, id, bestValues[slot - 1u], bestIds[slot - 1u]))) {
        bestValues[slot] = bestValues[slot - 1u];
        bestIds[slot] = bestIds[slot - 1u];
        slot--;
      }
      bestValues[slot] = v;
      bestIds[slot] = id;
    }
    let out = row * SUMMARY_WORDS;
    if (counts.x == 0u) {
      summary[out + 0u] = NEG_INF_BITS;
      summary[out + 1u] = NEG_INF_BITS;
      summary[out + 2u] = 0u;
      summary[out + 3u] = NO_TOKEN;
      summary[out + 6u] = 0u;
    } else {
      summary[out + 0u] = bitcast<u32>(rowMax);
      summary[out + 1u] = bitcast<u32>(rowMax + log(s));
      summary[out + 2u] = bitcast<u32>(max(0.0, log(s) - tiltTotal / s));
      summary[out + 3u] = bestIds[0];
      summary[out + 6u] = bitcast<u32>(s);
    }
    summary[out + 4u] = counts.y;
    summary[out + 5u] = counts.x;
    summary[out + 7u] = found;
    for (var k = 0u; k < TOP; k++) {
      summary[out + 8u + k] = bestIds[k];
      summary[out + 18u + k] = select(bitcast<u32>(bestValues[k]), NEG_INF_BITS, bestIds[k] == NO_TOKEN);
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
