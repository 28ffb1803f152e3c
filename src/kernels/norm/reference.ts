// The spec of the norm kernels (./norm.ts): plain loops in f64.
//   LayerNorm: y = (x - mean) / sqrt(var + eps) * gamma + beta, var = mean((x - mean)^2)
//   RMSNorm:   y = x / sqrt(mean(x^2) + eps) * gamma
//   residual variants: x = residual + delta (rounded to f32, as the kernel stores it), then norm(x).

/** [rows, d] -> [rows, d]. */
export function layerNormReference(
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  rows: number,
  dim: number,
  eps: number,
): Float64Array {
  const out = new Float64Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const base = r * dim;
    let sum = 0;
    for (let i = 0; i < dim; i++) sum += x[base + i];
    const mean = sum / dim;
    let squares = 0;
    for (let i = 0; i < dim; i++) squares += (x[base + i] - mean) ** 2;
    const inverse = 1 / Math.sqrt(squares / dim + eps);
    for (let i = 0; i < dim; i++) out[base + i] = (x[base + i] - mean) * inverse * gamma[i] + beta[i];
  }
  return out;
}

/** [rows, d] -> [rows, d]. */
export function rmsNormReference(
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  rows: number,
  dim: number,
  eps: number,
): Float64Array {
  const out = new Float64Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const base = r * dim;
    let squares = 0;
    for (let i = 0; i < dim; i++) squares += x[base + i] ** 2;
    const inverse = 1 / Math.sqrt(squares / dim + eps);
    for (let i = 0; i < dim; i++) out[base + i] = x[base + i] * inverse * gamma[i];
  }
  return out;
}

/** The residual stream after the fused add, as the kernel writes it: f32(residual + delta). */
export function residualAddReference(residual: Float32Array, delta: Float32Array): Float32Array {
  return Float32Array.from(residual, (value, i) => value + delta[i]);
}
