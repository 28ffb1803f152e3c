// The Decode run as the worker streams it, folded into a growing Trace (pure, unit-tested):
// `decodeStarted` opens one empty lane per configured lane, each `decodeTokens` batch appends that
// lane's new tokens and replaces its statistics, and `decodeEnded` swaps in the worker's complete
// trace, which is the authority (environment, final statistics, stop reasons).
import type { Experiment } from '../share/experiment';
import type { LaneStatistics, LaneTrace, TokenRecord, Trace } from '../share/trace';
import type { DecodeStartedInfo, LaneTokens } from '../worker/decodeTypes';

export const EMPTY_STATISTICS: LaneStatistics = {
  tokens: 0,
  forwardPasses: {},
  tokensPerSecond: 0,
  meanEntropy: 0,
  readbackBytes: 0,
  readbackBytesPerToken: 0,
};

/** The trace of a run that has just started: the prompt, and every lane still empty. */
export function startedTrace(experiment: Experiment, info: DecodeStartedInfo): Trace {
  return {
    version: 1,
    experiment,
    promptTokens: info.promptTokens,
    lanes: info.lanes.map((lane): LaneTrace => ({
      laneId: lane.laneId,
      inputs: lane.inputs,
      tokens: [],
      text: '',
      stopReason: null,
      statistics: EMPTY_STATISTICS,
    })),
    // Filled by the worker's final trace (decodeEnded); a streamed trace is not exported.
    environment: { adapter: '', userAgent: '', createdAt: '' },
  };
}

/** Tokens are appended by step: a batch that repeats a step the lane already has is not doubled. */
function appendTokens(existing: TokenRecord[], batch: TokenRecord[]): TokenRecord[] {
  const next = existing.length === 0 ? -1 : existing[existing.length - 1].step;
  const fresh = batch.filter((t) => t.step > next);
  return fresh.length === 0 ? existing : existing.concat(fresh);
}

/** One streamed batch into the trace; lanes the trace does not know are ignored. */
export function appendLaneTokens(trace: Trace, batches: readonly LaneTokens[]): Trace {
  let changed = false;
  const lanes = trace.lanes.map((lane) => {
    const batch = batches.find((b) => b.laneId === lane.laneId);
    if (!batch) return lane;
    changed = true;
    return {
      ...lane,
      // `text` stays as it was: how pieces join is the tokenizer's business (the final trace has it).
      tokens: appendTokens(lane.tokens, batch.tokens),
      statistics: batch.statistics,
      stopReason: batch.stopReason ?? lane.stopReason,
      ...(batch.error !== undefined ? { error: batch.error } : {}),
    };
  });
  return changed ? { ...trace, lanes } : trace;
}

/** The lane of a trace with this id, or null. */
export function laneOf(trace: Trace | null, laneId: string): LaneTrace | null {
  return trace?.lanes.find((l) => l.laneId === laneId) ?? null;
}

/**
 * The first step where `lane` chose a different token than `reference` (lane 1), or where one of
 * them had already stopped while the other went on; null when they agree as far as both went.
 */
export function firstDivergence(reference: LaneTrace, lane: LaneTrace): number | null {
  const shared = Math.min(reference.tokens.length, lane.tokens.length);
  for (let i = 0; i < shared; i++) if (reference.tokens[i].id !== lane.tokens[i].id) return i;
  const referenceDone = reference.stopReason !== null;
  const laneDone = lane.stopReason !== null;
  if (reference.tokens.length !== lane.tokens.length && (referenceDone || laneDone)) {
    // The shorter one ended there (a stop is a divergence only once it is known to be one).
    const shorter = reference.tokens.length < lane.tokens.length ? reference : lane;
    if (shorter.stopReason !== null) return shared;
  }
  return null;
}

/** Every token id a trace shows a piece for: the chosen tokens (top-k ids have none in the trace). */
export function knownPieces(trace: Trace): Map<number, string> {
  const pieces = new Map<number, string>();
  for (const lane of trace.lanes) for (const t of lane.tokens) pieces.set(t.id, t.piece);
  return pieces;
}
