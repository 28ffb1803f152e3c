// Row divergence: entropy, KL, Jensen-Shannon divergence and total variation between pairs of
// logit rows, and each row's top token.
//
// Inputs: P logits [p_rows, vocab] and Q logits [q_rows, vocab] (f32, read as raw u32 bits), and a
// list of (p_row, q_row) pairs. One workgroup per pair; its threads stride over the vocabulary.
// Output [num_pairs, 12] f32 (written as bits):
//   0 H(P)   1 H(Q)   2 KL(P||Q)   3 KL(Q||P)   4 JS(P,Q)
//   5 NaN logits in the P row   6 NaN logits in the Q row
//   7 flags: 1 P row has no finite entry, 2 same for Q, 4 P row has +Infinity, 8 same for Q
//   8 TV(P,Q) = 1/2 sum |p - q|, in [0, 1]
//   9 argmax P   10 argmax Q   (token index as an exact f32; the lowest index among equal logits;
//                               -1 for a row with no finite entry)
//   11 p(argmax Q): P's probability of Q's top token
// All logarithms are natural.
//
// Sweep 1 (online softmax, Milakov & Gimelshein 2018): per row the max m and s = sum e^(l - m),
// merged pairwise as m = max(m1, m2), s = s1 e^(m1 - m) + s2 e^(m2 - m). Within a thread the sum is
// kept against a reference r that moves only when a logit exceeds it by RESCALE_MARGIN, so rising
// logits do not compound one exp rounding per token into s (on a 151,936-token ascending ramp this
// took KL's relative error from 1.9e-6 to under 7e-7). Having log s after the first sweep gives the
// second exact per-token log-probabilities, which JS needs: unlike H and KL it is not a function
// of a few global sums (log m_i = log((p_i + q_i) / 2) mixes both normalisers).
// Sweep 2, with a = l_p - m_p, log p = a - log s_p, p = e^a / s_p (likewise b, q for Q; exp of a
// rather than of log p, because exp's f32 error grows with |x| and a ~ 0 for the likely tokens):
//   H(P)      = -sum p log p         = log s_p - sum p a
//   KL(P||Q)  =  sum p (log p - log q) = sum p (a - b) + log(s_q / s_p)
// The right-hand forms use sum p = 1 exactly instead of its f32 sum, whose rounding would otherwise
// be multiplied by log s (up to ln V ~ 12), and log(s_q / s_p) rather than log s_q - log s_p, whose
// ulp-sized errors (~1e-6 at log s ~ 12) would swamp a small KL; identical rows give exactly 0.
//   JS(P,Q)   =  1/2 sum [p log(p/m) + q log(q/m)],  m = (p + q)/2, per token from
//                d = |log p - log q| = |a - b + log(s_q / s_p)|:
//                log(hi/m) = ln2 - log1p(e^-d), log(lo/m) = log(hi/m) - d   (no cancellation, in [0, ln2]).
//
// Conventions: -Infinity logits have probability 0 and 0 log 0 = 0; a token with p > 0 and q = 0
// (finite l_p, l_q = -Infinity) makes KL(P||Q) = +Infinity and adds p ln2 / 2 to JS. NaN and
// +Infinity logits are skipped and counted/flagged (the host rejects them). A row with no finite
// entry is flagged and every quantity that involves it is written as 0, never NaN. Non-finite
// values are recognised from their bits, so no f32 arithmetic ever touches an infinity or a NaN.
// Results are clamped to their valid ranges (H, KL >= 0; JS in [0, ln2]; TV in [0, 1]); only
// rounding is cut.
//
// TV is summed as 1/2 sum |p - q| rather than as 1 - sum min(p, q): identical rows then give exactly
// 0 (p and q are the same f32 values), and near-identical rows, where the speculative acceptance
// rate 1 - TV is measured, keep an error proportional to TV instead of to 1. The argmax rides along
// sweep 1 (a thread keeps its first strict maximum; merges prefer the larger logit, then the lower
// index), so it costs no extra pass over the vocabulary.

override WORKGROUP_SIZE: u32 = 256u; // must be a power of two (tree reduction)

