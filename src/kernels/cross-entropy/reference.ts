// The spec of the cross-entropy kernel (./cross-entropy.ts), plain loops in f64:
//   mx = max_v l[v], s = sum_v exp(l[v] - mx), L = log s
//   logp = (l[target] - mx) - L
//   grad[v] = w (onehot(target)[v] - exp((l[v] - mx) - L))   (w = 0: exactly 0)
// A target outside 0..vocab-1 gives logp NaN and a zero gradient row.

export interface CrossEntropyReference {
  /** [tokens] */
  logProbs: Float64Array;
  /** [tokens, vocab], dLoss/dlogits for Loss = sum_t w_t logp_t. */
  gradient: Float64Array;
  /** [tokens] row max and log s, for the error bounds. */
  rowMax: Float64Array;
  logSum: Float64Array;
}

export function crossEntropyReference(
  logits: Float32Array,
  targets: ArrayLike<number>,
  weights: ArrayLike<number>,
  tokens: number,
  vocab: number,
): CrossEntropyReference {
  const out: CrossEntropyReference = {
    logProbs: new Float64Array(tokens),
    gradient: new Float64Array(tokens * vocab),
    rowMax: new Float64Array(tokens),
    logSum: new Float64Array(tokens),
  };
  for (let t = 0; t < tokens; t++) {
    const base = t * vocab;
    let mx = -Infinity;
    for (let v = 0; v < vocab; v++) mx = Math.max(mx, logits[base + v]);
    let s = 0;
    for (let v = 0; v < vocab; v++) s += Math.exp(logits[base + v] - mx);
    const logSum = Math.log(s);
    out.rowMax[t] = mx;
    out.logSum[t] = logSum;
    const target = targets[t];
    const valid = Number.isInteger(target) && target >= 0 && target < vocab;
    out.logProbs[t] = valid ? logits[base + target] - mx - logSum : NaN;
    const w = weights[t];
    if (!valid || w === 0) continue;
    for (let v = 0; v < vocab; v++) {
      const p = Math.exp(logits[base + v] - mx - logSum);
      out.gradient[base + v] = w * ((v === target ? 1 : 0) - p);
    }
  }
  return out;
}
