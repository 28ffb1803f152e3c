// The `checks` slice: the kernel parity checks the worker knows, and the latest run's results.
import type { StateCreator } from 'zustand';
import type { CheckInfo, CheckOutcome, WorkerEvent } from '../worker/protocol';
import { errorOf } from './errors';
import type { AppState, StoreDeps } from './types';

/** `queued`: part of the current run, not started; `not-run`: the run ended before reaching it. */
export type CheckStatus = 'idle' | 'queued' | 'running' | 'pass' | 'fail' | 'not-run';

export interface CheckResultState {
  status: CheckStatus;
  outcome: CheckOutcome | null;
}

export interface ChecksState {
  list: CheckInfo[];
  listed: boolean;
  results: Record<string, CheckResultState>;
  running: boolean;
  /** Totals of the last finished run; `elapsedMs` is wall-clock on the page, messaging included. */
  summary: { passed: number; failed: number; elapsedMs: number } | null;
  /** Why the last run or listing ended early (e.g. the device was lost). */
  error: string | null;
}

export interface ChecksSlice {
  checks: ChecksState;
  loadChecks(): Promise<void>;
  /** Runs the given checks, or all of them; results stream into `checks.results`. */
  runChecks(ids?: string[]): Promise<void>;
}

export const initialChecksState: ChecksState = {
  list: [],
  listed: false,
  results: {},
  running: false,
  summary: null,
  error: null,
};

/** Marks `ids` as queued for a new run and clears the previous run's totals (pure). */
export function startRun(checks: ChecksState, ids: readonly string[]): ChecksState {
  const results = { ...checks.results };
  for (const id of ids) results[id] = { status: 'queued', outcome: null };
  return { ...checks, results, running: true, summary: null, error: null };
}

/** Folds one streamed worker event into the checks state (pure). */
export function applyCheckEvent(checks: ChecksState, event: WorkerEvent): ChecksState {
  switch (event.type) {
    case 'checkStarted':
      return {
        ...checks,
        results: { ...checks.results, [event.checkId]: { status: 'running', outcome: null } },
      };
    case 'checkResult': {
      const { checkId, pass, detail, gpuMs, cpuMs, timing } = event;
      const outcome: CheckOutcome = { checkId, pass, detail, gpuMs, cpuMs, timing };
      return {
        ...checks,
        results: { ...checks.results, [checkId]: { status: pass ? 'pass' : 'fail', outcome } },
      };
    }
    default:
      return checks;
  }
}

/** Ends a run: totals on success, or the error with unfinished checks marked `not-run` (pure). */
export function finishRun(
  checks: ChecksState,
  end: { passed: number; failed: number; elapsedMs: number } | { error: string },
): ChecksState {
  if (!('error' in end)) return { ...checks, running: false, summary: end, error: null };
  const results = { ...checks.results };
  for (const [id, result] of Object.entries(results)) {
    if (result.status === 'queued' || result.status === 'running') {
      results[id] = { status: 'not-run', outcome: null };
    }
  }
  return { ...checks, results, running: false, summary: null, error: end.error };
}

export function createChecksSlice(deps: StoreDeps): StateCreator<AppState, [], [], ChecksSlice> {
  return (set, get) => ({
    checks: initialChecksState,

    async loadChecks() {
      try {
        const { checks } = await deps.client().request({ type: 'listChecks' });
        set((s) => ({ checks: { ...s.checks, list: checks, listed: true } }));
      } catch (cause) {
        set((s) => ({ checks: { ...s.checks, listed: true, error: errorOf(cause).message } }));
      }
    },

    async runChecks(ids) {
      const { checks, gpu } = get();
      if (checks.running || gpu.status !== 'ready') return;
      const targets = ids ?? checks.list.map((c) => c.id);
      set((s) => ({ checks: startRun(s.checks, targets) }));
      const started = deps.now();
      try {
        const done = await deps
          .client()
          .request(
            { type: 'runChecks', ids },
            { onProgress: (event) => set((s) => ({ checks: applyCheckEvent(s.checks, event) })) },
          );
        const end = { passed: done.passed, failed: done.failed, elapsedMs: deps.now() - started };
        set((s) => ({ checks: finishRun(s.checks, end) }));
      } catch (cause) {
        set((s) => ({ checks: finishRun(s.checks, { error: errorOf(cause).message }) }));
      }
    },
  });
}
