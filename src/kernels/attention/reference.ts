// The spec of the attention kernels: causal scaled dot-product attention with grouped-query heads,
// in plain loops with f64 arithmetic (Vaswani et al., "Attention Is All You Need", 2017, eq. 1:
// softmax(Q K^T / sqrt(d)) V; the causal mask and the KV-cache offset as in decoder-only LMs).
// Same layouts as the GPU kernels (./shape.ts):
//   Q [queries, numHeads, headDim] from queryOffset; K, V [capacity, numKvHeads, headDim] from
//   cacheOffset. Query t sits at position keys - queries + t and sees keys 0 ..= that position;
//   head h reads kv head floor(h / (numHeads / numKvHeads)).
// Outputs are dense (offset 0): O [queries, numHeads, headDim], probabilities [queries, keys].
import { resolveShape, type AttentionShape, type ResolvedShape } from './shape';

export interface AttentionHostInputs {
  query: Float32Array;
  key: Float32Array;
  value: Float32Array;
}

/** Scores of (query t, head h) over keys 0 ..= its causal limit, in f64. */
function scoreRow(inputs: AttentionHostInputs, shape: ResolvedShape, t: number, head: number): Float64Array {
  const { numHeads, numKvHeads, headDim, keys, queries } = shape;
  const limit = keys - queries + t;
  const kvHead = Math.floor(head / shape.groupSize);
  const q = shape.queryOffset + (t * numHeads + head) * headDim;
  const scores = new Float64Array(limit + 1);
  for (let j = 0; j <= limit; j++) {
    const k = shape.cacheOffset + (j * numKvHeads + kvHead) * headDim;
    let dot = 0;
    for (let d = 0; d < headDim; d++) dot += inputs.query[q + d] * inputs.key[k + d];
    scores[j] = dot * shape.scale;
  }
  return scores;
}

/** softmax in place (f64, max-subtracted). */
function softmaxInPlace(row: Float64Array): Float64Array {
  let max = -Infinity;
  for (const s of row) max = Math.max(max, s);
  let sum = 0;
  for (let j = 0; j < row.length; j++) {
    row[j] = Math.exp(row[j] - max);
    sum += row[j];
  }
  for (let j = 0; j < row.length; j++) row[j] /= sum;
  return row;
}

/** Attention probabilities of (query t, head): a row of length limit + 1. */
export function probabilityRow(
  inputs: AttentionHostInputs,
  shape: AttentionShape,
  t: number,
  head: number,
): Float64Array {
  return softmaxInPlace(scoreRow(inputs, resolveShape('attentionReference', shape), t, head));
}

/** O [queries, numHeads, headDim] (dense, f64). */
export function attentionReference(inputs: AttentionHostInputs, shape: AttentionShape): Float64Array {
  const s = resolveShape('attentionReference', shape);
  const { queries, numHeads, numKvHeads, headDim } = s;
  const out = new Float64Array(queries * numHeads * headDim);
  for (let t = 0; t < queries; t++) {
    for (let head = 0; head < numHeads; head++) {
      const p = softmaxInPlace(scoreRow(inputs, s, t, head));
      const kvHead = Math.floor(head / s.groupSize);
      const o = (t * numHeads + head) * headDim;
      for (let j = 0; j < p.length; j++) {
        const v = s.cacheOffset + (j * numKvHeads + kvHead) * headDim;
        for (let d = 0; d < headDim; d++) out[o + d] += p[j] * inputs.value[v + d];
      }
    }
  }
  return out;
}

/** Probabilities of one head, [queries, keys] (dense, f64), exactly 0 past each causal limit. */
export function attentionProbabilitiesReference(
  inputs: AttentionHostInputs,
  shape: AttentionShape,
  head: number,
): Float64Array {
  const s = resolveShape('attentionProbabilitiesReference', shape);
  const out = new Float64Array(s.queries * s.keys);
  for (let t = 0; t < s.queries; t++) out.set(softmaxInPlace(scoreRow(inputs, s, t, head)), t * s.keys);
  return out;
}
