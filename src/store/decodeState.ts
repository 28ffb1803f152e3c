// The decode slice's state and its pure reducers over worker events (unit-tested in
// decodeTrace.test.ts); the actions live in decodeSlice.ts.
import type { Experiment } from '../share/experiment';
import { defaultExperiment } from '../share/methods';
import type { Trace } from '../share/trace';
import type { WorkerEvent } from '../worker/protocol';
import { appendLaneTokens, startedTrace } from './decodeTrace';

export type DecodeStatus = 'idle' | 'starting' | 'running' | 'paused' | 'done' | 'error';
export type ColourMeasure = 'probability' | 'entropy' | 'rank' | 'changed';

/** An uploaded image: the 48x48 RGB bytes the model reads, and their SHA-256 (what a link pins). */
export interface DecodeUpload {
  name: string;
  sha256: string;
  pixels: Uint8Array;
  /** Set when the picture was resized ("Image was 96×64; resized to 48×48 …"). */
  message: string | null;
}

export interface DecodeState {
  experiment: Experiment;
  upload: DecodeUpload | null;
  status: DecodeStatus;
  /** Stop was asked for; the run ends after its current step. */
  stopping: boolean;
  /** The current run's trace (growing), the last run's, or an imported one. */
  trace: Trace | null;
  traceSource: 'run' | 'import' | null;
  /** How the last run ended ('stopped' when Stop ended it early). */
  outcome: 'completed' | 'stopped' | null;
  /** The prompt's tokens as shown (from decodeStarted; an imported trace has none). */
  promptPieces: string[];
  /** The token the inspector shows. */
  selected: { laneId: string; step: number } | null;
  measure: ColourMeasure;
  /** The banner: a refused run, a failed request, an unreadable trace file. */
  error: string | null;
  /** The banner for a share link that could not be opened (nothing was changed or run). */
  linkError: string | null;
  /** Why the last upload was refused. */
  imageError: string | null;
}

export const initialDecodeState = (): DecodeState => ({
  experiment: defaultExperiment(),
  upload: null,
  status: 'idle',
  stopping: false,
  trace: null,
  traceSource: null,
  outcome: null,
  promptPieces: [],
  selected: null,
  measure: 'probability',
  error: null,
  linkError: null,
  imageError: null,
});

/** True while a run holds the worker. */
export function isDecodeActive(status: DecodeStatus): boolean {
  return status === 'starting' || status === 'running' || status === 'paused';
}

/**
 * Folds a run's streamed event into the state (pure). `run`: the experiment as it was sent (edits
 * made while it runs do not change its trace) and whether it was started paused.
 */
export function applyDecodeEvent(
  decode: DecodeState,
  event: WorkerEvent,
  run: { experiment: Experiment; paused: boolean } = { experiment: decode.experiment, paused: false },
): DecodeState {
  switch (event.type) {
    case 'decodeStarted':
      return {
        ...decode,
        status: run.paused ? 'paused' : 'running',
        trace: startedTrace(run.experiment, event),
        traceSource: 'run',
        outcome: null,
        promptPieces: event.promptPieces,
        selected: null,
      };
    case 'decodeTokens':
      return decode.trace ? { ...decode, trace: appendLaneTokens(decode.trace, event.lanes) } : decode;
    case 'decodeEnded':
      return {
        ...decode,
        status: 'done',
        stopping: false,
        trace: event.trace,
        traceSource: 'run',
        outcome: event.status,
      };
    default:
      return decode;
  }
}

/** A lost device ends a run (pure; the store applies it to every event it sees). */
export function decodeOnEvent(decode: DecodeState, event: WorkerEvent): DecodeState {
  if (event.type !== 'deviceLost' || !isDecodeActive(decode.status)) return decode;
  return {
    ...decode,
    status: 'error',
    stopping: false,
    error: `The GPU device was lost during the run (${event.message || event.reason}); the tokens so far stay. Reconnect the GPU and run again.`,
  };
}

/** Ends a message with a full stop if it has none. */
export const sentence = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);

/** Whether there is a complete trace to export: a finished run's (or an imported one), not a growing one. */
export function traceExportable(decode: DecodeState): boolean {
  return decode.trace !== null && !isDecodeActive(decode.status) && decode.trace.environment.createdAt !== '';
}

/** SHA-256 of bytes as lowercase hex (Web Crypto: the page, workers and Node 20 all have it). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new Uint8Array(bytes));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
