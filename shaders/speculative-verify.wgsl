// Speculative verification: accept or reject drafted tokens against the target in ONE dispatch,
// one workgroup per trial, writing a few words per trial (src/kernels/verify/, spec: reference.ts).
//
// Speculative sampling (Leviathan, Kalman, Matias, "Fast Inference from Transformers via
// Speculative Decoding", 2023; Chen et al., "Accelerating Large Language Model Decoding with
// Speculative Sampling", 2023). With p_j = softmax(target_j / T_target), q_j = softmax(draft_j / T_draft):
//   for j = 0..K-1: accept x_j if u_j < min(1, p_j(x_j) / q_j(x_j)), else emit y ~ norm(max(0, p_j - q_j))
//   and stop; if all K are accepted emit a bonus y ~ p_K. The emitted sequence is distributed as p.
// Deterministic draft (no draft logits, e.g. prompt lookup): q is one-hot, so x is accepted with
// probability p(x) and the correction is p without x, renormalised.
//
// SpecTr (Sun, Suresh, Ro, Beirami, Jain, Yu, "SpecTr: Fast Speculative Decoding via Optimal
// Transport", NeurIPS 2023): k draft sequences drawn i.i.d. At position j the live candidates are
// those whose tokens so far equal the accepted prefix; their next tokens y_1..y_m are m i.i.d. draws
// from q_j (same prefix, so the row of the first live one serves all). k-sequential selection
// (K-SEQ) with rho in [1, k]:
//   beta(rho) = sum_x min(q(x), p(x)/rho)
//   for i = 1..m: accept y_i with probability min(1, p(y_i) / (rho q(y_i)));   (first accepted wins)
//   none accepted: y ~ p_res(x) = (p(x) - min(q(x), p(x)/rho) (1 - (1-beta)^m)/beta) / (1-beta)^m
// p_res is a distribution (so the output is exactly p) iff (1 - (1-beta)^m)/beta <= rho, i.e.
//   g(rho) = rho beta(rho) - 1 + (1 - beta(rho))^m >= 0,
// and acceptance 1 - (1-beta)^m is largest at the smallest such rho. Like the paper we use rho* =
// that root, found here on the grid rho = n / 2^20 (the smallest grid point with g >= 0, by
// 4-point sections of the bracket [max(1, rhoFloor), max(rhoFloor, m)]: g(m) >= 0 always). A
// user rho is a floor: rho = max(rho_user, rho*), so the output stays exactly p (with one live
// candidate every rho >= 1 is valid, so rho = the floor, 1 by default). We write the
// residual as max(0, p - c min(q, p/rho)) with c = sum_{i<m} (1-beta)^i (= (1-(1-beta)^m)/beta
// without the division; c = m when beta = 0) and normalise by its sum. m = 1, rho = 1 is
// speculative sampling exactly.
// Multi-candidate deterministic drafts (our extension, not in SpecTr): candidates are tried in
// order as one-hot proposals against the current residual: y_i is accepted with probability
// p(y_i) / (1 - P(R)) where R is the set of tokens already rejected (0 when y_i is in R), and the
// correction is p restricted to tokens outside R. Each step is exact, so the output is p.
//
// Greedy: accept x_j iff x_j = argmax p_j (lowest index among ties); the correction and the bonus
// are argmax p. Live candidates narrow the same way. Equals greedy decoding exactly.
//
// Numerics: e(x) = exp((l(x) - max l) / T) in f32 (the maximum contributes 1, so no overflow);
// -Infinity has probability 0; a visited row with NaN or +Infinity, or with no finite entry,
// stops the trial with a status the host turns into an error. Accept tests are evaluated without
// division: u * rho * q(y) < p(y) (so p(y) = 0 is always rejected). Sampling from weights w uses
// fixed point like logit-sample.wgsl: n(x) = floor(w(x) * 2^31 / sum w), r = floor(u24 * N / 2^24),
// token = smallest y with n(0) + .. + n(y) > r. A residual whose mass is 0 (p == q) samples p.
//
// Randomness (Philox, philox.wgsl): trial t, position j use counters
//   base(t, j) = counter + (t (K+1) + j) (k+1)
//   accept uniform of candidate c:  philoxUniform(seed, stream, base + c)
//   sampling (correction / bonus):  philoxBits24(seed, stream, base + k)
// so one run consumes trials (K+1) (k+1) counters.

#include "float-keys.wgsl"
#include "philox.wgsl"

