// Round records and running statistics of a speculative lane (pure): what the verifier decided per
// drafted token, what the round appended to the text, and the lane's totals next to the theory
// (policies/theory.ts).
import { summarizeRounds } from './policies/theory';
import type { RoundRecord, RoundToken, SpeculativeStatistics, TokenSource } from './types';

/** The verifier's decision for one round (the verification kernel's result, or the judge's). */
export interface RoundDecision {
  /** Leading drafts kept. */
  accepted: number;
  /** The kept drafts, then the correction or bonus token. */
  tokens: readonly number[];
  /** True when every draft was kept and the last token was drawn from p. */
  bonus: boolean;
  /** Per drafted token: p(x) and q(x) (as many as the kernel reports). */
  p: readonly number[];
  q: readonly number[];
}

/** Per-token records of a verification round: accepted, rejected, discarded, then the last token. */
export function verificationTokens(
  drafts: readonly number[],
  decision: RoundDecision,
  draftSource: TokenSource,
  judged: ReadonlySet<number> = new Set(),
): RoundToken[] {
  const tokens: RoundToken[] = drafts.map((id, i) => ({
    id,
    status: i < decision.accepted ? 'accepted' : i === decision.accepted ? 'rejected' : 'discarded',
    source: draftSource,
    p: decision.p[i] ?? null,
    q: decision.q[i] ?? null,
    ...(judged.has(i) ? { judged: true } : {}),
  }));
  const last = decision.tokens[decision.accepted];
  if (last !== undefined)
    tokens.push({
      id: last,
      status: decision.bonus ? 'bonus' : 'resampled',
      source: 'target',
      p: null,
      q: null,
    });
  return tokens;
}

/**
 * The tokens a round appends: cut after the first end-of-sequence id and at `budget` tokens.
 * Returns the kept ids and whether an EOS ended the text.
 */
export function emittedTokens(
  tokens: readonly number[],
  budget: number,
  eos: ReadonlySet<number>,
): { emitted: number[]; eos: boolean } {
  const emitted: number[] = [];
  for (const id of tokens) {
    if (emitted.length >= budget) break;
    emitted.push(id);
    if (eos.has(id)) return { emitted, eos: true };
  }
  return { emitted, eos: false };
}

/** Drops the round's final (resampled or bonus) token from the record when it was cut off. */
export function keepEmitted(tokens: RoundToken[], accepted: number, emitted: number): RoundToken[] {
  // Drafted tokens stay (they show what was tried); the last token only if it was emitted.
  const drafted = tokens.filter((t) => t.status !== 'bonus' && t.status !== 'resampled');
  const last = tokens.find((t) => t.status === 'bonus' || t.status === 'resampled');
  return last && emitted > accepted ? [...drafted, last] : drafted;
}

/** The lane's running totals, updated round by round. */
export class LaneStatisticsBuilder {
  private readonly rounds: RoundRecord[] = [];

  constructor(
    /** The method's largest draft length K (the theory's K); 0 for methods that do not draft. */
    private readonly draftLength: number,
    private readonly exact: boolean,
  ) {}

  add(round: RoundRecord): void {
    this.rounds.push(round);
  }

  reset(): void {
    this.rounds.length = 0;
  }

  /** The totals, with the lane's readback bytes so far. */
  statistics(readbackBytes = 0): SpeculativeStatistics {
    const rounds = this.rounds;
    const sum = (f: (r: RoundRecord) => number) => rounds.reduce((s, r) => s + f(r), 0);
    const tokens = sum((r) => r.emitted.length);
    const drafted = sum((r) => r.draftLength);
    const accepted = sum((r) => r.accepted);
    const drafting = rounds.filter((r) => r.draftLength > 0).length;
    const roundTargetCalls = sum((r) => r.targetCalls);
    const bySource = { target: 0, draft: 0, lookup: 0 };
    for (const round of rounds) {
      const kept = round.tokens.filter((t) => t.status !== 'rejected' && t.status !== 'discarded');
      kept.slice(0, round.emitted.length).forEach((t) => bySource[t.source]++);
    }
    const verified = rounds.filter((r) => r.tokens.some((t) => t.status !== 'generated'));
    const theory =
      this.draftLength > 0 && verified.length > 0
        ? summarizeRounds(
            verified.map((r) => ({
              drafted: r.draftLength,
              accepted: r.accepted,
              bonus: r.tokens.some((t) => t.status === 'bonus'),
            })),
            this.draftLength,
          )
        : null;
    const ms = sum((r) => r.ms);
    return {
      rounds: rounds.length,
      tokens,
      drafted,
      accepted,
      acceptanceRate: drafted > 0 ? accepted / drafted : NaN,
      alphaEstimate: theory?.alphaEstimate ?? NaN,
      meanAcceptedLength: drafting > 0 ? accepted / drafting : NaN,
      meanDraftLength: drafting > 0 ? drafted / drafting : NaN,
      targetCalls: roundTargetCalls,
      draftCalls: sum((r) => r.draftCalls),
      targetCallsPerToken: tokens > 0 ? roundTargetCalls / tokens : NaN,
      tokensPerTargetCall: roundTargetCalls > 0 ? tokens / roundTargetCalls : NaN,
      theoreticalTokensPerCall: theory?.theoreticalTokensPerCall ?? NaN,
      tokensBySource: bySource,
      exact: this.exact,
      ms,
      msPerToken: tokens > 0 ? ms / tokens : NaN,
      readbackBytes,
      readbackBytesPerToken: tokens > 0 ? readbackBytes / tokens : NaN,
    };
  }
}
