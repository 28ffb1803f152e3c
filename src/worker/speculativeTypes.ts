// The Speculative workbench's messages between the UI and the GPU worker (pure: both sides import it).
// A run: `startSpeculative` → `speculativeStarted` (the prompt as tokens, the models resolved and
// their file hashes) → `speculativeRounds` (new rounds and baseline tokens, at most a few batches a
// second, with both lanes' statistics so far) … → the reply `speculativeEnded` with the engine's
// whole trace. While it runs, `pauseSpeculative` / `resumeSpeculative` / `stepSpeculative` (one
// round while paused) / `stopSpeculative` steer it; they are handled at once.
//
// Models: the setup names them (ModelRef). 'default' refs are the Shapes defaults, loaded into their
// worker slots when needed; other refs must be the model loaded in the Model tab ('workbench' slot).
// Pinned SHA-256s must match the loaded files, or the run is refused before anything is drafted.
import type { SpeculativeSetup } from '../share/speculative-link';
import type { SpeculativeTrace } from '../speculative/session';
import type {
  BaselineStatistics,
  BaselineToken,
  LaneStopReason,
  RoundRecord,
  SpeculativeMethod,
  SpeculativeSampling,
  SpeculativeStatistics,
} from '../speculative/types';
import type { ModelRef } from '../share/experiment';

export interface StartSpeculativeParams {
  setup: SpeculativeSetup;
  /** Start paused: nothing runs until `stepSpeculative` or `resumeSpeculative`. */
  paused: boolean;
}

/** A model as the run resolved it: its name and the SHA-256 of every file it was loaded from. */
export interface ResolvedModelInfo {
  name: string;
  fileHashes: Record<string, string>;
}

export interface SpeculativeStartedInfo {
  promptTokens: number[];
  /** Each prompt token as shown. */
  promptPieces: string[];
  target: ResolvedModelInfo;
  /** Null for the methods that draft without a model (prompt lookup, ADED). */
  draft: ResolvedModelInfo | null;
  /** False for methods whose output is not the target's distribution (EAD, FoReaL, Judge). */
  exact: boolean;
}

/** What a batch adds to the run, with both lanes' state so far. */
export interface SpeculativeProgress {
  rounds: RoundRecord[];
  baseline: BaselineToken[];
  statistics: SpeculativeStatistics;
  baselineStatistics: BaselineStatistics | null;
  methodStatistics: Record<string, number | string>;
  speculativeStop: LaneStopReason | null;
  baselineStop: LaneStopReason | null;
  speculativeError?: string;
  baselineError?: string;
  /** Baseline ms per token / speculative ms per token (NaN until both have tokens). */
  speedup: number;
  /** Pieces of the token ids this batch shows for the first time (drafts, candidates, baseline). */
  pieces: [number, string][];
}

export interface SpeculativeOutcome {
  trace: SpeculativeTrace;
  /** 'stopped' when stopSpeculative ended it early. */
  status: 'completed' | 'stopped';
  /** Pieces of ids not sent in a batch yet. */
  pieces: [number, string][];
}

/** The Model tab's model as a ref a setup (and its link) can name, or why it cannot be one. */
export interface WorkbenchModelDescription {
  ref: ModelRef | null;
  name: string | null;
  /** Why the loaded model cannot be named in a link (nothing loaded, local files). */
  problem: string | null;
}

// Compile-time proof that the link's setup and the engine agree on methods and sampling: if either
// side changes alone, these lines stop compiling.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type SetupMethodMatchesEngine = Assert<Same<SpeculativeSetup['method'], SpeculativeMethod>>;
export type SetupSamplingMatchesEngine = Assert<Same<SpeculativeSetup['sampling'], SpeculativeSampling>>;