override WORKGROUP_SIZE: u32 = 32u;
// TEST ONLY. The negative control of the exactness tests: correct acceptance, but the correction
// is drawn from p instead of the residual. Its output is NOT the target distribution.
override NEGATIVE_CONTROL_CORRECTION_FROM_P: bool = false;

const MAX_CANDIDATES: u32 = 8u;
const MASS_SCALE: f32 = 2147483648.0;
const RHO_UNITS: u32 = 1048576u; // rho grid step 2^-20
const RHO_MAX_PASSES: u32 = 16u;
const EXP_FLOOR: f32 = -1.0e4; // exp() of anything below is 0 in f32

const STATUS_EMPTY_TARGET: u32 = 1u;
const STATUS_EMPTY_DRAFT: u32 = 2u;
const STATUS_INVALID_TARGET: u32 = 3u;
const STATUS_INVALID_DRAFT: u32 = 4u;
const STATUS_SAMPLING_FAILED: u32 = 5u;

const NEXT_POSITION: u32 = 0u;
const NEXT_CORRECTION: u32 = 1u;
const NEXT_BONUS: u32 = 2u;
const NEXT_DONE: u32 = 3u;

const FROM_TARGET: u32 = 0u;
const FROM_MODEL_RESIDUAL: u32 = 1u;
const FROM_LOOKUP_RESIDUAL: u32 = 2u;

// Result words of one trial (src/kernels/verify/layout.ts): status, accepted (or the bad row when
// status != 0), bonus, candidate, tokens[K+1], p bits[K], q bits[K], rho bits[K].
const WORD_STATUS: u32 = 0u;
const WORD_ACCEPTED: u32 = 1u;
const WORD_BONUS: u32 = 2u;
const WORD_CANDIDATE: u32 = 3u;
const WORD_TOKENS: u32 = 4u;

struct Params {
  vocab: u32,
  draftLength: u32, // K
  candidates: u32, // k
  trials: u32,
  targetRowOffset: u32,
  draftRowOffset: u32,
  hasDraft: u32,
  greedy: u32,
  seedLo: u32,
  seedHi: u32,
  stream: u32,
  counter: u32,
  targetTemperature: f32,
  draftTemperature: f32,
  rhoFloorUnits: u32, // ceil(rho_user * 2^20), 2^20 when unset
  perTrialTokens: u32,
}

@group(0) @binding(0) var<storage, read> targetLogits: array<u32>; // f32 bits [*, vocab]
@group(0) @binding(1) var<storage, read> draftLogits: array<u32>; // f32 bits [*, vocab]
@group(0) @binding(2) var<storage, read> draftTokens: array<u32>; // [k, K] or [trials, k, K]
@group(0) @binding(3) var<storage, read_write> results: array<u32>; // [trials, 5 + 4K]
@group(0) @binding(4) var<uniform> params: Params;

// Per-thread partials, combined serially by thread 0 (on software adapters one barrier costs
// more than WORKGROUP_SIZE serial adds; see token-rank.wgsl).
var<workgroup> partIndex: array<u32, WORKGROUP_SIZE>;
var<workgroup> partIndexDraft: array<u32, WORKGROUP_SIZE>;
var<workgroup> partSum: array<vec4<f32>, WORKGROUP_SIZE>;
var<workgroup> partMass: array<u32, WORKGROUP_SIZE>;

// Control words: written by thread 0, read by all through workgroupUniformLoad.
var<workgroup> controlLive: u32; // bit c set = candidate c live
var<workgroup> controlStop: u32;
var<workgroup> controlNext: u32;
var<workgroup> controlKind: u32;
var<workgroup> controlDone: u32;

struct Shared {
  targetArgmax: u32,
  draftArgmax: u32,
  targetMax: f32,
  draftMax: f32,
  targetSum: f32,
  draftSum: f32,
  rho: f32,
  rhoLow: u32,
  rhoHigh: u32,
  residualScale: f32,
  mass: f32,
  sampleTarget: u32,
  sampled: u32,
  accepted: u32,
  bonus: u32,
  status: u32,
  statusRow: u32,
  removedCount: u32,
  removedMass: f32,
  removed: array<u32, MAX_CANDIDATES>,
}
var<workgroup> wg: Shared;

fn targetBits(row: u32, x: u32) -> u32 { return targetLogits[row * params.vocab + x]; }
fn draftBits(row: u32, x: u32) -> u32 { return draftLogits[row * params.vocab + x]; }

