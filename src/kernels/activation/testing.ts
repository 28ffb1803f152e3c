// Shared by the activation tests and Kernel checks: the hard inputs and the error bounds.
import { gaussian, seededRandom } from '../../testing/logits';

const U = 2 ** -24;
const GELU_SCALE = Math.sqrt(2 / Math.PI);

/** Points where GELU / SiLU are hard: 0 and -0, the tails (where exp overflows), x^3 overflow. */
export const SPECIAL_INPUTS = [
  0, -0, 1e-30, -1e-30, 1, -1, 3, -3, 5, -5, 9, -9, 10, -10, 20, -20, 44, -44, 88, -88, 100, -100, 1e4, -1e4,
  1e13, -1e13, 3e38, -3e38,
];

/** SPECIAL_INPUTS followed by seeded N(0, scale^2) values, `count` in all (f32). */
export function activationInputs(seed: number, count: number, scale = 4): Float32Array {
  const random = seededRandom(seed);
  const data = Float32Array.from({ length: count }, () => scale * gaussian(random));
  data.set(SPECIAL_INPUTS.slice(0, count));
  return data;
}

/**
 * x / (1 + exp(-a)) with a = x (SiLU) or 2u (GELU): WGSL's exp is accurate to 3 + 2|a| ulp, the
 * f32 evaluation of a (x^3 for GELU) adds ~3u|a| to the argument, the division and sum 2u; so
 * |gpu - ref| <= (6 + 5|a|) u |ref|. WGSL's x / y is only specified for |y| <= 2^126, and GPUs
 * return 0 beyond (1 + exp(-a) > 8.5e37 once a < -87.3): there the result is below |x| 2^-126,
 * so an absolute floor of max(1, |x|) 2^-125 covers it (and flushed subnormals).
 */
export function sigmoidFormBound(argument: number, expected: number, x: number): number {
  const a = Math.abs(argument);
  const floor = Math.max(1, Math.abs(x)) * 2 ** -125;
  return Number.isFinite(a) ? (6 + 5 * a) * U * Math.abs(expected) + floor : floor;
}

export function geluArgument(x: number): number {
  return 2 * GELU_SCALE * (x + 0.044715 * x * x * x);
}

export interface BoundCheck {
  failures: number;
  first: string;
  worstRatio: number;
}

/** Element-wise |got - want| <= bound(i); NaN never passes. */
export function checkBounded(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  bound: (i: number) => number,
): BoundCheck {
  let failures = 0;
  let first = '';
  let worstRatio = 0;
  for (let i = 0; i < want.length; i++) {
    const ratio = got[i] === want[i] ? 0 : Math.abs(got[i] - want[i]) / bound(i);
    worstRatio = Math.max(worstRatio, Number.isNaN(ratio) ? Infinity : ratio);
    if (!(ratio <= 1) && failures++ === 0) first = `[${i}] GPU ${got[i]} vs ref ${want[i]}`;
  }
  return { failures, first, worstRatio };
}
