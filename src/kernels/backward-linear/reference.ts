// The spec of the linear backward kernel (./backward-linear.ts): plain loops, f64 accumulation.
//   dX[m, k] = dX0 + sum_n dY[m, n] W(k, n);  dW(k, n) = dW0 + sum_m X[m, k] dY[m, n];
//   dBias[n] = dBias0 + sum_m dY[m, n]
// with W(k, n) = W[k N + n] ("kn") or W[n K + k] ("nk"), dW in W's layout, and the *0 terms the
// existing gradients when accumulating (else 0). Each output comes with its magnitude, the sum of
// the absolute values of its terms (existing value included), which bounds the rounding error of
// any f32 summation order (Higham, "Accuracy and Stability of Numerical Algorithms", 3.1).
import type { WeightLayout } from '../matmul/chunks';

export interface LinearBackwardInput {
  m: number;
  k: number;
  n: number;
  layout: WeightLayout;
  /** [M, N] */
  dY: Float32Array;
  /** [M, K] */
  x: Float32Array;
  /** [K, N] ("kn") or [N, K] ("nk") */
  w: Float32Array;
  /** Existing gradients to accumulate into (absent: overwrite). */
  dX0?: Float32Array;
  dW0?: Float32Array;
  dBias0?: Float32Array;
}

export interface ReferenceGradient {
  value: Float64Array;
  magnitude: Float64Array;
}

export interface LinearBackwardReference {
  dX: ReferenceGradient;
  /** In W's layout. */
  dW: ReferenceGradient;
  dBias: ReferenceGradient;
}

export function linearBackwardReference(c: LinearBackwardInput): LinearBackwardReference {
  const { m, k, n, dY, x, w } = c;
  const weightIndex = (kk: number, nn: number) => (c.layout === 'kn' ? kk * n + nn : nn * k + kk);
  const gradient = (size: number, start?: Float32Array): ReferenceGradient => ({
    value: Float64Array.from({ length: size }, (_, i) => start?.[i] ?? 0),
    magnitude: Float64Array.from({ length: size }, (_, i) => Math.abs(start?.[i] ?? 0)),
  });
  const dX = gradient(m * k, c.dX0);
  const dW = gradient(k * n, c.dW0);
  const dBias = gradient(n, c.dBias0);
  for (let mm = 0; mm < m; mm++) {
    for (let nn = 0; nn < n; nn++) {
      const g = dY[mm * n + nn];
      dBias.value[nn] += g;
      dBias.magnitude[nn] += Math.abs(g);
      for (let kk = 0; kk < k; kk++) {
        const wi = weightIndex(kk, nn);
        const toX = g * w[wi];
        dX.value[mm * k + kk] += toX;
        dX.magnitude[mm * k + kk] += Math.abs(toX);
        const toW = g * x[mm * k + kk];
        dW.value[wi] += toW;
        dW.magnitude[wi] += Math.abs(toW);
      }
    }
  }
  return { dX, dW, dBias };
}