/** Order key with -0 folded onto +0, so equal values tie (and the lower index wins). */
fn valueKey(bits: u32) -> u32 {
  if (bits == 0x80000000u) { return orderedKey(0u); }
  return orderedKey(bits);
}

/** exp((l - max) / T): the unnormalised probability; 0 for -Infinity. */
fn expWeight(bits: u32, maxLogit: f32, temperature: f32) -> f32 {
  if (!isFiniteBits(bits)) { return 0.0; }
  return exp(max((bitcast<f32>(bits) - maxLogit) / temperature, EXP_FLOOR));
}

fn targetWeight(row: u32, x: u32) -> f32 {
  return expWeight(targetBits(row, x), wg.targetMax, params.targetTemperature);
}
fn draftWeight(row: u32, x: u32) -> f32 {
  return expWeight(draftBits(row, x), wg.draftMax, params.draftTemperature);
}

fn tokenOf(trial: u32, candidate: u32, j: u32) -> u32 {
  let K = params.draftLength;
  let trialBase = select(0u, trial * params.candidates * K, params.perTrialTokens != 0u);
  return draftTokens[trialBase + candidate * K + j];
}

fn counterBase(trial: u32, j: u32) -> u32 {
  return params.counter + (trial * (params.draftLength + 1u) + j) * (params.candidates + 1u);
}

/** floor(a * b / 2^24) for a < 2^24, exact (as in logit-sample.wgsl). */
fn scaleBy24(a: u32, b: u32) -> u32 {
  let a0 = a & 0xffffu;
  let a1 = a >> 16u;
  let b0 = b & 0xffffu;
  let b1 = b >> 16u;
  let p00 = a0 * b0;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  let lo = (p00 & 0xffffu) | (mid << 16u);
  let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
  return (hi << 8u) | (lo >> 24u);
}

/** Sums partSum over the workgroup in thread order (thread 0 only). */
fn combinedSum() -> vec4<f32> {
  var total = vec4<f32>(0.0);
  for (var t = 0u; t < WORKGROUP_SIZE; t++) { total += partSum[t]; }
  return total;
}

fn stopWith(status: u32, row: u32) {
  wg.status = status;
  wg.statusRow = row;
  controlStop = 1u;
}

/** Argmax (lowest index among ties), maximum and normaliser of the target (and draft) row. */
fn rowStatistics(lid: u32, targetRow: u32, draftRow: u32, withDraft: bool) {
  var bestTarget = NO_TOKEN;
  var keyTarget = 0u;
  var bestDraft = NO_TOKEN;
  var keyDraft = 0u;
  var invalid = 0u;
  for (var x = lid; x < params.vocab; x += WORKGROUP_SIZE) {
    let bits = targetBits(targetRow, x);
    if (isInvalidBits(bits)) {
      invalid |= 1u;
    } else if (!isNegInfBits(bits) && valueKey(bits) > keyTarget) {
      keyTarget = valueKey(bits);
      bestTarget = x;
    }
    if (withDraft) {
      let draft = draftBits(draftRow, x);
      if (isInvalidBits(draft)) {
        invalid |= 2u;
      } else if (!isNegInfBits(draft) && valueKey(draft) > keyDraft) {
        keyDraft = valueKey(draft);
        bestDraft = x;
      }
    }
  }
  partIndex[lid] = bestTarget;
  partIndexDraft[lid] = bestDraft;
  partMass[lid] = invalid;
  workgroupBarrier();
  if (lid == 0u) {
    var bestT = NO_TOKEN;
    var bestTKey = 0u;
    var bestD = NO_TOKEN;
    var bestDKey = 0u;
    var flags = 0u;
    for (var t = 0u; t < WORKGROUP_SIZE; t++) {
      flags |= partMass[t];
      let i = partIndex[t];
      if (i != NO_TOKEN) {
        let key = valueKey(targetBits(targetRow, i));
        if (key > bestTKey || (key == bestTKey && i < bestT)) { bestTKey = key; bestT = i; }
      }
      let d = partIndexDraft[t];
      if (d != NO_TOKEN) {
        let key = valueKey(draftBits(draftRow, d));
        if (key > bestDKey || (key == bestDKey && d < bestD)) { bestDKey = key; bestD = d; }
      }
    }
    wg.targetArgmax = bestT;
    wg.draftArgmax = bestD;
    if ((flags & 1u) != 0u) {
      stopWith(STATUS_INVALID_TARGET, targetRow);
    } else if (bestT == NO_TOKEN) {
      stopWith(STATUS_EMPTY_TARGET, targetRow);
    } else if ((flags & 2u) != 0u) {
      stopWith(STATUS_INVALID_DRAFT, draftRow);
    } else if (withDraft && bestD == NO_TOKEN) {
      stopWith(STATUS_EMPTY_DRAFT, draftRow);
    } else {
      wg.targetMax = bitcast<f32>(targetBits(targetRow, bestT));
      if (withDraft) { wg.draftMax = bitcast<f32>(draftBits(draftRow, bestD)); }
    }
  }
  if (workgroupUniformLoad(&controlStop) != 0u) { return; }
  var sums = vec4<f32>(0.0);
  for (var x = lid; x < params.vocab; x += WORKGROUP_SIZE) {
    sums.x += targetWeight(targetRow, x);
    if (withDraft) { sums.y += draftWeight(draftRow, x); }
  }
  partSum[lid] = sums;
  workgroupBarrier();
  if (lid == 0u) {
    let total = combinedSum();
    wg.targetSum = total.x;
    wg.draftSum = total.y;
  }
  workgroupBarrier();
}

