// Philox4x32-10, the counter-based random generator of
//   J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw,
//   "Parallel Random Numbers: As Easy as 1, 2, 3", SC'11 (Random123).
// This is the CPU spec; shaders/philox.wgsl is its twin and agrees bit for bit.
//
// Mapping used by the whole project (a draw is a pure function of these three numbers):
//   words(seed, stream, counter) = philox4x32_10(counter = [counter, stream, 0, 0], key = [seed.lo, seed.hi])
//   philoxBits    = words[0]                      (u32)
//   philoxBits24  = words[0] >>> 8                (24-bit integer)
//   philoxUniform = philoxBits24 / 2^24           (in [0, 1); exact in f32, so GPU and CPU agree)
//   philoxUniform4 = all four words converted the same way
//
// One round, with M0 = 0xD2511F53, M1 = 0xCD9E8D57:
//   (hi0, lo0) = M0 * x0,  (hi1, lo1) = M1 * x2    (full 64-bit products)
//   x' = [hi1 ^ x1 ^ k0,  lo1,  hi0 ^ x3 ^ k1,  lo0]
// The key is bumped by the Weyl constants (0x9E3779B9, 0xBB67AE85) before rounds 2..10.
// Known-answer vectors from Random123's tests/kat_vectors are checked in philox.test.ts.

/** A 64-bit seed as two u32 words: seed = hi * 2^32 + lo. It is the Philox key [lo, hi]. */
export interface Seed {
  lo: number;
  hi: number;
}

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO_POW_32 = 0x1_0000_0000;
const INV_TWO_POW_24 = 1 / 16777216;

/** A seed from a non-negative integer up to 2^53 - 1 (the integers a JS number holds exactly). */
export function seedFromNumber(n: number): Seed {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(
      `seedFromNumber: seed must be an integer in 0..2^53-1 (${Number.MAX_SAFE_INTEGER}), got ${String(n)}. ` +
        'Use a whole number such as 42, or build a Seed {lo, hi} from two u32 words directly.',
    );
  }
  return { lo: n % TWO_POW_32, hi: Math.floor(n / TWO_POW_32) };
}

function isU32(value: number): boolean {
  return value >>> 0 === value;
}

function assertU32(what: string, value: number): void {
  if (!isU32(value)) {
    throw new RangeError(`${what} must be an integer in 0..2^32-1, got ${String(value)}`);
  }
}

/**
 * High 32 bits of a * b for u32 a, b. Splitting a into 16-bit halves keeps every partial product
 * below 2^49, so doubles hold them exactly (the WGSL twin splits both factors instead).
 */
function mulHi(a: number, b: number): number {
  const low = (a & 0xffff) * b; // < 2^48
  const high = (a >>> 16) * b + Math.floor(low / 65536); // a * b = high * 2^16 + (low mod 2^16)
  return Math.floor(high / 65536) >>> 0;
}

// Scratch words for the single-word helpers, so the hot path allocates nothing.
const scratch = new Uint32Array(4);

function philoxInto(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array,
) {
  let x0 = c0;
  let x1 = c1;
  let x2 = c2;
  let x3 = c3;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulHi(M0, x0);
    const lo0 = Math.imul(M0, x0) >>> 0;
    const hi1 = mulHi(M1, x2);
    const lo1 = Math.imul(M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ k0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ k1) >>> 0;
    x3 = lo0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

/**
 * Philox4x32-10 of a 4-word counter under a 2-word key (all u32). `out` lets loops reuse one
 * array; without it a new one is returned.
 */
export function philox4x32_10(
  counter: ArrayLike<number>,
  key: ArrayLike<number>,
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  if (counter.length !== 4 || key.length !== 2) {
    throw new RangeError(
      `philox4x32_10 takes 4 counter words and 2 key words, got ${counter.length} and ${key.length}`,
    );
  }
  for (let i = 0; i < 4; i++) assertU32(`philox4x32_10 counter[${i}]`, counter[i]);
  for (let i = 0; i < 2; i++) assertU32(`philox4x32_10 key[${i}]`, key[i]);
  philoxInto(counter[0], counter[1], counter[2], counter[3], key[0], key[1], out);
  return out;
}

function philoxWords(seed: Seed, stream: number, counter: number, out: Uint32Array): Uint32Array {
  if (!isU32(seed.lo) || !isU32(seed.hi) || !isU32(stream) || !isU32(counter)) {
    assertU32('seed.lo', seed.lo);
    assertU32('seed.hi', seed.hi);
    assertU32('stream', stream);
    assertU32('counter', counter);
  }
  philoxInto(counter, stream, 0, 0, seed.lo, seed.hi, out);
  return out;
}

/** The four raw words for (seed, stream, counter); same as WGSL philox4x32_10(vec4(counter, stream, 0, 0), seed). */
export function philoxWords4(
  seed: Seed,
  stream: number,
  counter: number,
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  return philoxWords(seed, stream, counter, out);
}

/** First word of philox4x32_10([counter, stream, 0, 0], [seed.lo, seed.hi]): a u32. */
export function philoxBits(seed: Seed, stream: number, counter: number): number {
  return philoxWords(seed, stream, counter, scratch)[0];
}

/** philoxBits >>> 8: a uniform integer in 0..2^24-1 (exact integer sampling). */
export function philoxBits24(seed: Seed, stream: number, counter: number): number {
  return philoxBits(seed, stream, counter) >>> 8;
}

/** philoxBits24 / 2^24: uniform in [0, 1), exactly representable in f32. */
export function philoxUniform(seed: Seed, stream: number, counter: number): number {
  return philoxBits24(seed, stream, counter) * INV_TWO_POW_24;
}

/** All four words converted like philoxUniform. */
export function philoxUniform4(
  seed: Seed,
  stream: number,
  counter: number,
  out: Float32Array = new Float32Array(4),
): Float32Array {
  const words = philoxWords(seed, stream, counter, scratch);
  for (let i = 0; i < 4; i++) out[i] = (words[i] >>> 8) * INV_TWO_POW_24;
  return out;
}
