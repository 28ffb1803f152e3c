// What the Decode tab shows of speculative lanes (pure, unit-tested): the round of a token read
// back from its record's `extra` (written by src/decoding/methods/speculative-record.ts), the lane's
// acceptance statistics, which lanes use the amateur slot as their draft, and the problems the
// speculative engine finds before a run (in the Speculative tab's words).
import type { LaneTrace, TokenRecord } from '../../share/trace';
export {
  amateurInUse,
  draftsWithAmateur,
  speculativeLaneProblems,
} from '../../decoding/methods/speculative-config';
import type { TokenStatus } from '../../speculative/types';

export interface RoundTokenView {
  id: number;
  status: TokenStatus;
  judged: boolean;
  source: string;
  p: number | null;
  q: number | null;
}

export interface SpeculativeTokenView {
  variant: string;
  exact: boolean;
  /** 0-based, as the engine numbers rounds. */
  round: number;
  status: string;
  source: string;
  p: number | null;
  q: number | null;
  judged: boolean;
  /** 1-based among the round's emitted tokens. */
  position: number;
  emitted: number;
  drafted: number;
  accepted: number;
  tokens: RoundTokenView[];
  candidates: { chosen: number; drafts: number[][] } | null;
  /** The method's own numbers of the round ("predictedReject 0.1 0.3"). */
  roundNumbers: [string, number | string][];
  lane: {
    acceptanceRate: number;
    meanAcceptedLength: number;
    targetCallsPerToken: number;
    theoreticalTokensPerCall: number;
    /** The method's running summary (head updates, tokens per model, ...). */
    summary: [string, number | string][];
  };
}

const num = (value: number | string | undefined): number | null => (typeof value === 'number' ? value : null);

function parseProbability(text: string | undefined): number | null {
  if (text === undefined || text === '-') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** "id:status:source:p:q" (status may end in "+judged"), or null when it does not read. */
export function parseRoundToken(text: string): RoundTokenView | null {
  const [id, status, source, p, q] = text.split(':');
  const parsedId = Number(id);
  if (!Number.isInteger(parsedId) || status === undefined || source === undefined) return null;
  const judged = status.endsWith('+judged');
  return {
    id: parsedId,
    status: (judged ? status.slice(0, -'+judged'.length) : status) as TokenStatus,
    judged,
    source,
    p: parseProbability(p),
    q: parseProbability(q),
  };
}

function numbered(extra: Record<string, number | string>, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; extra[`${prefix}${i}`] !== undefined; i++) out.push(String(extra[`${prefix}${i}`]));
  return out;
}

function prefixed(extra: Record<string, number | string>, prefix: string, skip: readonly string[] = []) {
  return Object.entries(extra)
    .filter(([key]) => key.startsWith(prefix) && !skip.includes(key.slice(prefix.length)))
    .map(([key, value]): [string, number | string] => [key.slice(prefix.length), value]);
}

const LANE_STATISTICS = ['acceptanceRate', 'meanAcceptedLength', 'targetCallsPerToken', 'tokensPerTargetCall', 'theoreticalTokensPerCall']; // prettier-ignore

/** A speculative token's round, from its record; null for a record of another method. */
export function speculativeView(token: TokenRecord): SpeculativeTokenView | null {
  const extra = token.extra;
  if (!extra || typeof extra.round !== 'number' || typeof extra.status !== 'string') return null;
  const chosen = num(extra.chosenCandidate);
  const drafts = numbered(extra, 'candidate').map((ids) => ids.split(' ').filter(Boolean).map(Number));
  return {
    variant: String(extra.variant ?? ''),
    exact: extra.exact !== 'not exact',
    round: extra.round,
    status: extra.status,
    source: String(extra.source ?? ''),
    p: num(extra.p),
    q: num(extra.q),
    judged: extra.judged !== undefined,
    position: num(extra.position) ?? 1,
    emitted: num(extra.emitted) ?? 1,
    drafted: num(extra.drafted) ?? 0,
    accepted: num(extra.accepted) ?? 0,
    tokens: numbered(extra, 'roundToken')
      .map(parseRoundToken)
      .filter((t): t is RoundTokenView => t !== null),
    candidates: chosen !== null && drafts.length > 1 ? { chosen: chosen - 1, drafts } : null,
    roundNumbers: prefixed(extra, 'round.'),
    lane: {
      acceptanceRate: num(extra['lane.acceptanceRate']) ?? NaN,
      meanAcceptedLength: num(extra['lane.meanAcceptedLength']) ?? NaN,
      targetCallsPerToken: num(extra['lane.targetCallsPerToken']) ?? NaN,
      theoreticalTokensPerCall: num(extra['lane.theoreticalTokensPerCall']) ?? NaN,
      summary: prefixed(extra, 'lane.', LANE_STATISTICS),
    },
  };
}

/** Which of the round's tokens is `view`'s emitted token (its position among the kept ones). */
export function emittedIndex(view: SpeculativeTokenView): number {
  let kept = 0;
  for (let i = 0; i < view.tokens.length; i++) {
    const status = view.tokens[i].status;
    if (status === 'rejected' || status === 'discarded') continue;
    if (++kept === view.position) return i;
  }
  return -1;
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '—');

/** The lane's acceptance numbers after its last token, for the lane's statistics ([label, value, help]). */
export function speculativeLaneSummary(trace: LaneTrace | null): [string, string, string][] | null {
  const last = trace?.tokens[trace.tokens.length - 1];
  const view = last ? speculativeView(last) : null;
  if (!view) return null;
  const { lane } = view;
  return [
    ['acceptance', fixed(lane.acceptanceRate, 2), 'Drafted tokens the verifier kept, over the lane so far'],
    ['mean kept', fixed(lane.meanAcceptedLength, 2), 'Mean drafts kept per round that drafted'],
    ['target fwd/token', fixed(lane.targetCallsPerToken, 2), 'Target forward calls of the rounds per generated token (autoregressive decoding: 1)'], // prettier-ignore
  ];
}
