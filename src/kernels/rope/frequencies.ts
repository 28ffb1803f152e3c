// RoPE's inverse frequencies, computed as Hugging Face transformers computes them, and the table
// the shader turns them into angles with.
//
// transformers (_compute_default_rope_parameters):
//   inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
// every step in f32: the exponent 2i/dim is an f32 division, base ** e an f32 pow, 1 / x an f32
// division. We emulate each step with Math.fround around the exact f64 operation (correctly
// rounded; torch's powf is within 1 ulp, so a rare frequency may differ by 1 ulp from torch's).
//
// Angles. transformers forms theta = f32(p * inv_freq) and takes f32 cos/sin of it; near p = 32k
// that product is rounded to ulp(2^14) = 2^-9, i.e. up to 1e-3 rad of error before cos/sin see it.
// We instead use the exact product p * inv_freq (inv_freq being the f32 value above): the table
// stores inv_freq / (2 pi) in turns as 64-bit fixed point, the shader multiplies it by the integer
// position with 32-bit integer arithmetic modulo one turn (exact: whole turns drop out), and
// evaluates sin/cos with its own polynomials on [-pi/4, pi/4] (WGSL's sin/cos are only specified
// to 2^-11 absolute on [-pi, pi], and not at all outside). See shaders/rope.wgsl for the error.
import { KernelInputError } from '../../gpu/errors';

/** inv_freq[i] = 1 / theta^(2i / headDim) for i < headDim / 2, in f32 as transformers does. */
export function ropeInverseFrequencies(headDim: number, theta: number): Float32Array {
  if (!Number.isInteger(headDim) || headDim < 2 || headDim % 2 !== 0) {
    throw new KernelInputError(`rope: headDim must be an even integer >= 2, got ${headDim}`);
  }
  if (!(theta > 1) || !Number.isFinite(theta)) {
    throw new KernelInputError(`rope: theta (rope_theta) must be a finite number > 1, got ${theta}`);
  }
  const half = headDim / 2;
  const base = Math.fround(theta);
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    const exponent = Math.fround(Math.fround(2 * i) / headDim);
    out[i] = Math.fround(1 / Math.fround(Math.pow(base, exponent)));
  }
  return out;
}

const TWO_POW_32 = 2 ** 32;

/**
 * For each frequency, inv_freq / (2 pi) turns per position as a 64-bit binary fraction, two u32
 * words [high, low] (limited by f64: about 2^-55 turns, so p < 2^24 keeps the angle to ~1e-9 rad
 * before the shader's own rounding).
 */
export function ropeTurnTable(inverseFrequencies: Float32Array): Uint32Array<ArrayBuffer> {
  const table = new Uint32Array(inverseFrequencies.length * 2);
  inverseFrequencies.forEach((frequency, i) => {
    if (!(frequency >= 0) || !Number.isFinite(frequency)) {
      throw new KernelInputError(`rope: inverse frequency ${i} must be finite and >= 0, got ${frequency}`);
    }
    const turns = frequency / (2 * Math.PI);
    const fraction = turns - Math.floor(turns);
    const scaled = fraction * TWO_POW_32;
    const high = Math.floor(scaled);
    table[2 * i] = high >>> 0;
    table[2 * i + 1] = Math.floor((scaled - high) * TWO_POW_32) >>> 0;
  });
  return table;
}