/** rho beta(rho) - 1 + (1 - beta)^m from S = rho beta(rho) = sum_x min(rho q(x), p(x)). */
fn rhoCriterion(s: f32, rho: f32, m: u32) -> f32 {
  let keep = 1.0 - s / rho;
  var power = 1.0;
  for (var i = 0u; i < m; i++) { power *= keep; }
  return s - 1.0 + power;
}

/** S(rho) = sum_x min(rho q(x), p(x)) at four rho values (partial of this thread). */
fn partialOverlap(lid: u32, rho: vec4<f32>, targetRow: u32, draftRow: u32) -> vec4<f32> {
  var s = vec4<f32>(0.0);
  for (var x = lid; x < params.vocab; x += WORKGROUP_SIZE) {
    let p = targetWeight(targetRow, x) / wg.targetSum;
    let q = draftWeight(draftRow, x) / wg.draftSum;
    s += min(rho * q, vec4<f32>(p));
  }
  return s;
}

/** wg.rho <- the smallest grid rho >= the floor with g(rho) >= 0 (K-SEQ's valid rho, see header). */
fn selectRho(lid: u32, m: u32, targetRow: u32, draftRow: u32) {
  if (lid == 0u) {
    wg.rhoLow = params.rhoFloorUnits;
    wg.rhoHigh = max(params.rhoFloorUnits, m * RHO_UNITS);
    controlDone = select(0u, 1u, wg.rhoHigh == wg.rhoLow);
  }
  for (var section = 0u; section < RHO_MAX_PASSES; section++) {
    if (workgroupUniformLoad(&controlDone) != 0u) { break; }
    let low = wg.rhoLow;
    let width = wg.rhoHigh - low;
    let grid = vec4<u32>(low, low + width / 4u, low + width / 2u, low + (3u * width) / 4u);
    let rho = vec4<f32>(grid) * (1.0 / f32(RHO_UNITS)); // exact: grid < 2^24
    partSum[lid] = partialOverlap(lid, rho, targetRow, draftRow);
    workgroupBarrier();
    if (lid == 0u) {
      let s = combinedSum();
      var found = 4u;
      for (var i = 0u; i < 4u; i++) {
        if (rhoCriterion(s[i], rho[i], m) >= 0.0) { found = i; break; }
      }
      if (found == 0u) {
        wg.rhoHigh = grid[0];
        wg.rhoLow = grid[0];
      } else if (found < 4u) {
        wg.rhoHigh = grid[found];
        wg.rhoLow = grid[found - 1u];
      } else {
        wg.rhoLow = grid[3];
      }
      if (wg.rhoHigh - wg.rhoLow <= 1u) { controlDone = 1u; }
    }
  }
  if (lid == 0u) { wg.rho = f32(wg.rhoHigh) * (1.0 / f32(RHO_UNITS)); }
  workgroupBarrier();
}

fn isRemoved(y: u32) -> bool {
  for (var r = 0u; r < wg.removedCount; r++) {
    if (wg.removed[r] == y) { return true; }
  }
  return false;
}

