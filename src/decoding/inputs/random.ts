// Seeded draws for the distorted inputs (diffusion noise, random transforms, noise images), built on
// the project's Philox4x32-10 (src/kernels/random/philox.ts), and the few transcendental functions
// they need, written so that every result is the same bit for bit in Node and in every browser.
//
// Why not Math.exp / Math.log / Math.cos: ECMAScript leaves them "implementation-approximated", so
// V8, SpiderMonkey and JavaScriptCore may differ in the last bit, and a different last bit can round
// an f32 pixel differently. The functions below use only +, -, *, / (exactly rounded IEEE-754 in
// every engine; JavaScript never contracts a*b+c into a fused multiply-add), Math.round / floor
// (exact) and bit-level scaling by powers of two. Math.sqrt is used as is: every engine computes it
// with the hardware's correctly rounded square root. They are accurate to a few ulp on the ranges
// used here, which is all we need: the point is that they are the same everywhere, not the last ulp.
//
// Layout of the draws: every value is a pure function of (seed, stream, counter), with
//   seed    = the Experiment's `seed` (seedFromNumber: an integer in 0..2^53-1),
//   stream  = one fixed u32 per kind of distorted input (the constants below; spelled in ASCII so
//             they sit far away from the small per-lane sampling streams the lane runner uses),
//   counter = the index of the draw inside that input (documented where it is used).
// Uniforms are philoxUniform4's 24-bit values k / 2^24 in [0, 1), as on the GPU.
import { philoxUniform4, seedFromNumber, type Seed } from '../../kernels/random/philox';

/** Stream of VCD's diffusion noise epsilon ("NOIS"). */
export const DIFFUSION_NOISE_STREAM = 0x4e4f4953;
/** Stream of RITUAL's random transform choice and parameters ("TRAN"). */
export const TRANSFORM_STREAM = 0x5452414e;
/** Stream of the pure-noise meaningless image of Debias calibration ("NULL"). */
export const MEANINGLESS_NOISE_STREAM = 0x4e554c4c;

const LN2_HI = 6.9314718036912381649e-1; // fdlibm's split of ln 2: LN2_HI * k is exact for |k| < 2^20
const LN2_LO = 1.9082149292705877e-10;
const TWO_PI = 6.283185307179586;

/** 1/n! for n = 0..20, computed by division at load time (deterministic everywhere). */
const INVERSE_FACTORIALS: number[] = [1];
for (let n = 1; n <= 20; n++) INVERSE_FACTORIALS.push(INVERSE_FACTORIALS[n - 1] / n);

const scaleView = new DataView(new ArrayBuffer(8));

/** x * 2^k, exactly while the result stays a normal double (k an integer). */
function timesPowerOfTwo(x: number, k: number): number {
  let result = x;
  let remaining = k;
  // Split into steps whose power of two is itself a normal double.
  while (remaining !== 0) {
    const step = Math.max(-1000, Math.min(1000, remaining));
    scaleView.setUint32(0, (step + 1023) << 20);
    scaleView.setUint32(4, 0);
    result *= scaleView.getFloat64(0);
    remaining -= step;
  }
  return result;
}

/** e^x with the same bits in every engine: e^x = 2^k e^r, |r| <= ln2/2, e^r by its Taylor series. */
export function portableExp(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x > 709.7) return Infinity;
  if (x < -745.2) return 0;
  const k = Math.round(x / LN2_HI);
  const r = x - k * LN2_HI - k * LN2_LO;
  let sum = INVERSE_FACTORIALS[16];
  for (let n = 15; n >= 0; n--) sum = sum * r + INVERSE_FACTORIALS[n];
  return timesPowerOfTwo(sum, k);
}

/**
 * ln x for finite x > 0 with the same bits in every engine: x = m 2^e with m in [sqrt(1/2), sqrt(2)),
 * ln m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...) with s = (m - 1) / (m + 1), |s| < 0.172.
 */
