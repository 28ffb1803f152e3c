// The spec of the matmul kernel (./matmul.ts): plain loops, f64 accumulation.
//   Y[m, n] = (accumulate ? Y0[m, n] : 0) + act(sum_k X[m, k] W(k, n) + bias[n])
// W(k, n) = W[k * N + n] for "kn" and W[n * K + k] for "nk". Alongside Y it returns
// magnitude[m, n] = sum_k |X[m, k] W(k, n)| + |bias[n]|, which bounds any f32 evaluation order's
// rounding error: |fl(y) - y| <= gamma_K * magnitude with gamma_K = K u / (1 - K u), u = 2^-24
// (Higham, "Accuracy and Stability of Numerical Algorithms", 3.1).
import { geluReference } from '../activation/reference';
import type { WeightLayout } from './chunks';

export interface MatmulReferenceInput {
  x: Float32Array;
  w: Float32Array;
  layout: WeightLayout;
  m: number;
  k: number;
  n: number;
  bias?: Float32Array;
  activation?: 'none' | 'gelu';
  /** Y before the call, when accumulating. */
  accumulateInto?: Float32Array;
}

export interface MatmulReferenceOutput {
  y: Float64Array;
  /** Pre-activation sums, for error bounds through the activation. */
  preActivation: Float64Array;
  magnitude: Float64Array;
}

export function matmulReference(input: MatmulReferenceInput): MatmulReferenceOutput {
  const { x, w, layout, m, k, n, bias, activation = 'none', accumulateInto } = input;
  const y = new Float64Array(m * n);
  const preActivation = new Float64Array(m * n);
  const magnitude = new Float64Array(m * n);
  // Row of X times W, accumulated over k in the loop order that streams W (both layouts).
  const sums = new Float64Array(n);
  const absSums = new Float64Array(n);
  for (let row = 0; row < m; row++) {
    sums.fill(0);
    absSums.fill(0);
    for (let kk = 0; kk < k; kk++) {
      const xv = x[row * k + kk];
      for (let col = 0; col < n; col++) {
        const product = xv * (layout === 'kn' ? w[kk * n + col] : w[col * k + kk]);
        sums[col] += product;
        absSums[col] += Math.abs(product);
      }
    }
    for (let col = 0; col < n; col++) {
      const b = bias ? bias[col] : 0;
      const pre = sums[col] + b;
      const index = row * n + col;
      preActivation[index] = pre;
      magnitude[index] = absSums[col] + Math.abs(b);
      const activated = activation === 'gelu' ? geluReference(pre) : pre;
      y[index] = (accumulateInto ? accumulateInto[index] : 0) + activated;
    }
  }
  return { y, preActivation, magnitude };
}

/** The JS baseline of the bench: the same product in f32 arrays, i-k-j loop order. y is [M, N]. */
export function matmulJsLoop(
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  m: number,
  k: number,
  n: number,
): void {
  y.fill(0, 0, m * n);
  for (let row = 0; row < m; row++) {
    const out = row * n;
    for (let kk = 0; kk < k; kk++) {
      const xv = x[row * k + kk];
      const wRow = kk * n;
      for (let col = 0; col < n; col++) y[out + col] += xv * w[wRow + col];
    }
  }
}
