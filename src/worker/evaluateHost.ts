// The worker's Evaluate requests (evaluateTypes.ts): run an evaluation with the worker's own loaded
// models, stream its progress, cancel it. GpuHost runs `start` in its queue and holds the queue until
// the run ends (as a Decode run does), so no other GPU work interleaves with the evaluation's
// sessions; `cancel` is immediate and takes effect between two decoding steps (runEvaluation's
// AbortSignal). Models are resolved exactly as a Decode run resolves them (decodeSetup.ts): the
// Shapes defaults from their slots, loaded on demand, anything else from the Model tab's slot.
// runEvaluation comes in as a function (its modules touch WebGPU globals at load), so this file runs
// under Node unit tests with fakes.
import type { EvaluationConfig, EvaluationProgress, EvaluationResult } from '../evaluate';
import type { EvaluationDeps, RunEvaluationOptions } from '../evaluate/runner';
import type { Gpu } from '../gpu/runtime';
import { defaultExperiment } from '../share/methods';
import { resolveDecode, type DecodeSlots } from './decodeSetup';
import type { EvaluationEvent, StartEvaluationParams } from './evaluateTypes';
import type { WorkerEvent } from './protocol';

type Post = (event: WorkerEvent | EvaluationEvent) => void;

/** Progress goes out at most this often (the last job's progress always goes out). */
export const PROGRESS_INTERVAL_MS = 200;

/** A refusal written for the user (shown as is). */
export class EvaluationRequestError extends Error {
  override name = 'EvaluationRequestError';
}

export interface EvaluateHostOptions {
  slots: DecodeSlots;
  /** src/evaluate/runner.ts's runEvaluation (tests pass a scripted one). */
  runEvaluation(
    config: EvaluationConfig,
    deps: EvaluationDeps,
    options: RunEvaluationOptions,
  ): Promise<EvaluationResult>;
  /** Milliseconds, for throttling progress; default performance.now. */
  clock?: () => number;
}

export class EvaluateHost {
  private abort: AbortController | null = null;

  constructor(private readonly options: EvaluateHostOptions) {}

  /** Ends the run (its sessions belong to a device being replaced or lost). */
  reset(): void {
    this.abort?.abort();
  }

  /** Cancels the running evaluation; false when none runs (or it is already cancelling). */
  cancel(): boolean {
    if (!this.abort || this.abort.signal.aborted) return false;
    this.abort.abort();
    return true;
  }

  async start(gpu: Gpu, requestId: number, params: StartEvaluationParams, post: Post): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    const clock = this.options.clock ?? (() => performance.now());
    let last: EvaluationProgress | null = null;
    let lastPost = -Infinity;
    try {
      const { config } = params;
      if (config.dataset.kind === 'folder') {
        throw new EvaluationRequestError(
          'A folder dataset needs its images, and the Evaluate tab cannot send them yet: run it with window.logitlab.evaluate.',
        );
      }
      // The models a Decode run of this evaluation would use (no image: each example brings its own).
      const experiment = { ...defaultExperiment(), models: config.models, image: null };
      const { main, amateur } = await resolveDecode(gpu, { experiment, paused: false }, this.options.slots, requestId, post); // prettier-ignore
      const deps: EvaluationDeps = {
        gpu,
        models: { main: main.model, ...(amateur ? { amateur: amateur.model } : {}) },
        tokenizer: main.tokenizer,
      };
      const result = await this.options.runEvaluation(config, deps, {
        signal: abort.signal,
        onProgress: (progress) => {
          last = progress;
          const now = clock();
          if (progress.done < progress.total && now - lastPost < PROGRESS_INTERVAL_MS) return;
          lastPost = now;
          post({ type: 'evaluationProgress', requestId, ...progress });
        },
      });
      post({ type: 'evaluationDone', requestId, status: 'completed', result });
    } catch (cause) {
      // A cancel ends the run with its reply (EvaluationCancelledError is an 'AbortError');
      // anything else is the request's error.
      if (!(cause instanceof Error && cause.name === 'AbortError')) throw cause;
      post({ type: 'evaluationDone', requestId, status: 'cancelled', progress: last });
    } finally {
      if (this.abort === abort) this.abort = null;
    }
  }
}