struct Params {
  vocab: u32,
  num_pairs: u32,
  p_rows: u32,
  q_rows: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> p_logits: array<u32>; // f32 bits, [p_rows, vocab]
@group(0) @binding(2) var<storage, read> q_logits: array<u32>; // f32 bits, [q_rows, vocab]
@group(0) @binding(3) var<storage, read> pairs: array<vec2<u32>>; // [num_pairs] (p_row, q_row)
@group(0) @binding(4) var<storage, read_write> out: array<u32>; // f32 bits, [num_pairs, 12]

const STRIDE: u32 = 12u;
const NO_INDEX: u32 = 0xffffffffu;

// Sweep 1: (m_p, s_p, m_q, s_q), (NaN P, NaN Q, +Inf P, +Inf Q) and (argmax P, argmax Q).
// Sweep 2: (sum p a, sum q b, sum p (a - b), sum q (b - a)) and
//          (JS, #(p > 0 = q), #(q > 0 = p), sum |p - q|).
// Counts stay exact in f32: at most 262,144 < 2^24.
var<workgroup> red_a: array<vec4<f32>, WORKGROUP_SIZE>;
var<workgroup> red_b: array<vec4<f32>, WORKGROUP_SIZE>;
var<workgroup> red_index: array<vec2<u32>, WORKGROUP_SIZE>;

const LN2: f32 = 0.6931471805599453;
const F32_POSITIVE_INFINITY_BITS: u32 = 0x7f800000u;
// A thread's running sum tolerates terms up to e^8 (sums stay far below f32 overflow).
const RESCALE_MARGIN: f32 = 8.0;
// Below this, e^x is under the smallest f32 subnormal; returning 0 keeps exp away from its edges.
const EXP_UNDERFLOW: f32 = -104.0;

const FINITE: u32 = 0u;
const NEG_INF: u32 = 1u;
const POS_INF: u32 = 2u;
const NOT_A_NUMBER: u32 = 3u;

fn classify(bits: u32) -> u32 {
  let magnitude = bits & 0x7fffffffu;
  if (magnitude < F32_POSITIVE_INFINITY_BITS) { return FINITE; }
  if (magnitude > F32_POSITIVE_INFINITY_BITS) { return NOT_A_NUMBER; }
  return select(POS_INF, NEG_INF, bits != magnitude);
}

// e^x for x <= RESCALE_MARGIN.
fn exp_bounded(x: f32) -> f32 {
  return select(exp(x), 0.0, x < EXP_UNDERFLOW);
}

// log(1 + x) for x in [0, 1]; the series keeps relative accuracy where 1 + x would round.
fn log1p_unit(x: f32) -> f32 {
  if (x < 1e-4) { return x * (1.0 - x * (0.5 - x / 3.0)); }
  return log(1.0 + x);
}

// One thread's running softmax state (m, r, s): max m, reference r <= m <= r + RESCALE_MARGIN,
// s = sum e^(l - r); s == 0 means "no finite entry yet".
fn softmax_push(state: vec3<f32>, x: f32) -> vec3<f32> {
  if (state.z == 0.0) { return vec3<f32>(x, x, 1.0); }
  if (x > state.y + RESCALE_MARGIN) { return vec3<f32>(x, x, state.z * exp_bounded(state.y - x) + 1.0); }
  return vec3<f32>(max(state.x, x), state.y, state.z + exp_bounded(x - state.y));
}

// (m, s = sum e^(l - m)) from a thread's state.
fn softmax_finish(state: vec3<f32>) -> vec2<f32> {
  return vec2<f32>(state.x, state.z * exp_bounded(state.y - state.x));
}

fn softmax_merge(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  if (b.y == 0.0) { return a; }
  if (a.y == 0.0) { return b; }
  let m = max(a.x, b.x);
  return vec2<f32>(m, a.y * exp_bounded(a.x - m) + b.y * exp_bounded(b.x - m));
}

// 1/2 [p log(p/m) + q log(q/m)] for one token where both are positive in exact arithmetic;
// log_ratio = log p - log q.
fn js_term(log_ratio: f32, p: f32, q: f32) -> f32 {
  let d = abs(log_ratio);
  // Both underflowed (0 log 0), or equal; also keeps a NaN log_ratio from extreme logits out.
  if ((p == 0.0 && q == 0.0) || d == 0.0) { return 0.0; }
  let log_hi_over_m = LN2 - log1p_unit(exp_bounded(-d));
  let log_lo_over_m = log_hi_over_m - d;
  let p_is_hi = log_ratio >= 0.0;
  let hi = select(q, p, p_is_hi);
  let lo = select(p, q, p_is_hi);
  // lo may have underflowed to 0 while d is huge: 0 log 0 = 0.
  return 0.5 * (hi * log_hi_over_m + select(lo * log_lo_over_m, 0.0, lo == 0.0));
}

// The top token of two merged (m, s) states with their argmax indices: the larger max, then the
// lower index; a state with s == 0 has no entry.
fn argmax_merge(a: vec2<f32>, a_index: u32, b: vec2<f32>, b_index: u32) -> u32 {
  if (b.y == 0.0) { return a_index; }
  if (a.y == 0.0) { return b_index; }
  if (a.x > b.x) { return a_index; }
  if (b.x > a.x) { return b_index; }
  return min(a_index, b_index);
}

fn store(index: u32, value: f32) {
  out[index] = bitcast<u32>(value);
}

// Sum-reduces red_a and red_b (sweep 2) in place; the total ends in slot 0.
fn reduce_sums(lid: u32) {
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      red_a[lid] += red_a[lid + stride];
      red_b[lid] += red_b[lid + stride];
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn row_divergence(
  @builtin(workgroup_id) workgroup: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let pair = workgroup.x;
  let vocab = params.vocab;
  let rows = pairs[pair];
  let p_base = rows.x * vocab;
  let q_base = rows.y * vocab;

  // Sweep 1: max, argmax and normaliser of each row (online), NaN and +Infinity counts.
  var p_state = vec3<f32>(0.0);
  var q_state = vec3<f32>(0.0);
  var best = vec2<u32>(NO_INDEX);
  var invalid = vec4<f32>(0.0);
  for (var i = lid; i < vocab; i += WORKGROUP_SIZE) {
    let p_bits = p_logits[p_base + i];
    let q_bits = q_logits[q_base + i];
    let p_class = classify(p_bits);
    let q_class = classify(q_bits);
    if (p_class == FINITE) {
      let x = bitcast<f32>(p_bits);
      if (p_state.z == 0.0 || x > p_state.x) { best.x = i; }
      p_state = softmax_push(p_state, x);
    }
    if (q_class == FINITE) {
      let x = bitcast<f32>(q_bits);
      if (q_state.z == 0.0 || x > q_state.x) { best.y = i; }
      q_state = softmax_push(q_state, x);
    }
    invalid += vec4<f32>(
      f32(p_class == NOT_A_NUMBER), f32(q_class == NOT_A_NUMBER),
      f32(p_class == POS_INF), f32(q_class == POS_INF),
    );
  }
  red_a[lid] = vec4<f32>(softmax_finish(p_state), softmax_finish(q_state));
  red_b[lid] = invalid;
  red_index[lid] = best;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      let a = red_a[lid];
      let b = red_a[lid + stride];
      let a_index = red_index[lid];
      let b_index = red_index[lid + stride];
      red_index[lid] = vec2<u32>(
        argmax_merge(a.xy, a_index.x, b.xy, b_index.x),
        argmax_merge(a.zw, a_index.y, b.zw, b_index.y),
      );
      red_a[lid] = vec4<f32>(softmax_merge(a.xy, b.xy), softmax_merge(a.zw, b.zw));
      red_b[lid] += red_b[lid + stride];
    }
    workgroupBarrier();
  }
  let stats = red_a[0];
  let invalid_total = red_b[0];
  let top = red_index[0];
  workgroupBarrier(); // every thread has read slot 0 before sweep 2 overwrites it

