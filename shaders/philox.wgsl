// Philox4x32-10, the counter-based random generator of
//   J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw,
//   "Parallel Random Numbers: As Easy as 1, 2, 3", SC'11 (Random123).
// Shared snippet: no bindings, no entry points. Pull it in with `#include "philox.wgsl"`.
// Its TypeScript twin, src/kernels/random/philox.ts, is the spec; both agree bit for bit
// (tested in src/kernels/random/random.gpu.test.ts).
//
// Mapping used by the whole project:
//   words(seed, stream, counter) = philox4x32_10(vec4(counter, stream, 0, 0), key = seed)
//   where seed = vec2(lo, hi) is the 64-bit seed hi * 2^32 + lo.
//   philoxBits    = words.x                      (u32)
//   philoxBits24  = words.x >> 8                 (24-bit integer)
//   philoxUniform = f32(philoxBits24) / 2^24     (in [0, 1), exact in f32)
//
// One round (Random123 philox4x32round), with M0 = 0xD2511F53, M1 = 0xCD9E8D57:
//   (hi0, lo0) = M0 * x0,  (hi1, lo1) = M1 * x2       (full 64-bit products)
//   x' = (hi1 ^ x1 ^ k0,  lo1,  hi0 ^ x3 ^ k1,  lo0)
// The key is bumped by the Weyl constants (0x9E3779B9, 0xBB67AE85) before rounds 2..10.
// Helpers and constants carry a `philox`/`PHILOX_` prefix so they never clash with the includer.

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;

// High 32 bits of the 64-bit product a * b. WGSL has no 64-bit integers, so the product is
// assembled from four 16x16-bit partial products, each of which fits in a u32.
fn philoxMulHi(a: u32, b: u32) -> u32 {
  let aLo = a & 0xFFFFu;
  let aHi = a >> 16u;
  let bLo = b & 0xFFFFu;
  let bHi = b >> 16u;
  let loLo = aLo * bLo;
  let hiLo = aHi * bLo;
  let loHi = aLo * bHi;
  let hiHi = aHi * bHi;
  // Bits 16..47 of the product: at most 3 * 0xFFFF, so the sum cannot wrap.
  let middle = (loLo >> 16u) + (hiLo & 0xFFFFu) + (loHi & 0xFFFFu);
  return hiHi + (hiLo >> 16u) + (loHi >> 16u) + (middle >> 16u);
}

fn philoxRound(x: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  let hi0 = philoxMulHi(PHILOX_M0, x.x);
  let lo0 = PHILOX_M0 * x.x; // u32 multiplication wraps: the low 32 bits
  let hi1 = philoxMulHi(PHILOX_M1, x.z);
  let lo1 = PHILOX_M1 * x.z;
  return vec4<u32>(hi1 ^ x.y ^ key.x, lo1, hi0 ^ x.w ^ key.y, lo0);
}

fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var x = philoxRound(counter, key);
  var k = key;
  for (var i = 1u; i < 10u; i++) {
    k += vec2<u32>(PHILOX_W0, PHILOX_W1);
    x = philoxRound(x, k);
  }
  return x;
}

fn philoxBits(seed: vec2<u32>, stream: u32, counter: u32) -> u32 {
  return philox4x32_10(vec4<u32>(counter, stream, 0u, 0u), seed).x;
}

fn philoxBits24(seed: vec2<u32>, stream: u32, counter: u32) -> u32 {
  return philoxBits(seed, stream, counter) >> 8u;
}

// 24 bits, not 32: every value k / 2^24 is exact in f32, so no rounding can differ between
// TypeScript and any GPU, and 1.0 is never produced.
fn philoxUniform(seed: vec2<u32>, stream: u32, counter: u32) -> f32 {
  return f32(philoxBits24(seed, stream, counter)) * (1.0 / 16777216.0);
}

fn philoxUniform4(seed: vec2<u32>, stream: u32, counter: u32) -> vec4<f32> {
  let words = philox4x32_10(vec4<u32>(counter, stream, 0u, 0u), seed);
  return vec4<f32>(words >> vec4<u32>(8u)) * (1.0 / 16777216.0);
}
