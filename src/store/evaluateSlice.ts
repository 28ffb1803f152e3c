// The `evaluate` slice: the Evaluate workbench. It holds the evaluation being edited (the engine's
// EvaluationConfig, checked with the engine's own schema: a bad value blocks Run and the link, never
// gets clamped), the run (status, progress with ETA, the result), and the saved results, kept across
// reloads through an EvaluationStorage (src/evaluate/storage.ts; IndexedDB in the browser, memory
// where there is none). A storage failure becomes the banner's message: the result on screen and
// the results already saved stay. The run itself happens in the GPU worker (src/worker/evaluateHost.ts).
import type { StateCreator } from 'zustand';
import {
  decodeEvaluationLink,
  encodeEvaluationLink,
  defaultEvaluationConfig,
  parseEvaluation,
  validateEvaluationConfig,
  type EvaluationConfig,
  type EvaluationProgress,
  type EvaluationResult,
  type EvaluationStorage,
  type StoredEvaluation,
} from '../evaluate';
import { browserEvaluationStorage } from '../evaluate/storage-browser';
import type { ModelRef } from '../share/experiment';
import { errorOf } from './errors';
import type { AppState, StoreDeps } from './types';

export type EvaluateStatus = 'idle' | 'running' | 'cancelling' | 'done' | 'cancelled' | 'error';

export interface EvaluateState {
  config: EvaluationConfig;
  status: EvaluateStatus;
  /** The last progress of the running (or cancelled) run. */
  progress: EvaluationProgress | null;
  /** The result shown: the last run's, or a saved or imported one. */
  result: EvaluationResult | null;
  /** The saved id of the result shown, when it is saved. */
  resultId: string | null;
  saved: StoredEvaluation[];
  error: string | null;
}

export interface EvaluateSlice {
  evaluate: EvaluateState;
  /** Replaces the config being edited (stored as given; problems come from evaluationProblems). */
  setEvaluationConfig(change: (config: EvaluationConfig) => EvaluationConfig): void;
  runEvaluation(): Promise<void>;
  cancelEvaluation(): Promise<void>;
  /** Opens a link payload (`x1.…`), a `#evaluate/…` hash or a URL; false (and why) when it cannot. */
  loadEvaluationLink(payload: string): boolean;
  /** The link payload of the config, or null while it is invalid. */
  evaluationLinkPayload(): string | null;
  refreshSavedEvaluations(): Promise<void>;
  openSavedEvaluation(id: string): Promise<void>;
  removeSavedEvaluation(id: string): Promise<void>;
  /** Shows (and saves) a result file's JSON; its problems go to the banner. */
  importEvaluation(text: string): Promise<void>;
  dismissEvaluationError(): void;
}

type EvaluateStore = AppState & EvaluateSlice;

/** The config's problems, one line each (empty when it can run). */
export function evaluationProblems(config: EvaluationConfig): string[] {
  const validation = validateEvaluationConfig(config);
  return validation.ok ? [] : validation.issues;
}

export const isEvaluationActive = (status: EvaluateStatus) => status === 'running' || status === 'cancelling';

/** A default ref that pins nothing takes the hashes of the files the run loaded (the link reproduces it). */
function pinned(ref: ModelRef, hashes: Record<string, string>): ModelRef {
  return ref.source === 'default' && Object.keys(ref.sha256).length === 0 ? { ...ref, sha256: { ...hashes } } : ref; // prettier-ignore
}

export function initialEvaluateState(): EvaluateState {
  return {
    config: defaultEvaluationConfig(),
    status: 'idle',
    progress: null,
    result: null,
    resultId: null,
    saved: [],
    error: null,
  };
}

