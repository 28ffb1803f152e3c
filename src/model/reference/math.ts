// Plain-loop building blocks of the reference forward (f64 accumulation; the spec for kernels).

/** y[n] = sum_k x[k] W[k, n] (+ b[n]) for W stored [K, N] (GPT-2 Conv1D). */
export function linearKN(
  x: ArrayLike<number>,
  w: Float32Array,
  n: number,
  bias?: Float32Array,
): Float64Array {
  const k = x.length;
  const y = new Float64Array(n);
  for (let i = 0; i < k; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    const row = i * n;
    for (let j = 0; j < n; j++) y[j] += xi * w[row + j];
  }
  if (bias) for (let j = 0; j < n; j++) y[j] += bias[j];
  return y;
}

/** y[n] = sum_k x[k] W[n, k] (+ b[n]) for W stored [N, K] (nn.Linear, tied embedding heads). */
export function linearNK(
  x: ArrayLike<number>,
  w: Float32Array,
  n: number,
  bias?: Float32Array,
): Float64Array {
  const k = x.length;
  const y = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let sum = bias ? bias[j] : 0;
    const row = j * k;
    for (let i = 0; i < k; i++) sum += x[i] * w[row + i];
    y[j] = sum;
  }
  return y;
}

/** LayerNorm with biased variance: (x - mean) / sqrt(var + eps) * gamma + beta. */
export function layerNorm(
  x: ArrayLike<number>,
  gamma: Float32Array,
  beta: Float32Array,
  eps: number,
): Float64Array {
  const d = x.length;
  let mean = 0;
  for (let i = 0; i < d; i++) mean += x[i];
  mean /= d;
  let variance = 0;
  for (let i = 0; i < d; i++) variance += (x[i] - mean) ** 2;
  variance /= d;
  const scale = 1 / Math.sqrt(variance + eps);
  return Float64Array.from({ length: d }, (_, i) => (x[i] - mean) * scale * gamma[i] + beta[i]);
}

/** RMSNorm (Llama): x / sqrt(mean(x^2) + eps) * gamma. */
export function rmsNorm(x: ArrayLike<number>, gamma: Float32Array, eps: number): Float64Array {
  const d = x.length;
  let meanSquare = 0;
  for (let i = 0; i < d; i++) meanSquare += x[i] * x[i];
  meanSquare /= d;
  const scale = 1 / Math.sqrt(meanSquare + eps);
  return Float64Array.from({ length: d }, (_, i) => x[i] * scale * gamma[i]);
}

/** GELU, tanh approximation ("gelu_new" in GPT-2). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

/** Rotates one head in place by the "rotate half" convention at `position`. */
export function applyRope(
  head: Float64Array,
  offset: number,
  headDim: number,
  position: number,
  theta: number,
): void {
  const half = headDim / 2;
  for (let i = 0; i < half; i++) {
    const inverseFrequency = 1 / theta ** ((2 * i) / headDim);
    const angle = position * inverseFrequency;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    const a = head[offset + i];
    const b = head[offset + i + half];
    head[offset + i] = a * cos - b * sin;
    head[offset + i + half] = b * cos + a * sin;
  }
}

/** Softmax of `scores` in place (max-subtracted). */
export function softmaxInPlace(scores: Float64Array): void {
  let max = -Infinity;
  for (const s of scores) if (s > max) max = s;
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += scores[i] = Math.exp(scores[i] - max);
  for (let i = 0; i < scores.length; i++) scores[i] /= sum;
}