  let m_p = stats.x;
  let m_q = stats.z;
  let p_empty = stats.y == 0.0;
  let q_empty = stats.w == 0.0;
  // s >= 1 whenever the row has a finite entry (its max contributes e^0); 1 keeps empty rows finite.
  let s_p = max(stats.y, 1.0);
  let s_q = max(stats.w, 1.0);
  let log_s_p = log(s_p);
  let log_s_q = log(s_q);
  let log_sq_over_sp = log(s_q / s_p);
  let inv_s_p = 1.0 / s_p;
  let inv_s_q = 1.0 / s_q;

  // Sweep 2: per-token log-probabilities and the sums.
  var sums = vec4<f32>(0.0); // sum p a, sum q b, sum p (a - b), sum q (b - a)
  var js_and_mismatch = vec4<f32>(0.0); // JS, #(p > 0, q = 0), #(q > 0, p = 0), sum |p - q|
  for (var i = lid; i < vocab; i += WORKGROUP_SIZE) {
    let p_bits = p_logits[p_base + i];
    let q_bits = q_logits[q_base + i];
    let p_ok = classify(p_bits) == FINITE;
    let q_ok = classify(q_bits) == FINITE;
    var a = 0.0;
    var p = 0.0;
    var b = 0.0;
    var q = 0.0;
    if (p_ok) {
      a = bitcast<f32>(p_bits) - m_p;
      p = exp_bounded(a) * inv_s_p;
      if (p > 0.0) { sums.x += p * a; } // 0 log 0 = 0, even when a overflowed
    }
    if (q_ok) {
      b = bitcast<f32>(q_bits) - m_q;
      q = exp_bounded(b) * inv_s_q;
      if (q > 0.0) { sums.y += q * b; }
    }
    if (p_ok && q_ok) {
      if (p > 0.0) { sums.z += p * (a - b); }
      if (q > 0.0) { sums.w += q * (b - a); }
      js_and_mismatch.x += js_term(a - b + log_sq_over_sp, p, q);
      js_and_mismatch.w += abs(p - q);
    } else if (p_ok) {
      js_and_mismatch += vec4<f32>(0.5 * LN2 * p, 1.0, 0.0, p);
    } else if (q_ok) {
      js_and_mismatch += vec4<f32>(0.5 * LN2 * q, 0.0, 1.0, q);
    }
  }
  red_a[lid] = sums;
  red_b[lid] = js_and_mismatch;
  reduce_sums(lid);

