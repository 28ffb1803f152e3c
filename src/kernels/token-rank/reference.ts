// The spec of the token-rank kernel (shaders/token-rank.wgsl): where a chosen token stands in a
// row of logits, as plain loops.
//
//   rank(row, token) = 1 + #{ y : l(row, y) > l(row, token) }
//
// Conventions (shared with the shader):
// - ties share the best rank (competition ranking "1 2 2 4"): a token tied with the row's maximum
//   has rank 1 whatever its index; -0 and +0 are equal;
// - a -Infinity token ranks after every entry above -Infinity (rank = 1 + #entries > -Infinity);
// - NaN entries are never counted; a token whose own logit is NaN has rank 0 ("no rank").
// The chosen token's logit is returned beside its rank, so its probability under the row is
// exp(logit - lse) with the row's log-sum-exp (which the logit pipeline's summaries carry).

export interface RankQuery {
  /** Row of the logits buffer. */
  row: number;
  token: number;
}

export interface TokenRankResult {
  /** 1-based rank; 0 when the token's logit is NaN. */
  rank: number;
  /** The token's logit (f32). */
  logit: number;
}

/** Rank and logit of each query in row-major [rows, vocab] logits. */
export function tokenRankReference(
  logits: Float32Array,
  vocab: number,
  queries: readonly RankQuery[],
): TokenRankResult[] {
  return queries.map(({ row, token }) => {
    const base = row * vocab;
    const chosen = logits[base + token];
    if (Number.isNaN(chosen)) return { rank: 0, logit: chosen };
    let greater = 0;
    for (let y = 0; y < vocab; y++) if (logits[base + y] > chosen) greater++;
    return { rank: greater + 1, logit: chosen };
  });
}