/** The weight token x gets when sampling from `kind` (any positive scale). */
fn sampleWeight(kind: u32, x: u32, targetRow: u32, draftRow: u32) -> f32 {
  let e = targetWeight(targetRow, x);
  if (kind == FROM_TARGET) { return e; }
  if (kind == FROM_LOOKUP_RESIDUAL) { return select(e, 0.0, isRemoved(x)); }
  let p = e / wg.targetSum;
  let q = draftWeight(draftRow, x) / wg.draftSum;
  return max(0.0, p - wg.residualScale * min(q, p / wg.rho));
}

/** wg.sampled <- a token from `kindIn` (the target when the residual has no mass). */
fn sampleToken(lid: u32, kindIn: u32, m: u32, targetRow: u32, draftRow: u32, u24: u32) {
  if (kindIn == FROM_MODEL_RESIDUAL) {
    var s = 0.0;
    if (m > 1u) {
      s = partialOverlap(lid, vec4<f32>(wg.rho), targetRow, draftRow).x;
    }
    partSum[lid] = vec4<f32>(s, 0.0, 0.0, 0.0);
    workgroupBarrier();
    if (lid == 0u) {
      // c = sum_{i<m} (1 - beta)^i; 1 for m = 1 whatever rho.
      let keep = 1.0 - combinedSum().x / wg.rho;
      var c = 0.0;
      var power = 1.0;
      for (var i = 0u; i < m; i++) {
        c += power;
        power *= keep;
      }
      wg.residualScale = c;
    }
    workgroupBarrier();
  }
  var mass = 0.0;
  if (kindIn != FROM_TARGET) {
    for (var x = lid; x < params.vocab; x += WORKGROUP_SIZE) {
      mass += sampleWeight(kindIn, x, targetRow, draftRow);
    }
  }
  partSum[lid] = vec4<f32>(mass, 0.0, 0.0, 0.0);
  workgroupBarrier();
  if (lid == 0u) {
    let total = combinedSum().x;
    if (kindIn != FROM_TARGET && total > 0.0) {
      wg.mass = total;
      controlKind = kindIn;
    } else {
      wg.mass = wg.targetSum;
      controlKind = FROM_TARGET;
    }
  }
  let kind = workgroupUniformLoad(&controlKind);
  let scale = MASS_SCALE / wg.mass;
  let chunk = (params.vocab + WORKGROUP_SIZE - 1u) / WORKGROUP_SIZE;
  let start = min(params.vocab, lid * chunk);
  let end = min(params.vocab, start + chunk);
  var units = 0u;
  for (var x = start; x < end; x++) {
    units += u32(sampleWeight(kind, x, targetRow, draftRow) * scale);
  }
  partMass[lid] = units;
  workgroupBarrier();
  if (lid == 0u) {
    var running = 0u;
    for (var t = 0u; t < WORKGROUP_SIZE; t++) {
      let n = partMass[t];
      partMass[t] = running;
      running += n;
    }
    wg.sampleTarget = scaleBy24(u24, running);
    wg.sampled = NO_TOKEN;
    partIndex[0] = running;
  }
  workgroupBarrier();
  let total = partIndex[0];
  let before = partMass[lid];
  let goal = wg.sampleTarget;
  if (total > 0u && goal >= before && goal < before + units) {
    var cumulative = before;
    for (var x = start; x < end; x++) {
      cumulative += u32(sampleWeight(kind, x, targetRow, draftRow) * scale);
      if (cumulative > goal) {
        wg.sampled = x;
        break;
      }
    }
  }
  workgroupBarrier();
}