  if (lid == 0u) {
    let totals = red_a[0];
    let js_totals = red_b[0];
    let either_empty = p_empty || q_empty;
    let base = pair * STRIDE;
    store(base + 0u, select(max(log_s_p - totals.x, 0.0), 0.0, p_empty));
    store(base + 1u, select(max(log_s_q - totals.y, 0.0), 0.0, q_empty));
    if (either_empty) {
      store(base + 2u, 0.0);
      store(base + 3u, 0.0);
      store(base + 4u, 0.0);
      store(base + 8u, 0.0);
      store(base + 11u, 0.0);
    } else {
      let kl_pq = max(totals.z + log_sq_over_sp, 0.0);
      let kl_qp = max(totals.w - log_sq_over_sp, 0.0);
      out[base + 2u] = select(bitcast<u32>(kl_pq), F32_POSITIVE_INFINITY_BITS, js_totals.y > 0.0);
      out[base + 3u] = select(bitcast<u32>(kl_qp), F32_POSITIVE_INFINITY_BITS, js_totals.z > 0.0);
      store(base + 4u, clamp(js_totals.x, 0.0, LN2));
      store(base + 8u, clamp(0.5 * js_totals.w, 0.0, 1.0));
      // Q's top token is finite in Q; in P it may be -Infinity (probability 0).
      let p_bits_at_top_q = p_logits[p_base + top.y];
      var p_at_top_q = 0.0;
      if (classify(p_bits_at_top_q) == FINITE) {
        p_at_top_q = exp_bounded(bitcast<f32>(p_bits_at_top_q) - m_p) * inv_s_p;
      }
      store(base + 11u, min(p_at_top_q, 1.0));
    }
    store(base + 5u, invalid_total.x);
    store(base + 6u, invalid_total.y);
    let flags = select(0u, 1u, p_empty) | select(0u, 2u, q_empty)
      | select(0u, 4u, invalid_total.z > 0.0) | select(0u, 8u, invalid_total.w > 0.0);
    store(base + 7u, f32(flags));
    store(base + 9u, select(f32(top.x), -1.0, p_empty));
    store(base + 10u, select(f32(top.y), -1.0, q_empty));
  }
}
