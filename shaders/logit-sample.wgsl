// Seeded categorical sampling from the kept set, one workgroup per (row, draw)
// (src/kernels/logits/sample.ts). Integer inverse CDF, so the token is a pure function of the
// logits and (seed, stream, counter):
//   q(y) = floor(exp(l(y) - lse) * 2^31) for kept y (key(l(y)) >= threshold), else 0
//   Q = sum q,  u = philoxBits24(seed, streamBase + row, counter + draw) in [0, 2^24)
//   r = floor(u * Q / 2^24),  token = smallest y with sum_{y' <= y} q(y') > r
// Threads own contiguous chunks so the cumulative order is the vocabulary order.
#include "float-keys.wgsl"
#include "philox.wgsl"

const SUMMARY_WORDS: u32 = 32u;
const DECISION_WORDS: u32 = 8u;
const MASS_SCALE: f32 = 2147483648.0;

struct Params {
  rows: u32,
  vocab: u32,
  draws: u32,
  streamBase: u32,
  seedLo: u32,
  seedHi: u32,
  counter: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> logits: array<u32>;        // [rows, vocab] f32 bits
@group(0) @binding(1) var<storage, read> summary: array<u32>;       // [rows, SUMMARY_WORDS]
@group(0) @binding(2) var<storage, read_write> decision: array<u32>; // [rows, DECISION_WORDS]
@group(0) @binding(3) var<storage, read_write> tokens: array<u32>;   // [rows, draws, 2]: id, logit bits
@group(0) @binding(4) var<uniform> params: Params;

override WORKGROUP_SIZE: u32 = 256u;

var<workgroup> chunkMass: array<u32, WORKGROUP_SIZE>;
var<workgroup> chunkCount: array<u32, WORKGROUP_SIZE>;
var<workgroup> sampleTarget: u32;

/** floor(a * b / 2^24) for a < 2^24, exact (64-bit product from 16-bit halves). */
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

@compute @workgroup_size(WORKGROUP_SIZE)
fn sampleTokens(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let row = wid.x;
  let draw = wid.y;
  let t = lid.x;
  let vocab = params.vocab;
  let base = row * vocab;
  let threshold = decision[row * DECISION_WORDS];
  let lse = bitcast<f32>(summary[row * SUMMARY_WORDS + 1u]);
  let chunk = (vocab + WORKGROUP_SIZE - 1u) / WORKGROUP_SIZE;
  let start = min(vocab, t * chunk);
  let end = min(vocab, start + chunk);

  var mass = 0u;
  var count = 0u;
  if (threshold != NO_TOKEN) {
    for (var i = start; i < end; i++) {
      let bits = logits[base + i];
      if (isFiniteBits(bits) && orderedKey(bits) >= threshold) {
        mass += u32(exp(bitcast<f32>(bits) - lse) * MASS_SCALE);
        count++;
      }
    }
  }
  chunkMass[t] = mass;
  chunkCount[t] = count;
  workgroupBarrier();
  let out = (row * params.draws + draw) * 2u;
  if (t == 0u) {
    var running = 0u;
    var kept = 0u;
    for (var g = 0u; g < WORKGROUP_SIZE; g++) {
      let m = chunkMass[g];
      chunkMass[g] = running;
      running += m;
      kept += chunkCount[g];
    }
    let uniform24 = philoxBits24(vec2<u32>(params.seedLo, params.seedHi), params.streamBase + row, params.counter + draw);
    sampleTarget = scaleBy24(uniform24, running);
    if (draw == 0u) {
      decision[row * DECISION_WORDS + 6u] = kept;
      decision[row * DECISION_WORDS + 7u] = running;
    }
    tokens[out] = NO_TOKEN;
    tokens[out + 1u] = NEG_INF_BITS;
    // Record the total so that threads can tell whether they own the sampleTarget.
    chunkCount[0] = running;
  }
  workgroupBarrier();
  let total = chunkCount[0];
  let before = chunkMass[t];
  if (total == 0u || sampleTarget < before || sampleTarget >= before + mass) { return; }
  var cumulative = before;
  for (var i = start; i < end; i++) {
    let bits = logits[base + i];
    if (isFiniteBits(bits) && orderedKey(bits) >= threshold) {
      cumulative += u32(exp(bitcast<f32>(bits) - lse) * MASS_SCALE);
      if (cumulative > sampleTarget) {
        tokens[out] = i;
        tokens[out + 1u] = bits;
        return;
      }
    }
  }
}
