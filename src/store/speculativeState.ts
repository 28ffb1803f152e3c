// The speculative slice's state, the setup's field problems (the engine's own checks, placed next to
// the field they are about), and the pure reducers over worker events; the actions live in
// speculativeSlice.ts. Imports only the engine's pure modules (validate, defaults, types), never
// its GPU code.
import type { ModelRef } from '../share/experiment';
import { numberProblem } from '../share/parameters';
import { EXPERIMENT_LIMITS, EXPERIMENT_PARAMETERS } from '../share/settings';
import { defaultModelRef, type SpeculativeSetup } from '../share/speculative-link';
import { METHOD_DEFAULTS } from '../speculative/defaults';
import type { SpeculativeTrace } from '../speculative/session';
import type {
  BaselineStatistics,
  BaselineToken,
  LaneStopReason,
  RoundRecord,
  SpeculativeStatistics,
} from '../speculative/types';
import { methodProblems, samplingProblems } from '../speculative/validate';
import type { WorkerEvent } from '../worker/protocol';
import type { ResolvedModelInfo } from '../worker/speculativeTypes';

export type SpeculativeStatus = 'idle' | 'starting' | 'running' | 'paused' | 'done' | 'error';
export type SpeculativeModelRole = 'target' | 'draft';

export const DEFAULT_TARGET = 'shapes-expert';
export const DEFAULT_DRAFT = 'shapes-draft';
export const DEFAULT_PROMPT = 'the picture shows';
export const DEFAULT_MAX_TOKENS = 16;

/** Speculative sampling, greedy, K = 4 on the Shapes expert and draft. */
export function defaultSpeculativeSetup(): SpeculativeSetup {
  return {
    version: 1,
    models: { target: defaultModelRef(DEFAULT_TARGET), draft: defaultModelRef(DEFAULT_DRAFT) },
    prompt: DEFAULT_PROMPT,
    method: { ...METHOD_DEFAULTS.speculative },
    sampling: { greedy: true, temperature: 1, draftTemperature: 1 },
    seed: 0,
    maxTokens: DEFAULT_MAX_TOKENS,
  };
}

/** A run as the page shows it: growing from the worker's batches, then the engine's whole trace. */
export interface SpeculativeRunView {
  /** The setup that ran (the one being edited may have moved on). */
  setup: SpeculativeSetup;
  promptTokens: number[];
  promptPieces: string[];
  target: ResolvedModelInfo | null;
  draft: ResolvedModelInfo | null;
  exact: boolean;
  rounds: RoundRecord[];
  baseline: BaselineToken[];
  statistics: SpeculativeStatistics | null;
  baselineStatistics: BaselineStatistics | null;
  methodStatistics: Record<string, number | string>;
  speculativeStop: LaneStopReason | null;
  baselineStop: LaneStopReason | null;
  speculativeError: string | null;
  baselineError: string | null;
  speedup: number;
}

export interface SpeculativeState {
  /** The setup being edited; numbers are stored as typed (NaN, out of range) and never clamped. */
  setup: SpeculativeSetup;
  status: SpeculativeStatus;
  stopping: boolean;
  outcome: 'completed' | 'stopped' | null;
  run: SpeculativeRunView | null;
  /** The engine's trace of the last finished run (what Export writes). */
  trace: SpeculativeTrace | null;
  /** Token pieces by id, as the worker's tokenizer shows them. */
  pieces: Record<number, string>;
  /** What the worker is loading for the run ("shapes-expert: model.safetensors 40%"). */
  loading: string | null;
  /** Why the Model tab's model cannot be chosen for a role. */
  modelNotes: Partial<Record<SpeculativeModelRole, string>>;
  error: string | null;
  linkError: string | null;
}

export const initialSpeculativeState = (): SpeculativeState => ({
  setup: defaultSpeculativeSetup(),
  status: 'idle',
  stopping: false,
  outcome: null,
  run: null,
  trace: null,
  pieces: {},
  loading: null,
  modelNotes: {},
  error: null,
  linkError: null,
});

export const isSpeculativeActive = (status: SpeculativeStatus): boolean =>
  status === 'starting' || status === 'running' || status === 'paused';

/** The engine's name of each method field in its messages (src/speculative/validate.ts). */
const ENGINE_FIELD_NAMES: Record<string, string> = {
  draftLength: 'draft length K',
  candidates: 'candidates k',
  rho: 'rho',
  maxDraftLength: 'max draft length K',
  threshold: 'threshold',
  learningRate: 'learning rate',
  maxNgram: 'max n-gram',
  minNgram: 'min n-gram',
  window: 'window',
  leaderTokens: 'leader tokens',
  gate: 'gate',
};

/** Field path → problem: `method.draftLength`, `sampling.temperature`, `seed`, `maxTokens`, `prompt`; `method` for the rest. */
export type SetupProblems = Record<string, string>;

/** The engine's checks of the method and sampling, for the link codec and the worker alike. */
export function engineSetupCheck(setup: SpeculativeSetup): string[] {
  return [...methodProblems(setup.method), ...samplingProblems(setup.sampling)];
}

