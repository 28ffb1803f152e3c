// The inspector's records of a speculative lane's tokens (pure, no GPU): one TokenRecord per token a
// draft/verify round emitted, carrying what the verifier decided. The engine reads back token ids,
// p(x) and q(x) of the drafted tokens and small summaries, never a distribution, so a record holds
// no component distributions (LaneTrace.inputs is empty) and its `combined` summary knows only the
// chosen token: p(x) when the token is a kept draft, NaN when it is not known (a resampled, bonus or
// generated token), and rank 1 for greedy lanes (every greedy token is the target's argmax), 0
// ("not known") for sampled ones. Entropy is NaN: it was never computed.
//
// `extra` keys (src/ui/decode/SpeculativeRound.tsx reads them):
//   variant, exact ('exact' | 'not exact'), round (0-based, as the engine's RoundRecord.round),
//   status, judged (a judge-kept draft), source, p, q (when known), position (1-based among the round's emitted tokens),
//   emitted, drafted, accepted,
//   targetCalls, draftCalls (the round's forwards),
//   roundToken<i>: "id:status:source:p:q" for every token of the round in order (drafted ones
//     with their fate, then the resampled or bonus token; p and q "-" when not known),
//   chosenCandidate, candidate<c>: SpecTr's candidates (space-separated ids; 1-based),
//   round.<key>: the method's numbers for the round (SpecDec++'s predicted rejections, ...),
//   lane.<key>: the lane so far: acceptanceRate (kept / drafted) and meanAcceptedLength (kept per
//     drafting round) over its rounds up to this one, targetCallsPerToken (the rounds' target
//     forwards per token emitted up to this one; the runner's shared prompt prefill is not a
//     round's), theoreticalTokensPerCall (the engine's, from its acceptance estimate), and the
//     method's running summary (head updates, tokens per model, ...).
import type { SpeculativeVariant } from '../../share/experiment';
import type { DistributionSummary } from '../../share/trace';
import type { RoundRecord, RoundToken } from '../../speculative/types';
import type { StepDecision } from './types';

/** The lane's rounds so far, this one included (only counts: the runner's tokens are separate). */
export interface RoundTotals {
  drafted: number;
  accepted: number;
  /** Rounds that drafted at least one token. */
  draftingRounds: number;
  targetCalls: number;
}

export interface RoundRecordContext {
  variant: SpeculativeVariant;
  exact: boolean;
  greedy: boolean;
  vocab: number;
  /** Totals of the lane's rounds up to and including this one. */
  totals: RoundTotals;
  /** Tokens the lane emitted before this round's first. */
  tokensBefore: number;
  /** The engine's (1 - a^(K+1)) / (1 - a) after this round (NaN before a verification). */
  theoreticalTokensPerCall: number;
  /** The method's running numbers (RoundStrategy.summary). */
  summary: Record<string, number | string>;
}

/** The totals after `round`, from those before it. */
export function addRound(totals: RoundTotals, round: RoundRecord): RoundTotals {
  return {
    drafted: totals.drafted + round.draftLength,
    accepted: totals.accepted + round.accepted,
    draftingRounds: totals.draftingRounds + (round.draftLength > 0 ? 1 : 0),
    targetCalls: totals.targetCalls + round.targetCalls,
  };
}

export const NO_ROUNDS: RoundTotals = { drafted: 0, accepted: 0, draftingRounds: 0, targetCalls: 0 };

const number = (value: number | null) => (value === null ? '-' : String(Number(value.toPrecision(6))));

/** "id:status:source:p:q", one round token as `extra` carries it. */
export function roundTokenText(token: RoundToken): string {
  const status = token.judged ? `${token.status}+judged` : token.status;
  return `${token.id}:${status}:${token.source}:${number(token.p)}:${number(token.q)}`;
}

/** The tokens a round emitted, each with its RoundToken (kept drafts, then the last token). */
export function emittedRoundTokens(round: RoundRecord): RoundToken[] {
  const kept = round.tokens.filter((t) => t.status !== 'rejected' && t.status !== 'discarded');
  return kept.slice(0, round.emitted.length);
}

function roundExtras(round: RoundRecord, context: RoundRecordContext): Record<string, number | string> {
  const extra: Record<string, number | string> = {
    variant: context.variant,
    exact: context.exact ? 'exact' : 'not exact',
    round: round.round,
    emitted: round.emitted.length,
    drafted: round.draftLength,
    accepted: round.accepted,
  };
  round.tokens.forEach((token, i) => (extra[`roundToken${i + 1}`] = roundTokenText(token)));
  const candidates = round.candidates;
  if (candidates && candidates.drafts.length > 1) {
    extra.chosenCandidate = candidates.chosen + 1;
    candidates.drafts.forEach((draft, c) => (extra[`candidate${c + 1}`] = draft.join(' ')));
  }
  extra.targetCalls = round.targetCalls;
  extra.draftCalls = round.draftCalls;
  for (const [key, value] of Object.entries(round.extra ?? {}))
    extra[`round.${key}`] = Array.isArray(value) ? value.join(' ') : value;
  const { drafted, accepted, draftingRounds } = context.totals;
  extra['lane.acceptanceRate'] = drafted > 0 ? accepted / drafted : NaN;
  extra['lane.meanAcceptedLength'] = draftingRounds > 0 ? accepted / draftingRounds : NaN;
  extra['lane.theoreticalTokensPerCall'] = context.theoreticalTokensPerCall;
  for (const [key, value] of Object.entries(context.summary)) extra[`lane.${key}`] = value;
  return extra;
}

/** One decision per token the round emitted, in order. */
export function roundDecisions(round: RoundRecord, context: RoundRecordContext): StepDecision[] {
  const shared = roundExtras(round, context);
  return emittedRoundTokens(round).map((token, i) => {
    const id = round.emitted[i];
    if (token.id !== id)
      throw new Error(`speculative round ${round.round}: emitted token ${i} is ${id} but its record says ${token.id}`); // prettier-ignore
    const combined: DistributionSummary = {
      label: 'verified token',
      top: token.p !== null ? [[id, token.p]] : [],
      entropy: NaN,
      chosenProbability: token.p ?? NaN,
      chosenRank: context.greedy ? 1 : 0,
    };
    const extra: Record<string, number | string> = {
      status: token.status,
      ...(token.judged ? { judged: 'kept by the judge although verification refused it' } : {}),
      source: token.source,
      ...(token.p !== null ? { p: token.p } : {}),
      ...(token.q !== null ? { q: token.q } : {}),
      position: i + 1,
      ...shared,
      // Per token of the lane, as the runner emits them (a round's unused tail is not counted).
      'lane.targetCallsPerToken': context.totals.targetCalls / (context.tokensBefore + i + 1),
    };
    return {
      token: id,
      record: {
        components: [],
        combined,
        plausibleCount: context.vocab,
        divergences: [],
        // Greedy: every token is the target's argmax. Sampled: the base argmax was never read back.
        changedByMethod: false,
        extra,
      },
    };
  });
}
