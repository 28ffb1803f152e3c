// `window.logitlab`: the Decode workbench for scripts (issue 6, "Automation"). It drives the same
// store, worker and kernels as the buttons, so a script and a click give the same tokens:
//
//   const trace = await window.logitlab.run(experiment);      // Experiment (src/share/experiment.ts)
//   window.logitlab.encodeLink(experiment)  → "x1.…"          // the share link's payload
//   window.logitlab.decodeLink("#decode/x1.…") → { ok, experiment } | { ok: false, error }
//   window.logitlab.exportTrace(trace)      → trace JSON file text
//   const result = await window.logitlab.evaluate(config, { onProgress }); // EvaluationConfig
//   window.logitlab.decodeEvaluationLink("#evaluate/x1.…") → { ok, config } | { ok: false, error }
//   window.logitlab.exportEvaluation(result) / evaluationCsv(result) → JSON / CSV file text
//
// `npm run experiment` (scripts/experiment.mjs) calls these in headless Chromium; a parameter sweep
// is a loop over run(). Runs are queued: one at a time, in call order. Evaluations (issue 10,
// src/evaluate/) run in the page with their own device and models (src/evaluate/page.ts, loaded on
// first use), queued like runs.
import type { StoreApi } from 'zustand/vanilla';
import { decodeLink, encodeLink, exportTrace, validateExperiment, type DecodeLinkResult } from '../../share';
import type { Experiment } from '../../share/experiment';
import type { Trace } from '../../share/trace';
import {
  decodeEvaluationLink,
  encodeEvaluationLink,
  evaluationCsv,
  serializeEvaluation,
  type EvaluationConfig,
  type EvaluationLinkResult,
  type EvaluationProgress,
  type EvaluationResult,
} from '../../evaluate';
import { modelAvailability, modelsInUse } from '../../store/decodeModels';
import type { AppState } from '../../store/types';

export const AUTOMATION_VERSION = '1';

export interface LogitLabAutomation {
  /** The automation API's version (bumped when a signature changes). */
  version: string;
  run(experiment: Experiment): Promise<Trace>;
  encodeLink(experiment: Experiment): string;
  decodeLink(hashOrUrl: string): DecodeLinkResult;
  exportTrace(trace: Trace): string;
  /** Runs an evaluation (src/evaluate/config.ts); `signal` cancels it. */
  evaluate(
    config: EvaluationConfig,
    options?: { onProgress?: (progress: EvaluationProgress) => void; signal?: AbortSignal },
  ): Promise<EvaluationResult>;
  encodeEvaluationLink(config: EvaluationConfig): string;
  decodeEvaluationLink(hashOrUrl: string): EvaluationLinkResult;
  /** The result as a JSON file's text. */
  exportEvaluation(result: EvaluationResult): string;
  evaluationCsv(result: EvaluationResult): string;
}

declare global {
  interface Window {
    logitlab?: LogitLabAutomation;
  }
}

/** Waits until the store's GPU is ready (or has failed). */
function gpuReady(store: StoreApi<AppState>): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (state: AppState): boolean => {
      if (state.gpu.status === 'ready') resolve();
      else if (state.gpu.status === 'error')
        reject(new Error(`WebGPU is not available: ${state.gpu.error?.message}`));
      else if (state.gpu.status === 'lost')
        reject(new Error(`the GPU device was lost: ${state.gpu.loss?.message}`));
      else return false;
      return true;
    };
    if (check(store.getState())) return;
    const unsubscribe = store.subscribe((state) => {
      if (check(state)) unsubscribe();
    });
  });
}

/** Waits until no model the experiment uses is still loading (the Decode tab starts the defaults). */
function modelsSettled(store: StoreApi<AppState>): Promise<void> {
  const settled = (state: AppState) =>
    modelsInUse(state.decode.experiment).every(
      ([, ref]) => modelAvailability(ref, state.shapes, state.model).status !== 'loading',
    );
  return new Promise((resolve) => {
    if (settled(store.getState())) return resolve();
    const unsubscribe = store.subscribe((state) => {
      if (!settled(state)) return;
      unsubscribe();
      resolve();
    });
  });
}

async function runOnce(store: StoreApi<AppState>, experiment: Experiment): Promise<Trace> {
  const valid = validateExperiment(experiment);
  if (!valid.ok) throw new Error(`invalid experiment:\n${valid.issues.join('\n')}`);
  await gpuReady(store);
  const state = store.getState();
  if (!state.loadDecodeLink(encodeLink(valid.experiment))) {
    throw new Error(store.getState().decode.linkError ?? 'the experiment could not be loaded');
  }
  if (!store.getState().shapes.started) void store.getState().startShapes();
  await modelsSettled(store);
  await store.getState().runDecode();
  const { decode } = store.getState();
  if (decode.status !== 'done' || !decode.trace) {
    throw new Error(decode.error ?? `the run ended in state "${decode.status}" without a trace`);
  }
  return structuredClone(decode.trace);
}

export function createAutomation(store: StoreApi<AppState>): LogitLabAutomation {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    version: AUTOMATION_VERSION,
    run(experiment) {
      const next = queue.then(() => runOnce(store, experiment));
      queue = next.catch(() => undefined);
      return next;
    },
    encodeLink,
    decodeLink,
    exportTrace,
    evaluate(config, options = {}) {
      const next = queue.then(async () =>
        (await import('../../evaluate/page')).evaluateInPage(config, options),
      );
      queue = next.catch(() => undefined);
      return next;
    },
    encodeEvaluationLink,
    decodeEvaluationLink,
    exportEvaluation: serializeEvaluation,
    evaluationCsv,
  };
}

export function installAutomation(store: StoreApi<AppState>): void {
  window.logitlab = createAutomation(store);
}