export function createEvaluateSlice(
  deps: StoreDeps,
  storage: EvaluationStorage = browserEvaluationStorage(),
): StateCreator<EvaluateStore, [], [], EvaluateSlice> {
  return (set, get) => {
    const setEvaluate = (patch: Partial<EvaluateState> | ((s: EvaluateState) => Partial<EvaluateState>)) =>
      set((s) => ({ evaluate: { ...s.evaluate, ...(typeof patch === 'function' ? patch(s.evaluate) : patch) } })); // prettier-ignore
    const fail = (cause: unknown) => setEvaluate({ error: errorOf(cause).message });

    // Storage calls never throw out of an action: a failure is the banner's message, and the list
    // keeps what it showed.
    const listSaved = async () => (await storage.list()).entries;
    const save = async (result: EvaluationResult) => {
      try {
        const entry = await storage.save(result);
        setEvaluate({ resultId: entry.id });
      } catch (cause) {
        setEvaluate({ error: `The result is shown but was not saved: ${errorOf(cause).message}` });
        return;
      }
      try {
        setEvaluate({ saved: await listSaved() });
      } catch (cause) {
        fail(cause);
      }
    };

    return {
      evaluate: initialEvaluateState(),

      setEvaluationConfig(change) {
        if (isEvaluationActive(get().evaluate.status)) return;
        setEvaluate((s) => ({ config: change(s.config) }));
      },

      async runEvaluation() {
        const { evaluate, gpu } = get();
        if (isEvaluationActive(evaluate.status)) return;
        if (gpu.status !== 'ready') {
          setEvaluate({ error: 'The GPU is not ready: wait for the worker to connect (or reconnect it).' });
          return;
        }
        const problems = evaluationProblems(evaluate.config);
        if (problems.length > 0) {
          const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
          setEvaluate({ error: `Run refused: ${problems[0]}${more}.` });
          return;
        }
        const config = structuredClone(evaluate.config);
        setEvaluate({ status: 'running', progress: null, error: null });
        try {
          const done = await deps.client().request(
            { type: 'startEvaluation', config },
            {
              onProgress: (event) => {
                if (event.type !== 'evaluationProgress') return;
                const { type: _type, requestId: _id, ...progress } = event;
                setEvaluate({ progress });
              },
            },
          );
          if (done.status === 'cancelled') {
            setEvaluate({ status: 'cancelled', progress: done.progress });
            return;
          }
          const { result } = done;
          setEvaluate((s) => ({
            status: 'done',
            result,
            resultId: null,
            config: {
              ...s.config,
              models: {
                main: pinned(s.config.models.main, result.models.main.fileHashes),
                ...(s.config.models.amateur
                  ? { amateur: pinned(s.config.models.amateur, result.models.amateur?.fileHashes ?? {}) }
                  : {}),
              },
            },
          }));
          await save(result);
        } catch (cause) {
          setEvaluate({ status: 'error', error: `The evaluation failed: ${errorOf(cause).message}` });
        }
      },

      async cancelEvaluation() {
        if (get().evaluate.status !== 'running') return;
        setEvaluate({ status: 'cancelling' });
        try {
          await deps.client().request({ type: 'cancelEvaluation' });
        } catch (cause) {
          fail(cause);
        }
      },

      loadEvaluationLink(payload) {
        if (isEvaluationActive(get().evaluate.status)) {
          setEvaluate({ error: 'An evaluation is running: cancel it before opening a link.' });
          return false;
        }
        const decoded = decodeEvaluationLink(payload);
        if (!decoded.ok) {
          setEvaluate({ error: `This evaluation link cannot be opened: ${decoded.error.message}` });
          return false;
        }
        setEvaluate({ config: decoded.config, error: null });
        return true;
      },

      evaluationLinkPayload() {
        const { config } = get().evaluate;
        return evaluationProblems(config).length > 0 ? null : encodeEvaluationLink(config);
      },

      async refreshSavedEvaluations() {
        try {
          const { entries, skipped } = await storage.list();
          setEvaluate({ saved: entries });
          if (skipped.length > 0) {
            const more = skipped.length > 3 ? ` (and ${skipped.length - 3} more)` : '';
            setEvaluate({ error: `Some saved results were left out: ${skipped.slice(0, 3).join('; ')}${more}.` }); // prettier-ignore
          }
        } catch (cause) {
          setEvaluate({ error: `Saved results cannot be listed: ${errorOf(cause).message}` });
        }
      },

      async openSavedEvaluation(id) {
        if (isEvaluationActive(get().evaluate.status)) return;
        try {
          const loaded = await storage.load(id);
          if (!loaded) {
            setEvaluate({ error: `No saved evaluation ${id}: it was removed.`, saved: await listSaved() });
            return;
          }
          if (!loaded.ok) {
            setEvaluate({ error: `The saved evaluation ${id} cannot be read: ${loaded.issues.slice(0, 3).join('; ')}` }); // prettier-ignore
            return;
          }
          setEvaluate({ result: loaded.result, resultId: id, config: loaded.result.config, status: 'done', error: null }); // prettier-ignore
        } catch (cause) {
          setEvaluate({ error: `The saved evaluation ${id} cannot be opened: ${errorOf(cause).message}` });
        }
      },

      async removeSavedEvaluation(id) {
        try {
          await storage.remove(id);
          setEvaluate((s) => ({ ...(s.resultId === id ? { resultId: null } : {}) }));
          setEvaluate({ saved: await listSaved() });
        } catch (cause) {
          setEvaluate({ error: `The saved evaluation ${id} was not removed: ${errorOf(cause).message}` });
        }
      },

      async importEvaluation(text) {
        if (isEvaluationActive(get().evaluate.status)) return;
        const parsed = parseEvaluation(text);
        if (!parsed.ok) {
          setEvaluate({ error: `This file is not a LogitLab evaluation: ${parsed.issues.slice(0, 3).join('; ')}` }); // prettier-ignore
          return;
        }
        setEvaluate({ result: parsed.result, config: parsed.result.config, status: 'done', error: null });
        await save(parsed.result);
      },

      dismissEvaluationError() {
        setEvaluate({ error: null });
      },
    };
  };
}
