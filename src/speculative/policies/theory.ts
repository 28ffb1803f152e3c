// The speed-up arithmetic of speculative sampling (Leviathan, Kalman, Matias, "Fast Inference from
// Transformers via Speculative Decoding", ICML 2023; Chen et al., "Accelerating Large Language
// Model Decoding with Speculative Sampling", 2023), used to put a measured run next to the number
// the theory predicts for it.
//
// A round drafts K tokens from q; the target scores all K+1 positions in one call; draft i is
// accepted with probability min(1, p(x_i)/q(x_i)); the first rejection is replaced by a draw from
// norm(max(0, p - q)), and if all K are accepted one bonus token is drawn from p. So every round
// emits (accepted drafts) + 1 tokens for exactly one target call.
//
// If each draft is accepted independently with probability alpha (Leviathan et al., section 3):
//   E[tokens per target call] = 1 + alpha + ... + alpha^K = (1 - alpha^(K+1)) / (1 - alpha),
//   which tends to K + 1 as alpha -> 1,
// and the acceptance probability of one position, averaged over x ~ q, is
//   alpha = sum_x min(p(x), q(x)) = 1 - TV(p, q).
//
// Interpretations (ours):
// - summarizeRounds estimates alpha by maximum likelihood under that i.i.d. model: every verified
//   draft is a Bernoulli(alpha) trial, and drafts after the first rejection are never verified, so
//   alphaEstimate = accepted / (accepted + rejections). acceptanceRate = accepted / drafted is the
//   number usually displayed; it is lower whenever rounds end in a rejection, because it counts
//   the discarded tail of a round as not accepted. theoreticalTokensPerCall uses alphaEstimate.
// - A round with accepted == drafted and bonus == false emitted no extra token (generation hit its
//   length limit or an end token inside the round); a round with a rejection always emits the
//   residual draw. Ratios with an empty denominator are NaN ("not measured"), not 0.
import { checkInteger, checkUnitInterval } from './validate';

/**
 * (1 - alpha^(K+1)) / (1 - alpha): expected tokens per target call with K drafts per round and
 * i.i.d. acceptance probability alpha. alpha = 1 gives K + 1. Written with expm1/log1p so it stays
 * accurate as alpha -> 1 instead of cancelling to 0/0.
 */
export function expectedTokensPerCall(alpha: number, k: number): number {
  checkUnitInterval('expectedTokensPerCall', 'alpha (per-token acceptance probability)', alpha);
  checkInteger('expectedTokensPerCall', 'K (draft length)', k, 1);
  if (alpha === 1) return k + 1;
  const oneMinusAlpha = 1 - alpha;
  // 1 - alpha^(K+1) = -expm1((K+1) log alpha); log alpha = log1p(-(1 - alpha)); alpha = 0 gives
  // log1p(-1) = -Infinity and expm1(-Infinity) = -1, so the result is 1 as it should be.
  return -Math.expm1((k + 1) * Math.log1p(-oneMinusAlpha)) / oneMinusAlpha;
}

/** alpha = 1 - TV(p, q): the probability that speculative sampling accepts one draft from q. */
export function acceptanceFromTV(tv: number): number {
  checkUnitInterval('acceptanceFromTV', 'tv (total variation distance)', tv);
  return 1 - tv;
}

/** One speculative round as the runner saw it. */
export interface RoundSummary {
  /** Draft tokens proposed this round (0..draftLength). */
  drafted: number;
  /** Leading drafts the verifier accepted (0..drafted). */
  accepted: number;
  /** All drafts were accepted and one more token was drawn from the target (needs accepted == drafted). */
  bonus: boolean;
}

export interface RunStats {
  /** Rounds, i.e. target calls. */
  rounds: number;
  /** Tokens emitted: accepted drafts + one residual draw per rejecting round + one per bonus. */
  generated: number;
  drafted: number;
  accepted: number;
  /** accepted / drafted (NaN if nothing was drafted). */
  acceptanceRate: number;
  /** accepted / rounds: accepted drafts per round, without the residual or bonus token. */
  meanAcceptedLength: number;
  /** rounds / generated (NaN if nothing was generated). */
  targetCallsPerToken: number;
  /** expectedTokensPerCall(alphaEstimate, draftLength) (NaN if no draft was verified). */
  theoreticalTokensPerCall: number;
  /** Maximum-likelihood i.i.d. acceptance probability: accepted / (accepted + rejections). */
  alphaEstimate: number;
}

function checkRound(round: RoundSummary, index: number, draftLength: number): void {
  const where = `summarizeRounds: rounds[${index}]`;
  checkInteger(where, 'drafted', round.drafted, 0);
  checkInteger(where, 'accepted', round.accepted, 0);
  if (round.drafted > draftLength) {
    throw new RangeError(
      `${where}: drafted ${round.drafted} exceeds draftLength ${draftLength}; pass the largest K the run allowed`,
    );
  }
  if (round.accepted > round.drafted) {
    throw new RangeError(`${where}: accepted ${round.accepted} exceeds drafted ${round.drafted}`);
  }
  if (round.bonus && round.accepted !== round.drafted) {
    throw new RangeError(
      `${where}: bonus is set but only ${round.accepted} of ${round.drafted} drafts were accepted; ` +
        'the bonus token exists only when every draft is accepted',
    );
  }
}

/**
 * Totals and ratios of a run of speculative rounds, next to what the i.i.d. theory predicts for
 * the run's own estimated alpha. `draftLength` is K, the most drafts a round may hold.
 */
export function summarizeRounds(rounds: readonly RoundSummary[], draftLength: number): RunStats {
  checkInteger('summarizeRounds', 'draftLength (K)', draftLength, 1);
  let drafted = 0;
  let accepted = 0;
  let generated = 0;
  let rejections = 0;
  rounds.forEach((round, index) => {
    checkRound(round, index, draftLength);
    drafted += round.drafted;
    accepted += round.accepted;
    const rejected = round.accepted < round.drafted;
    if (rejected) rejections++;
    generated += round.accepted + (rejected || round.bonus ? 1 : 0);
  });
  const trials = accepted + rejections;
  const alphaEstimate = trials > 0 ? accepted / trials : NaN;
  return {
    rounds: rounds.length,
    generated,
    drafted,
    accepted,
    acceptanceRate: drafted > 0 ? accepted / drafted : NaN,
    meanAcceptedLength: rounds.length > 0 ? accepted / rounds.length : NaN,
    targetCallsPerToken: generated > 0 ? rounds.length / generated : NaN,
    theoreticalTokensPerCall: trials > 0 ? expectedTokensPerCall(alphaEstimate, draftLength) : NaN,
    alphaEstimate,
  };
}