/** Thread 0: the decisions at position j (no barriers). */
fn decide(trial: u32, j: u32, live: u32, targetRow: u32, draftRow: u32, slot: u32) {
  let K = params.draftLength;
  let k = params.candidates;
  let greedy = params.greedy != 0u;
  if (j == K) {
    wg.bonus = 1u;
    if (greedy) {
      results[slot + WORD_TOKENS + j] = wg.targetArgmax;
      controlNext = NEXT_DONE;
    } else {
      controlNext = NEXT_BONUS;
    }
    return;
  }
  let seed = vec2<u32>(params.seedLo, params.seedHi);
  let base = counterBase(trial, j);
  var accepted = NO_TOKEN;
  wg.removedCount = 0u;
  wg.removedMass = 0.0;
  for (var c = 0u; c < k; c++) {
    if ((live & (1u << c)) == 0u) { continue; }
    let y = tokenOf(trial, c, j);
    if (greedy) {
      if (y == wg.targetArgmax) { accepted = y; break; }
      continue;
    }
    let u = philoxUniform(seed, params.stream, base + c);
    let e = targetWeight(targetRow, y);
    if (params.hasDraft != 0u) {
      let q = draftWeight(draftRow, y) / wg.draftSum;
      if (u * (wg.rho * q) < e / wg.targetSum) { accepted = y; break; }
    } else {
      if (isRemoved(y)) { continue; }
      if (u * (wg.targetSum - wg.removedMass) < e) { accepted = y; break; }
      wg.removed[wg.removedCount] = y;
      wg.removedCount += 1u;
      wg.removedMass += e;
    }
  }
  var nextLive = live;
  if (accepted != NO_TOKEN) {
    nextLive = 0u;
    for (var c = 0u; c < k; c++) {
      if ((live & (1u << c)) != 0u && tokenOf(trial, c, j) == accepted) { nextLive |= 1u << c; }
    }
    wg.accepted = j + 1u;
    results[slot + WORD_TOKENS + j] = accepted;
    controlNext = NEXT_POSITION;
  } else if (greedy) {
    results[slot + WORD_TOKENS + j] = wg.targetArgmax;
    controlNext = NEXT_DONE;
  } else {
    controlNext = NEXT_CORRECTION;
  }
  controlLive = nextLive;
  // Hover values: the token of the reported candidate (the first live one) at this position.
  let shown = tokenOf(trial, firstTrailingBit(nextLive), j);
  var q = 1.0;
  if (params.hasDraft != 0u) { q = draftWeight(draftRow, shown) / wg.draftSum; }
  let words = slot + WORD_TOKENS + K + 1u + j;
  results[words] = bitcast<u32>(targetWeight(targetRow, shown) / wg.targetSum);
  results[words + K] = bitcast<u32>(q);
  results[words + 2u * K] = bitcast<u32>(wg.rho);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn verifyDraft(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) workgroup: vec3<u32>) {
  let trial = workgroup.x;
  let K = params.draftLength;
  let k = params.candidates;
  let slot = trial * (5u + 4u * K);
  let sampling = params.greedy == 0u;
  if (lid == 0u) {
    controlLive = (1u << k) - 1u;
    controlStop = 0u;
    wg.accepted = 0u;
    wg.bonus = 0u;
    wg.status = 0u;
    wg.statusRow = 0u;
  }
  for (var j = 0u; j <= K; j++) {
    let live = workgroupUniformLoad(&controlLive);
    let first = firstTrailingBit(live);
    let withDraft = params.hasDraft != 0u && j < K;
    let targetRow = params.targetRowOffset + first * (K + 1u) + j;
    let draftRow = params.draftRowOffset + first * K + min(j, K - 1u);
    rowStatistics(lid, targetRow, draftRow, withDraft);
    if (workgroupUniformLoad(&controlStop) != 0u) { break; }
    let m = countOneBits(live);
    if (sampling && withDraft && m > 1u) {
      selectRho(lid, m, targetRow, draftRow);
    } else if (lid == 0u) {
      wg.rho = f32(params.rhoFloorUnits) * (1.0 / f32(RHO_UNITS)); // m = 1: any rho >= 1 is valid
    }
    if (lid == 0u) { decide(trial, j, live, targetRow, draftRow, slot); }
    let next = workgroupUniformLoad(&controlNext);
    if (next == NEXT_POSITION) { continue; }
    if (next == NEXT_CORRECTION || next == NEXT_BONUS) {
      var kind = FROM_TARGET;
      if (next == NEXT_CORRECTION && !NEGATIVE_CONTROL_CORRECTION_FROM_P) {
        kind = select(FROM_LOOKUP_RESIDUAL, FROM_MODEL_RESIDUAL, params.hasDraft != 0u);
      }
      let u24 = philoxBits24(vec2<u32>(params.seedLo, params.seedHi), params.stream, counterBase(trial, j) + k);
      sampleToken(lid, kind, m, targetRow, draftRow, u24);
      if (lid == 0u) {
        results[slot + WORD_TOKENS + j] = wg.sampled;
        if (wg.sampled == NO_TOKEN) { stopWith(STATUS_SAMPLING_FAILED, targetRow); }
      }
    }
    break;
  }
  if (lid == 0u) {
    results[slot + WORD_STATUS] = wg.status;
    results[slot + WORD_ACCEPTED] = select(wg.accepted, wg.statusRow, wg.status != 0u);
    results[slot + WORD_BONUS] = wg.bonus;
    results[slot + WORD_CANDIDATE] = firstTrailingBit(controlLive);
  }
}
