// The Evaluate workbench's messages between the UI and the GPU worker (pure: both sides import it).
// A run: `startEvaluation` → `evaluationProgress` (after jobs, at most a few per second, and the
// last one always) … → the reply `evaluationDone`: the whole EvaluationResult, or `cancelled` when
// `cancelEvaluation` stopped it (between two decoding steps). A refusal (an invalid config, a model
// that is not loaded or not the pinned one) or a GPU failure is the protocol's `error` reply, worded
// for the user, like every other request: the client rejects with it.
//
// Models: as a Decode run (decodeTypes.ts): 'default' refs are the Shapes defaults, loaded into their
// worker slots when needed; other refs must be the Model tab's model; pins are checked.
import type { EvaluationConfig, EvaluationProgress, EvaluationResult } from '../evaluate';

export interface StartEvaluationParams {
  /** Validated again in the worker (runEvaluation); the UI sends what its link would carry. */
  config: EvaluationConfig;
}

export type EvaluationOutcome =
  | { status: 'completed'; result: EvaluationResult }
  /** Cancelled: nothing is summarised (a partial run would bias the intervals). */
  | { status: 'cancelled'; progress: EvaluationProgress | null };

export type { EvaluationProgress };

/** The events of an evaluation (protocol.ts's WorkerEvent includes them). */
export type EvaluationEvent =
  | ({ type: 'evaluationProgress'; requestId: number } & EvaluationProgress)
  | ({ type: 'evaluationDone'; requestId: number } & EvaluationOutcome)
  | { type: 'evaluationCancelling'; requestId: number; wasRunning: boolean };