export function portableLog(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) {
    throw new RangeError(`portableLog: the argument must be a finite number > 0, got ${String(x)}`);
  }
  let value = x;
  let exponent = 0;
  if (value < 2.2250738585072014e-308) {
    value = timesPowerOfTwo(value, 54); // subnormal: make it normal first
    exponent = -54;
  }
  scaleView.setFloat64(0, value);
  const high = scaleView.getUint32(0);
  exponent += ((high >>> 20) & 0x7ff) - 1023;
  scaleView.setUint32(0, (high & 0x800fffff) | (1023 << 20)); // same mantissa, exponent 0: m in [1, 2)
  let m = scaleView.getFloat64(0);
  if (m > Math.SQRT2) {
    m /= 2;
    exponent += 1;
  }
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let series = 1 / 25;
  for (let d = 23; d >= 1; d -= 2) series = series * s2 + 1 / d;
  return exponent * LN2_HI + (2 * s * series + exponent * LN2_LO);
}

/**
 * [sin, cos] of the angle `turns` full turns (2 pi turns radians), the same in every engine: the
 * nearest quarter turn is removed exactly, the rest (at most 1/8 turn) goes through Taylor series.
 * Whole quarter turns give exact results (sin of a quarter turn is exactly 1, not 1 - 1e-16).
 */
export function portableSinCosTurns(turns: number): [number, number] {
  if (!Number.isFinite(turns)) {
    throw new RangeError(`portableSinCosTurns: the angle must be finite, got ${String(turns)} turns`);
  }
  const quarter = Math.round(4 * turns);
  const r = (turns - quarter / 4) * TWO_PI;
  const r2 = r * r;
  let sinSeries = INVERSE_FACTORIALS[19];
  for (let n = 17; n >= 1; n -= 2) sinSeries = INVERSE_FACTORIALS[n] - r2 * sinSeries;
  let cosSeries = INVERSE_FACTORIALS[20];
  for (let n = 18; n >= 0; n -= 2) cosSeries = INVERSE_FACTORIALS[n] - r2 * cosSeries;
  const sin = r * sinSeries;
  const cos = cosSeries;
  switch (((quarter % 4) + 4) % 4) {
    case 0:
      return [sin, cos];
    case 1:
      return [cos, -sin];
    case 2:
      return [-sin, -cos];
    default:
      return [-cos, sin];
  }
}

/** The Philox seed of an Experiment seed; RangeError naming the value when it is not one. */
export function inputSeed(what: string, seed: number): Seed {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(
      `${what}: seed must be an integer in 0..2^53-1 (the Experiment's seed), got ${String(seed)}`,
    );
  }
  return seedFromNumber(seed);
}

/**
 * Fills `out` with standard normal draws by Box-Muller on Philox uniforms. Element i comes from
 * counter floor(i / 4) of (seed, stream): with (u0, u1, u2, u3) that counter's four uniforms,
 *   out[4c]     = sqrt(-2 ln(1 - u0)) cos(2 pi u1),   out[4c + 1] = sqrt(-2 ln(1 - u0)) sin(2 pi u1),
 *   out[4c + 2] = sqrt(-2 ln(1 - u2)) cos(2 pi u3),   out[4c + 3] = sqrt(-2 ln(1 - u2)) sin(2 pi u3).
 * 1 - u keeps the logarithm's argument in (0, 1]; with 24-bit uniforms |z| <= sqrt(48 ln 2) = 5.77.
 * The layout (the same as src/training/random.ts's fillNormal) makes element i independent of the
 * array's length; the arithmetic is double precision, rounded once into `out`.
 */
export function fillStandardNormal(out: Float32Array | Float64Array, seed: Seed, stream: number): void {
  const u = new Float32Array(4);
  for (let counter = 0; counter * 4 < out.length; counter++) {
    philoxUniform4(seed, stream, counter, u);
    for (let pair = 0; pair < 2; pair++) {
      const radius = Math.sqrt(-2 * portableLog(1 - u[2 * pair]));
      const [sin, cos] = portableSinCosTurns(u[2 * pair + 1]);
      const i = counter * 4 + pair * 2;
      if (i < out.length) out[i] = radius * cos;
      if (i + 1 < out.length) out[i + 1] = radius * sin;
    }
  }
}
