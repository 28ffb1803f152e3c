// The spec of the activation backward kernels (./activation-backward.ts), in f64: derivatives of
// src/kernels/activation/reference.ts (proven against its central differences in reference.test.ts).
//   gelu'(x)  = s + x 2u'(x) s (1 - s),  s = sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3)
//   silu'(x)  = sigmoid(x) (1 + x (1 - sigmoid(x)))
//   swiglu:     dGate = dOut up silu'(gate),  dUp = dOut silu(gate)

import { siluReference } from '../activation/reference';

const GELU_SCALE = Math.sqrt(2 / Math.PI);

/** s (1 - s) = t / (1 + t)^2 with t = exp(-|a|): exact in form for every a, no inf * 0. */
function sigmoidSlope(argument: number): number {
  const t = Math.exp(-Math.abs(argument));
  return t / ((1 + t) * (1 + t));
}

export function geluDerivativeReference(x: number): number {
  const twiceU = 2 * GELU_SCALE * (x + 0.044715 * x * x * x);
  const s = 1 / (1 + Math.exp(-twiceU));
  const slope = sigmoidSlope(twiceU);
  // x 2u'(x) overflows f64 only for |x| > 1e102, where slope is exactly 0.
  return slope === 0 ? s : s + x * 2 * GELU_SCALE * (1 + 3 * 0.044715 * x * x) * slope;
}

export function siluDerivativeReference(x: number): number {
  const s = 1 / (1 + Math.exp(-x));
  const complement = 1 / (1 + Math.exp(x)); // 1 - s without cancellation
  return s * (1 + x * complement);
}

/** dX [n] = dY [n] * op'(x [n]). */
export function unaryBackwardReference(
  op: 'gelu' | 'silu',
  input: ArrayLike<number>,
  gradOutput: ArrayLike<number>,
): Float64Array {
  const derivative = op === 'gelu' ? geluDerivativeReference : siluDerivativeReference;
  return Float64Array.from(input, (x, i) => gradOutput[i] * derivative(x));
}

/** Gradient [rows, 2I] in the packed layout (dGate columns 0..I-1, dUp I..2I-1) from packed gate/up [rows, 2I] and dOut [rows, I]. */
export function swigluBackwardReference(
  packed: ArrayLike<number>,
  gradOutput: ArrayLike<number>,
  rows: number,
  intermediate: number,
): Float64Array {
  const out = new Float64Array(rows * 2 * intermediate);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < intermediate; j++) {
      const gateIndex = r * 2 * intermediate + j;
      const gate = packed[gateIndex];
      const up = packed[gateIndex + intermediate];
      const dOut = gradOutput[r * intermediate + j];
      out[gateIndex] = dOut * up * siluDerivativeReference(gate);
      out[gateIndex + intermediate] = dOut * siluReference(gate);
    }
  }
  return out;
}
