// The `evaluate` slice: the Evaluate workbench. It holds the evaluation being edited (the engine's
// EvaluationConfig, checked with the engine's own schema: a bad value blocks Run and the link, never
// gets clamped), the run (status, progress with ETA, the result), and the saved results, kept across
// reloads through an EvaluationStorage (src/evaluate/storage.ts; the browser's localStorage, or
// memory where there is none). The run itself happens in the GPU worker (src/worker/evaluateHost.ts).
import type { StateCreator } from 'zustand';
import {
  decodeEvaluationLink,
  encodeEvaluationLink,
  defaultEvaluationConfig,
  memoryEvaluationStorage,
  parseEvaluation,
  textStoreEvaluationStorage,
  validateEvaluationConfig,
  type EvaluationConfig,
  type EvaluationProgress,
  type EvaluationResult,
  type EvaluationStorage,
  type StoredEvaluation,
  type TextStore,
} from '../evaluate';
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

/** localStorage as a TextStore (a full quota is reported by save, with the size it tried). */
function localTextStore(storage: Storage): TextStore {
  return {
    get: async (key) => storage.getItem(key),
    set: async (key, value) => {
      try {
        storage.setItem(key, value);
      } catch (cause) {
        throw new Error(
          `the browser refused to keep ${(value.length / 1e6).toFixed(1)} MB (${String(cause).slice(0, 120)}): remove saved results or export this one as JSON`,
        );
      }
    },
    delete: async (key) => storage.removeItem(key),
  };
}

export function browserEvaluationStorage(): EvaluationStorage {
  try {
    if (typeof localStorage !== 'undefined') return textStoreEvaluationStorage(localTextStore(localStorage));
  } catch {
    // localStorage can throw on access (privacy settings): results then live for the session.
  }
  return memoryEvaluationStorage();
}

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

    const save = async (result: EvaluationResult) => {
      try {
        const entry = await storage.save(result);
        setEvaluate({ resultId: entry.id, saved: await storage.list() });
      } catch (cause) {
        setEvaluate({ error: `The result is shown but was not saved: ${errorOf(cause).message}` });
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
          setEvaluate({ saved: await storage.list() });
        } catch (cause) {
          fail(cause);
        }
      },

      async openSavedEvaluation(id) {
        if (isEvaluationActive(get().evaluate.status)) return;
        const loaded = await storage.load(id);
        if (!loaded) {
          setEvaluate({ error: `No saved evaluation ${id}: it was removed.`, saved: await storage.list() });
          return;
        }
        if (!loaded.ok) {
          setEvaluate({ error: `The saved evaluation ${id} cannot be read: ${loaded.issues.slice(0, 3).join('; ')}` }); // prettier-ignore
          return;
        }
        setEvaluate({ result: loaded.result, resultId: id, config: loaded.result.config, status: 'done', error: null }); // prettier-ignore
      },

      async removeSavedEvaluation(id) {
        await storage.remove(id);
        setEvaluate((s) => ({ ...(s.resultId === id ? { resultId: null } : {}) }));
        setEvaluate({ saved: await storage.list() });
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