/** Every problem of the setup, each placed on the field it is about. */
export function setupProblems(setup: SpeculativeSetup): SetupProblems {
  const problems: SetupProblems = {};
  const { method } = setup;
  for (const message of methodProblems(method)) {
    const field = Object.keys(method).find((key) => {
      const name =
        key === 'threshold' && method.name === 'entropy-switch'
          ? 'entropy threshold'
          : ENGINE_FIELD_NAMES[key];
      return name !== undefined && message.startsWith(`${method.name} ${name} `);
    });
    const key = field ? `method.${field}` : 'method';
    problems[key] ??= message;
  }
  for (const message of samplingProblems(setup.sampling)) {
    const key = message.startsWith('draft temperature')
      ? 'sampling.draftTemperature'
      : 'sampling.temperature';
    problems[key] ??= message;
  }
  const seed = numberProblem(EXPERIMENT_PARAMETERS.seed, setup.seed);
  if (seed) problems.seed = seed;
  const maxTokens = numberProblem(EXPERIMENT_PARAMETERS.maxTokens, setup.maxTokens);
  if (maxTokens) problems.maxTokens = maxTokens;
  if (setup.prompt.length > EXPERIMENT_LIMITS.promptChars)
    problems.prompt = `the prompt is ${setup.prompt.length} characters long; at most ${EXPERIMENT_LIMITS.promptChars} fit in a link`;
  return problems;
}

/** A default ref that pins nothing yet takes the loaded files' hashes (what a link then pins). */
export function pinRef(ref: ModelRef, hashes: Record<string, string> | null | undefined): ModelRef {
  if (ref.source !== 'default' || !hashes || Object.keys(ref.sha256).length > 0) return ref;
  return { ...ref, sha256: { ...hashes } };
}

const emptyRun = (setup: SpeculativeSetup): SpeculativeRunView => ({
  setup,
  promptTokens: [],
  promptPieces: [],
  target: null,
  draft: null,
  exact: true,
  rounds: [],
  baseline: [],
  statistics: null,
  baselineStatistics: null,
  methodStatistics: {},
  speculativeStop: null,
  baselineStop: null,
  speculativeError: null,
  baselineError: null,
  speedup: NaN,
});

const withPieces = (pieces: Record<number, string>, fresh: [number, string][]) =>
  fresh.length === 0 ? pieces : { ...pieces, ...Object.fromEntries(fresh) };

/**
 * One event of the running request applied to the state (pure). `start` is given with
 * `speculativeStarted`: the setup that was sent and whether the run started paused.
 */
export function applySpeculativeEvent(
  state: SpeculativeState,
  event: WorkerEvent,
  start?: { setup: SpeculativeSetup; paused: boolean },
): Partial<SpeculativeState> {
  switch (event.type) {
    case 'modelProgress': {
      const percent = event.percent === null ? '' : ` ${Math.round(event.percent)}%`;
      return { loading: `loading ${event.file}${percent}` };
    }
    case 'speculativeStarted': {
      const setup = start?.setup ?? state.run?.setup ?? state.setup;
      const run: SpeculativeRunView = {
        ...emptyRun(setup),
        promptTokens: event.promptTokens,
        promptPieces: event.promptPieces,
        target: event.target,
        draft: event.draft,
        exact: event.exact,
      };
      return { run, trace: null, loading: null, status: start?.paused ? 'paused' : 'running', outcome: null };
    }
    case 'speculativeRounds': {
      if (!state.run) return {};
      const run: SpeculativeRunView = {
        ...state.run,
        rounds: event.rounds.length > 0 ? [...state.run.rounds, ...event.rounds] : state.run.rounds,
        baseline: event.baseline.length > 0 ? [...state.run.baseline, ...event.baseline] : state.run.baseline,
        statistics: event.statistics,
        baselineStatistics: event.baselineStatistics,
        methodStatistics: event.methodStatistics,
        speculativeStop: event.speculativeStop,
        baselineStop: event.baselineStop,
        speculativeError: event.speculativeError ?? null,
        baselineError: event.baselineError ?? null,
        speedup: event.speedup,
      };
      return { run, pieces: withPieces(state.pieces, event.pieces) };
    }
    case 'speculativeEnded': {
      const { trace } = event;
      const base = state.run ?? emptyRun(state.setup);
      const run: SpeculativeRunView = {
        ...base,
        rounds: trace.speculative.rounds,
        baseline: trace.baseline?.tokens ?? [],
        statistics: trace.speculative.statistics,
        baselineStatistics: trace.baseline?.statistics ?? null,
        methodStatistics: trace.speculative.methodStatistics,
        speculativeStop: trace.speculative.stopReason,
        baselineStop: trace.baseline?.stopReason ?? null,
        speculativeError: trace.speculative.error ?? null,
        baselineError: trace.baseline?.error ?? null,
        speedup: trace.speedup,
      };
      return { run, trace, status: 'done', outcome: event.status, stopping: false, loading: null, pieces: withPieces(state.pieces, event.pieces) }; // prettier-ignore
    }
    default:
      return {};
  }
}

/** Unsolicited events: a lost device ends a running run with its message (pure). */
export function speculativeOnEvent(state: SpeculativeState, event: WorkerEvent): SpeculativeState {
  if (event.type !== 'deviceLost' || !isSpeculativeActive(state.status)) return state;
  return {
    ...state,
    status: 'error',
    stopping: false,
    loading: null,
    error: `The GPU device was lost during the run (${event.message || event.reason}); reconnect the GPU and run again.`,
  };
}

/** The emitted token ids of the speculative lane so far. */
export function speculativeTokens(run: SpeculativeRunView | null): number[] {
  return run ? run.rounds.flatMap((round) => round.emitted) : [];
}

/** The first index where the speculative and baseline tokens differ (null: none among those both have). */
export function firstDifference(speculative: readonly number[], baseline: readonly number[]): number | null {
  const shared = Math.min(speculative.length, baseline.length);
  for (let i = 0; i < shared; i++) if (speculative[i] !== baseline[i]) return i;
  return null;
}
