// The inspector's record of one token (TokenRecord in src/share/trace.ts), from the fused step's
// summaries and the lane inspection (ranks, divergences). Pure: no GPU.
//
// Conventions:
// - A component's probabilities are softmax of its logits: top-10 exp(l - lse) from its summary;
//   the chosen token's probability exp(l_chosen - lse) from the rank kernel's logit (0 for -Inf).
// - Ranks: 1 + #{y : l(y) > l(chosen)}; ties share the best rank (src/kernels/token-rank/).
// - The combined distribution is the one the token was drawn from: combination, plausibility mask
//   and temperature, then the sampling filters (top-k, top-p, min-p). Its top-10 keeps the tokens
//   the filters kept, renormalised over the kept set, and its chosen probability is the fused
//   step's. Its entropy is that of the distribution *before* the sampling filters (the fused
//   step's summary; the filters only set a threshold, the kept set's size is in `extra`). Greedy
//   steps have no filters; their chosen token is the combined argmax, so its rank is 1.
import type { DivergenceResult } from '../../kernels/divergence/divergence';
import type { StepRow } from '../../kernels/logits/fused';
import { MASS_SCALE, orderedKey, type RowSummary } from '../../kernels/logits/layout';
import type { TokenRankResult } from '../../kernels/token-rank/token-rank';
import type { DistributionSummary, PairDivergence } from '../../share/trace';
import type { StepDecision } from '../methods/types';

/** One component's summary with the chosen token's rank and probability under it. */
export function distributionSummary(
  label: string,
  summary: RowSummary,
  chosen: TokenRankResult,
): DistributionSummary {
  return {
    label,
    top: summary.top.map((entry) => [entry.id, entry.prob]),
    entropy: summary.entropy,
    chosenProbability: chosen.logit === -Infinity ? 0 : Math.exp(chosen.logit - summary.lse),
    chosenRank: chosen.rank,
  };
}

/** The combined (final) distribution; `rank` is the chosen token's rank in the combined scores. */
export function combinedSummary(row: StepRow, rank: number): DistributionSummary {
  const { combined, decision } = row;
  let top: [number, number][] = combined.top.map((entry) => [entry.id, entry.prob]);
  if (decision) {
    const keptFraction = decision.keptMass / MASS_SCALE;
    top = combined.top
      .filter((entry) => orderedKey(entry.logit) >= decision.thresholdKey)
      .map((entry) => [entry.id, entry.prob / keptFraction]);
  }
  return {
    label: 'combined',
    top,
    entropy: combined.entropy,
    chosenProbability: row.tokenProbs[0],
    chosenRank: rank,
  };
}

export function pairDivergences(divergences: readonly DivergenceResult[]): PairDivergence[] {
  return divergences.map((d, k) => ({ a: 0, b: k + 1, klAB: d.klPQ, klBA: d.klQP, js: d.js }));
}

/** The decision of a fused combination step. */
export function combinationDecision(
  labels: readonly string[],
  row: StepRow,
  ranks: readonly TokenRankResult[],
  combinedRank: number,
  divergences: readonly DivergenceResult[],
): StepDecision {
  const token = row.tokens[0];
  const record: StepDecision['record'] = {
    components: labels.map((label, j) => distributionSummary(label, row.inputs[j], ranks[j])),
    combined: combinedSummary(row, combinedRank),
    plausibleCount: row.plausibleCount,
    divergences: pairDivergences(divergences),
    changedByMethod: token !== row.inputs[0].argmax,
  };
  if (row.decision) record.extra = { keptTokens: row.decision.keptCount };
  return { token, record };
}
