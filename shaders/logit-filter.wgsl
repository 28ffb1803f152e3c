// Truncation thresholds for sampling, one workgroup per row (src/kernels/logits/filter.ts):
// top-k, then top-p over the top-k survivors, then min-p, in the order Hugging Face applies them.
// Each filter is a threshold on the order-preserving key of the logit, so the kept set is
// { y : key(l(y)) >= max(tauK, tauP, tauMin) } and ties at a boundary are all kept.
//   tauK = key of the k-th largest logit                  (largest tau with count(key >= tau) >= k)
//   tauP = largest tau with mass(key >= tau) >= ceil(top_p * mass(kept by top-k))
//   tauMin = key(max + log(min_p))                         (p(y) >= min_p * max p)
// Mass is measured in fixed point, q(y) = floor(exp(l(y) - lse) * 2^31), summed with u32
// atomics: exact and independent of the order in which threads add.
// Selection is an exact MSB-first radix select over the 32-bit keys (passes of 11, 11, 10 bits).
#include "float-keys.wgsl"

const SUMMARY_WORDS: u32 = 32u;
const DECISION_WORDS: u32 = 8u;
const MAX_BINS: u32 = 2048u;
const MASS_SCALE: f32 = 2147483648.0;

struct Params {
  rows: u32,
  vocab: u32,
  topK: u32,      // 0 = off
  useTopP: u32,
  topP: f32,
  useMinP: u32,
  logMinP: f32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> logits: array<u32>;       // [rows, vocab] f32 bits
@group(0) @binding(1) var<storage, read> summary: array<u32>;      // [rows, SUMMARY_WORDS]
@group(0) @binding(2) var<storage, read_write> decision: array<u32>; // [rows, DECISION_WORDS]
@group(0) @binding(3) var<uniform> params: Params;

override WORKGROUP_SIZE: u32 = 256u;

var<workgroup> bins: array<atomic<u32>, MAX_BINS>;
var<workgroup> groupSums: array<u32, WORKGROUP_SIZE>;
var<workgroup> chosenPrefix: u32;
var<workgroup> weightAbove: u32;
var<workgroup> needed: u32;
var<workgroup> restrictedTotal: u32;

fn massOf(x: f32, lse: f32) -> u32 { return u32(exp(x - lse) * MASS_SCALE); }

/**
 * Largest key tau with W(key >= tau) >= need among finite entries with key >= lower, where W
 * counts entries (byMass = false) or sums their mass. With needFraction > 0 the need is
 * computed in the first radixPass as ceil(needFraction * total), clamped to [1, total].
 */
fn radixSelect(row: u32, t: u32, lower: u32, byMass: bool, need: u32, needFraction: f32, lse: f32) -> u32 {
  let vocab = params.vocab;
  let base = row * vocab;
  // Every thread must have read the previous selection's result before it is reset.
  workgroupBarrier();
  if (t == 0u) { chosenPrefix = 0u; weightAbove = 0u; needed = need; }
  for (var radixPass = 0u; radixPass < 3u; radixPass++) {
    let shift = select(select(0u, 10u, radixPass == 1u), 21u, radixPass == 0u);
    let width = select(11u, 10u, radixPass == 2u);
    let binCount = 1u << width;
    for (var b = t; b < MAX_BINS; b += WORKGROUP_SIZE) { atomicStore(&bins[b], 0u); }
    workgroupBarrier();
    let prefix = chosenPrefix;
    let highShift = shift + width;
    for (var i = t; i < vocab; i += WORKGROUP_SIZE) {
      let bits = logits[base + i];
      if (!isFiniteBits(bits)) { continue; }
      let key = orderedKey(bits);
      if (key < lower) { continue; }
      if (highShift < 32u && (key >> highShift) != (prefix >> highShift)) { continue; }
      var w = 1u;
      if (byMass) { w = massOf(bitcast<f32>(bits), lse); }
      if (w != 0u) { atomicAdd(&bins[(key >> shift) & (binCount - 1u)], w); }
    }
    workgroupBarrier();
    let perThread = binCount / WORKGROUP_SIZE;
    var groupSum = 0u;
    for (var b = 0u; b < perThread; b++) { groupSum += atomicLoad(&bins[t * perThread + b]); }
    groupSums[t] = groupSum;
    workgroupBarrier();
    if (t == 0u) {
      if (radixPass == 0u && needFraction > 0.0) {
        var total = 0u;
        for (var g = 0u; g < WORKGROUP_SIZE; g++) { total += groupSums[g]; }
        restrictedTotal = total;
        needed = clamp(u32(ceil(f32(total) * needFraction)), 1u, max(total, 1u));
      }
      var above = weightAbove;
      var group = 0u;
      var found = false;
      for (var g = WORKGROUP_SIZE; g > 0u; g--) {
        if (above + groupSums[g - 1u] >= needed) { group = g - 1u; found = true; break; }
        above += groupSums[g - 1u];
      }
      var bin = 0u;
      if (found) {
        for (var b = perThread; b > 0u; b--) {
          let index = group * perThread + b - 1u;
          let w = atomicLoad(&bins[index]);
          if (above + w >= needed) { bin = index; break; }
          above += w;
        }
      }
      // Unreachable when need <= total; keeping the lowest bin then keeps everything.
      weightAbove = above;
      chosenPrefix = prefix | (bin << shift);
    }
    workgroupBarrier();
  }
  return chosenPrefix;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn filterThresholds(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let row = wid.x;
  let t = lid.x;
  let rowSummary = row * SUMMARY_WORDS;
  let finiteCount = summary[rowSummary + 5u];
  let out = row * DECISION_WORDS;
  if (finiteCount == 0u) {
    if (t == 0u) {
      for (var k = 0u; k < DECISION_WORDS; k++) { decision[out + k] = 0u; }
      decision[out] = NO_TOKEN;
    }
    return;
  }
  let rowMax = bitcast<f32>(summary[rowSummary + 0u]);
  let lse = bitcast<f32>(summary[rowSummary + 1u]);

  var tauK = 0u;
  if (params.topK > 0u && params.topK < finiteCount) {
    tauK = radixSelect(row, t, 0u, false, params.topK, 0.0, lse);
  }
  var tauP = 0u;
  if (params.useTopP != 0u) {
    tauP = radixSelect(row, t, tauK, true, 0u, params.topP, lse);
  }
  var tauMin = 0u;
  if (params.useMinP != 0u) {
    tauMin = orderedKey(bitcast<u32>(rowMax + params.logMinP));
  }
  if (t == 0u) {
    decision[out + 0u] = max(max(tauK, tauP), tauMin);
    decision[out + 1u] = tauK;
    decision[out + 2u] = tauP;
    decision[out + 3u] = tauMin;
    decision[out + 4u] = select(0u, restrictedTotal, params.useTopP != 0u);
    decision[out + 5u] = select(0u, needed, params.useTopP != 0u);
    decision[out + 6u] = 0u;
    decision[out + 7u] = 0u;
  }
}

// Writes the filtered logits: entries below the row's threshold become -Inf.
struct ApplyParams { rows: u32, vocab: u32, _pad0: u32, _pad1: u32 }
@group(0) @binding(0) var<storage, read> applySource: array<u32>;
@group(0) @binding(1) var<storage, read> applyDecision: array<u32>;
@group(0) @binding(2) var<storage, read_write> applyDestination: array<u32>;
@group(0) @binding(3) var<uniform> applyParams: ApplyParams;

@compute @workgroup_size(WORKGROUP_SIZE)
fn applyThreshold(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.y;
  let i = gid.x;
  if (i >= applyParams.vocab || row >= applyParams.rows) { return; }
  let index = row * applyParams.vocab + i;
  let bits = applySource[index];
  let threshold = applyDecision[row * DECISION_WORDS];
  let kept = isFiniteBits(bits) && threshold != NO_TOKEN && orderedKey(bits) >= threshold;
  applyDestination[index] = select(select(NEG_INF_BITS, bits, isInvalidBits(bits)), bits, kept);
}
