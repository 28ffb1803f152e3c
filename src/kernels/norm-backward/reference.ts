// The spec of the norm backward kernels (./norm-backward.ts): plain loops in f64. Derivatives of
// src/kernels/norm/reference.ts (proven against its central differences in reference.test.ts):
//   g = dY * gamma, x^ = the normalized row
//   LayerNorm: dX = (1/sigma) (g - mean(g) - x^ mean(g x^)), sigma = sqrt(var + eps)
//              dGamma = sum_rows dY x^, dBeta = sum_rows dY
//   RMSNorm:   dX = (1/r) (g - x^ mean(g x^)), r = sqrt(mean(x^2) + eps); dGamma = sum_rows dY x^

export interface NormGradients {
  /** [rows, d] */
  gradInput: Float64Array;
  /** [d] */
  gradGamma: Float64Array;
  /** [d] (LayerNorm; zeros for RMSNorm) */
  gradBeta: Float64Array;
  /** [rows, d]: x^, for error bounds */
  normalized: Float64Array;
  /** [rows]: 1/sigma or 1/r */
  inverse: Float64Array;
}

/** LayerNorm when `layer`, else RMSNorm. */
export function normBackwardReference(
  layer: boolean,
  gradOutput: ArrayLike<number>,
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  rows: number,
  dim: number,
  eps: number,
): NormGradients {
  const gradInput = new Float64Array(rows * dim);
  const gradGamma = new Float64Array(dim);
  const gradBeta = new Float64Array(dim);
  const normalized = new Float64Array(rows * dim);
  const inverseOfRow = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * dim;
    let mean = 0;
    if (layer) {
      for (let i = 0; i < dim; i++) mean += x[base + i];
      mean /= dim;
    }
    let squares = 0;
    for (let i = 0; i < dim; i++) squares += (x[base + i] - mean) ** 2;
    const inverse = 1 / Math.sqrt(squares / dim + eps);
    inverseOfRow[r] = inverse;
    let meanGrad = 0;
    let meanGradDot = 0;
    for (let i = 0; i < dim; i++) {
      const xhat = (x[base + i] - mean) * inverse;
      const g = gradOutput[base + i] * gamma[i];
      normalized[base + i] = xhat;
      meanGrad += g / dim;
      meanGradDot += (g * xhat) / dim;
      gradGamma[i] += gradOutput[base + i] * xhat;
      gradBeta[i] += layer ? gradOutput[base + i] : 0;
    }
    if (!layer) meanGrad = 0;
    for (let i = 0; i < dim; i++) {
      const g = gradOutput[base + i] * gamma[i];
      gradInput[base + i] = inverse * (g - meanGrad - normalized[base + i] * meanGradDot);
    }
  }
  return { gradInput, gradGamma, gradBeta, normalized, inverse: inverseOfRow };
}
