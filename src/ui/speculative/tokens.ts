// How a round's tokens read on hover, and which rounds share a row (pure, unit-tested).
import type { RoundRecord, RoundToken, TokenStatus } from '../../speculative/types';

export const STATUS_TEXT: Record<TokenStatus, string> = {
  accepted: 'accepted: a drafted token the verifier kept',
  rejected: 'rejected: the first drafted token the verifier refused',
  discarded: 'discarded: drafted after the rejection, never checked',
  resampled: 'resampled: the correction drawn from norm(max(0, p − q)) (greedy: the target’s argmax)',
  bonus: 'bonus: drawn from p after every draft was kept',
  generated: 'generated: written by one model without verification',
};

const SOURCE_TEXT = {
  target: 'the target',
  draft: 'the draft model',
  lookup: 'a model-free lookup',
} as const;

const probability = (value: number) =>
  value >= 1e-3 || value === 0 ? value.toFixed(4) : value.toExponential(2);

/** The chip's tooltip: the piece, what happened to it, p(x), q(x) and the acceptance probability. */
export function tokenTitle(token: RoundToken, piece: string | undefined, extra?: string): string {
  const lines = [`${JSON.stringify(piece ?? `⟨${token.id}⟩`)} · id ${token.id}`, STATUS_TEXT[token.status]];
  lines.push(`from ${SOURCE_TEXT[token.source]}`);
  if (token.p !== null) lines.push(`p(x) = ${probability(token.p)} (target)`);
  if (token.q !== null)
    lines.push(`q(x) = ${probability(token.q)} (${token.source === 'lookup' ? 'one-hot draft' : 'draft'})`);
  if (token.p !== null && token.q !== null && token.q > 0)
    lines.push(
      `min(1, p/q) = ${probability(Math.min(1, token.p / token.q))}: the chance speculative sampling keeps it`,
    );
  if (token.judged) lines.push('kept by the judge although verification refused it (not exact)');
  if (extra) lines.push(extra);
  return lines.join('\n');
}

/** A row of the rounds view: one verification round, or consecutive rounds written without one. */
export type RoundRow = { kind: 'round'; round: RoundRecord } | { kind: 'generated'; rounds: RoundRecord[] };

const generatedOnly = (round: RoundRecord) =>
  round.tokens.length > 0 && round.tokens.every((t) => t.status === 'generated');

/** Groups consecutive rounds that only generated (EAD, FoReaL: one token each) into rows of `size`. */
export function roundRows(rounds: readonly RoundRecord[], size = 12): RoundRow[] {
  const rows: RoundRow[] = [];
  for (const round of rounds) {
    const last = rows[rows.length - 1];
    if (generatedOnly(round) && last?.kind === 'generated' && last.rounds.length < size)
      last.rounds.push(round);
    else if (generatedOnly(round)) rows.push({ kind: 'generated', rounds: [round] });
    else rows.push({ kind: 'round', round });
  }
  return rows;
}

/** A per-drafted-token number the engine reports in `extra` (SpecDec++'s r_i, the judge's scores). */
export function perDraftNumbers(round: RoundRecord): { label: string; values: number[] } | null {
  const extra = round.extra ?? {};
  const predicted = extra.predictedReject;
  if (Array.isArray(predicted)) return { label: 'r', values: predicted };
  const scores = extra.judgeScores;
  if (Array.isArray(scores)) return { label: 's', values: scores };
  return null;
}

/** EAD: the draft's rolling entropy that decided who wrote the token ("H̄ 1.23"), else undefined. */
export function rollingEntropyNote(round: RoundRecord): string | undefined {
  const value = round.extra?.rollingEntropy;
  return typeof value === 'number' ? `H̄ ${value.toFixed(2)}` : undefined;
}

/** The round's other method numbers, as "name value" pieces (per-draft arrays excluded). */
export function extraText(round: RoundRecord): string[] {
  return (
    Object.entries(round.extra ?? {})
      // headUpdates is a running total (shown once, above); "judged 0" says nothing.
      .filter(
        ([key, value]) =>
          !Array.isArray(value) && key !== 'headUpdates' && !(key === 'judged' && value === 0),
      )
      .map(([key, value]) => `${key} ${typeof value === 'number' ? Number(value.toFixed(4)) : value}`)
  );
}
