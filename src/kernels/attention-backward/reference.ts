// The spec of the attention backward kernel (./attention-backward.ts): plain loops in f64.
// Causal scaled dot-product attention of one whole sequence with grouped-query heads:
//   Q, dO [T, H, D]; K, V [T, Hkv, D]; head h reads kv head floor(h / (H / Hkv)); scale 1/sqrt(D).
//   P  = softmax(Q K^T scale + causal mask)
//   O  = P V
//   dV = P^T dO,  dP = dO V^T,  dS = P * (dP - rowsum(dO * O)),  dQ = dS K scale,  dK = dS^T Q scale
// with dK, dV summed over the query heads sharing a kv head. Checked against finite differences of
// the engine's forward spec (src/kernels/attention/reference.ts) in reference.test.ts.

export interface AttentionBackwardShape {
  /** T, the sequence length (queries and keys: training runs whole sequences). */
  tokens: number;
  /** H, query heads. */
  numHeads: number;
  /** Hkv, key/value heads; divides H. */
  numKvHeads: number;
  /** D, the head dimension. */
  headDim: number;
  /** B, sequences of T tokens each laid out back to back (the kernel only; default 1). */
  batch?: number;
}

export interface AttentionBackwardInputs {
  query: ArrayLike<number>;
  key: ArrayLike<number>;
  value: ArrayLike<number>;
  outputGradient: ArrayLike<number>;
}

export interface AttentionGradients {
  query: Float64Array;
  key: Float64Array;
  value: Float64Array;
}

export function attentionBackwardReference(
  inputs: AttentionBackwardInputs,
  shape: AttentionBackwardShape,
): AttentionGradients {
  const { tokens: T, numHeads: H, numKvHeads: Hkv, headDim: D } = shape;
  const group = H / Hkv;
  const scale = 1 / Math.sqrt(D);
  const { query: q, key: k, value: v, outputGradient: dO } = inputs;
  const dQ = new Float64Array(T * H * D);
  const dK = new Float64Array(T * Hkv * D);
  const dV = new Float64Array(T * Hkv * D);
  const qAt = (i: number, h: number) => (i * H + h) * D;
  const kvAt = (j: number, g: number) => (j * Hkv + g) * D;
  for (let h = 0; h < H; h++) {
    const g = Math.floor(h / group);
    for (let i = 0; i < T; i++) {
      // P_i over keys 0..i
      const p = new Float64Array(i + 1);
      let largest = -Infinity;
      for (let j = 0; j <= i; j++) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[qAt(i, h) + d] * k[kvAt(j, g) + d];
        p[j] = dot * scale;
        largest = Math.max(largest, p[j]);
      }
      let sum = 0;
      for (let j = 0; j <= i; j++) sum += p[j] = Math.exp(p[j] - largest);
      for (let j = 0; j <= i; j++) p[j] /= sum;
      // O_i = P_i V, then rowsum(dO_i * O_i)
      let rowsum = 0;
      for (let d = 0; d < D; d++) {
        let o = 0;
        for (let j = 0; j <= i; j++) o += p[j] * v[kvAt(j, g) + d];
        rowsum += dO[qAt(i, h) + d] * o;
      }
      for (let j = 0; j <= i; j++) {
        let dP = 0;
        for (let d = 0; d < D; d++) dP += dO[qAt(i, h) + d] * v[kvAt(j, g) + d];
        const dS = p[j] * (dP - rowsum);
        for (let d = 0; d < D; d++) {
          dV[kvAt(j, g) + d] += p[j] * dO[qAt(i, h) + d];
          dQ[qAt(i, h) + d] += dS * k[kvAt(j, g) + d] * scale;
          dK[kvAt(j, g) + d] += dS * q[qAt(i, h) + d] * scale;
        }
      }
    }
  }
  return { query: dQ, key: dK, value: dV };
}
