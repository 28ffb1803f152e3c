// The one typed protocol between the UI thread and the GPU worker.
//
// The UI sends `WorkerRequest`s, each with a numeric `id`. The worker answers with
// `WorkerEvent`s: a request gets zero or more streamed events (e.g. `checkResult`) carrying its
// id as `requestId`, then exactly one terminal event: its reply (see `REPLY_TYPE`) or `error`.
// Events the worker sends on its own (`deviceLost`) carry `requestId: null`.
//
// Adding a request (generate, train, evaluate) means: add a member to `WorkerRequestBody`, its
// reply and progress events to `WorkerEvent` (and `EVENT_TYPES`), and its reply type to
// `REPLY_TYPE` (the compiler insists). Nothing else in the client changes. A request that steers
// running work (stop, pause, save) goes in `IMMEDIATE_REQUESTS` so it does not wait behind it.
import type { AdapterSummary } from '../gpu/device';
import type { GpuErrorKind } from '../gpu/errors';
import type { TimingSource } from '../gpu/timing';
import type {
  GenerateParams,
  GeneratedTokenEvent,
  GenerationSummary,
  InspectParams,
  InspectResult,
  DownloadQuestion,
  ModelCard,
  ModelProgress,
  ModelSourceSpec,
  TokenPiece,
} from './modelTypes';
import type { DecodeOutcome, DecodeStartedInfo, LaneTokens, StartDecodeParams } from './decodeTypes';
import type { EvaluationEvent, StartEvaluationParams } from './evaluateTypes';
import type { ModelSlot } from './shapesTypes';
import type {
  SpeculativeOutcome,
  SpeculativeProgress,
  SpeculativeStartedInfo,
  StartSpeculativeParams,
  WorkbenchModelDescription,
} from './speculativeTypes';
import type {
  SavedCheckpoint,
  StartTrainingParams,
  TrainingInfo,
  TrainingOutcome,
  TrainingPoint,
} from './trainTypes';

/** A kernel parity check as the UI sees it (no code, just what to list). */
export interface CheckInfo {
  id: string;
  family: string;
  description: string;
}

/** The outcome of one check; a check that throws becomes `pass: false` with the error as detail. */
export interface CheckOutcome {
  checkId: string;
  pass: boolean;
  detail: string;
  gpuMs: number;
  cpuMs: number;
  timing: TimingSource;
}

/** Why a request failed: the GPU error kinds, plus protocol-level failures. */
export type WorkerErrorKind =
  GpuErrorKind | 'not-initialized' | 'unknown-request' | 'worker-crashed' | 'failed';

export type WorkerRequestBody =
  /** Acquire the device. Replied to with `ready`. */
  | { type: 'init' }
  /** The checks the worker knows (from src/kernels/registry.ts). Replied to with `checkList`. */
  | { type: 'listChecks' }
  /** Run the given checks (all when `ids` is absent), streaming progress. Replied to with `checksDone`. */
  | { type: 'runChecks'; ids?: string[] }
  /** Drop the current device and acquire a new one (after a loss). Replied to with `ready`. */
  | { type: 'reacquire' }
  /**
   * Destroys the device on purpose so the loss path can be exercised (diagnostics, e2e tests).
   * Handled at once, not queued behind running work. Replied to with `lossSimulated`.
   */
  | { type: 'simulateDeviceLoss' }
  /**
   * Load a model folder into `slot` (default 'workbench', the Model tab's; see shapesTypes.ts),
   * replacing the model loaded there (or beside it: `source.load.keepLoaded`), streaming
   * `modelProgress` per file; refused before the weights are fetched when config.json says it
   * cannot fit. `source.load` also picks the engine (safetensors in WGSL, or a Hub ONNX export in
   * onnxruntime-web with its dtype and provider). Replied to with `modelLoaded`.
   */
  | {
      type: 'loadModel';
      source: ModelSourceSpec;
      slot?: ModelSlot;
      /**
       * Ask before a large download: the worker streams `downloadConfirm` after config.json and
       * waits for `answerDownload` (a "no" fails the load with a cancellation message).
       */
      askBeforeDownload?: boolean;
    }
  /**
   * The answer to a load's `downloadConfirm` (`loadRequestId` is that load's id). Handled at once.
   * Replied to with `downloadAnswered` (`wasWaiting: false` when no load was waiting).
   */
  | { type: 'answerDownload'; loadRequestId: number; proceed: boolean; slot?: ModelSlot }
  /**
   * Generate from the model loaded in `slot` (with an image for a vision-language model),
   * streaming `generationStarted` then `generatedToken`s. Replied to with `generated`.
   */
  | ({ type: 'generate'; slot?: ModelSlot } & GenerateParams)
  /** Ends `slot`'s running generation after its current token. Handled at once. Replied to with `generationStopped`. */
  | { type: 'stopGeneration'; slot?: ModelSlot }
  /** One forward with capture over `text`: attention map and logit lens. Replied to with `inspected`. */
  | ({ type: 'inspect' } & InspectParams)
  /**
   * Train a new or the loaded model; refused before anything is built when a setting is invalid.
   * Streams `trainingStarted`, then `trainingProgress` (every step, batched a few times a second).
   * Holds the queue until the run ends; replied to with `trainingEnded` (completed, stopped, or
   * stopped-nan with the message naming the step and the tensor).
   */
  | ({ type: 'startTraining' } & StartTrainingParams)
  /** Pauses after the current step. Handled at once. Replied to with `trainingPaused`. */
  | { type: 'pauseTraining' }
  /** Handled at once. Replied to with `trainingResumed`. */
  | { type: 'resumeTraining' }
  /** Ends the run after the current step. Handled at once. Replied to with `trainingStopping`. */
  | { type: 'stopTraining' }
  /**
   * The current (or, after a stop or NaN, the last good) parameters as a checkpoint zip; waits for
   * the running step. Handled at once. Replied to with `checkpointSaved`.
   */
  | { type: 'saveCheckpoint' }
  /**
   * Run a Decode experiment (decodeTypes.ts): streams `decodeStarted`, then `decodeTokens`.
   * Refused before anything runs when the experiment's models are not loaded or do not match its
   * pinned hashes. Replied to with `decodeEnded` carrying the whole trace.
   */
  | ({ type: 'startDecode' } & StartDecodeParams)
  /** Handled at once. Replied to with `decodePaused`. */
  | { type: 'pauseDecode' }
  /** Handled at once. Replied to with `decodeResumed`. */
  | { type: 'resumeDecode' }
  /** While paused: one token in every unfinished lane. Handled at once. Replied to with `decodeStepped`. */
  | { type: 'stepDecode' }
  /** Ends the run after the current step. Handled at once. Replied to with `decodeStopping`. */
  | { type: 'stopDecode' }
  /**
   * Run a Speculative setup (speculativeTypes.ts): streams `speculativeStarted`, then
   * `speculativeRounds`. Refused before anything runs when a model is not loaded, does not match
   * its pins, or the engine refuses the setup. Replied to with `speculativeEnded` (the whole trace).
   */
  | ({ type: 'startSpeculative' } & StartSpeculativeParams)
  /** Handled at once. Replied to with `speculativePaused`. */
  | { type: 'pauseSpeculative' }
  /** Handled at once. Replied to with `speculativeResumed`. */
  | { type: 'resumeSpeculative' }
  /** While paused: one round. Handled at once. Replied to with `speculativeStepped`. */
  | { type: 'stepSpeculative' }
  /** Ends the run after the current round. Handled at once. Replied to with `speculativeStopping`. */
  | { type: 'stopSpeculative' }
  /** The Model tab's model as a ref a setup can name. Replied to with `workbenchModelDescribed`. */
  | { type: 'describeWorkbenchModel' }
  /**
   * Run an evaluation (evaluateTypes.ts) with the worker's models: streams `evaluationProgress`.
   * Refused before anything runs when the config is invalid or a model is not loaded or not the
   * pinned one. Holds the queue; replied to with `evaluationDone` (the result, or cancelled).
   */
  | ({ type: 'startEvaluation' } & StartEvaluationParams)
  /** Cancels the running evaluation between two decoding steps. Handled at once. Replied to with `evaluationCancelling`. */
  | { type: 'cancelEvaluation' };

export type WorkerRequestType = WorkerRequestBody['type'];
export type WorkerRequest = WorkerRequestBody & { id: number };

export type WorkerEvent =
  | { type: 'ready'; requestId: number; adapter: AdapterSummary }
  | { type: 'checkList'; requestId: number; checks: CheckInfo[] }
  | { type: 'checkStarted'; requestId: number; checkId: string }
  | ({ type: 'checkResult'; requestId: number } & CheckOutcome)
  | { type: 'checksDone'; requestId: number; passed: number; failed: number }
  | { type: 'lossSimulated'; requestId: number }
  | ({ type: 'modelProgress'; requestId: number } & ModelProgress)
  | {
      type: 'modelLoaded';
      requestId: number;
      card: ModelCard;
      /** Every model now in the slot, oldest first, `card` last (absent: `card` alone). */
      loaded?: ModelCard[];
    }
  | ({ type: 'downloadConfirm'; requestId: number } & DownloadQuestion)
  | { type: 'downloadAnswered'; requestId: number; wasWaiting: boolean }
  | { type: 'generationStarted'; requestId: number; promptTokens: TokenPiece[] }
  | ({ type: 'generatedToken'; requestId: number } & GeneratedTokenEvent)
  | ({ type: 'generated'; requestId: number } & GenerationSummary)
  | { type: 'generationStopped'; requestId: number; wasRunning: boolean }
  | ({ type: 'inspected'; requestId: number } & InspectResult)
  | { type: 'trainingStarted'; requestId: number; info: TrainingInfo }
  | { type: 'trainingProgress'; requestId: number; points: TrainingPoint[] }
  | ({ type: 'trainingEnded'; requestId: number } & TrainingOutcome)
  | { type: 'trainingPaused'; requestId: number; wasRunning: boolean }
  | { type: 'trainingResumed'; requestId: number; wasPaused: boolean }
  | { type: 'trainingStopping'; requestId: number; wasRunning: boolean }
  | ({ type: 'checkpointSaved'; requestId: number } & SavedCheckpoint)
  | ({ type: 'decodeStarted'; requestId: number } & DecodeStartedInfo)
  | { type: 'decodeTokens'; requestId: number; lanes: LaneTokens[] }
  | ({ type: 'decodeEnded'; requestId: number } & DecodeOutcome)
  | { type: 'decodePaused'; requestId: number; wasRunning: boolean }
  | { type: 'decodeResumed'; requestId: number; wasPaused: boolean }
  | { type: 'decodeStepped'; requestId: number; wasPaused: boolean }
  | { type: 'decodeStopping'; requestId: number; wasRunning: boolean }
  | ({ type: 'speculativeStarted'; requestId: number } & SpeculativeStartedInfo)
  | ({ type: 'speculativeRounds'; requestId: number } & SpeculativeProgress)
  | ({ type: 'speculativeEnded'; requestId: number } & SpeculativeOutcome)
  | { type: 'speculativePaused'; requestId: number; wasRunning: boolean }
  | { type: 'speculativeResumed'; requestId: number; wasPaused: boolean }
  | { type: 'speculativeStepped'; requestId: number; wasPaused: boolean }
  | { type: 'speculativeStopping'; requestId: number; wasRunning: boolean }
  | ({ type: 'workbenchModelDescribed'; requestId: number } & WorkbenchModelDescription)
  | EvaluationEvent
  | { type: 'error'; requestId: number | null; kind: WorkerErrorKind; message: string }
  | { type: 'deviceLost'; requestId: null; reason: string; message: string };

export type WorkerEventType = WorkerEvent['type'];

/** The event that answers each request (an `error` event can answer any of them instead). */
export const REPLY_TYPE = {
  init: 'ready',
  listChecks: 'checkList',
  runChecks: 'checksDone',
  reacquire: 'ready',
  simulateDeviceLoss: 'lossSimulated',
  loadModel: 'modelLoaded',
  answerDownload: 'downloadAnswered',
  generate: 'generated',
  stopGeneration: 'generationStopped',
  inspect: 'inspected',
  startTraining: 'trainingEnded',
  pauseTraining: 'trainingPaused',
  resumeTraining: 'trainingResumed',
  stopTraining: 'trainingStopping',
  saveCheckpoint: 'checkpointSaved',
  startDecode: 'decodeEnded',
  pauseDecode: 'decodePaused',
  resumeDecode: 'decodeResumed',
  stepDecode: 'decodeStepped',
  stopDecode: 'decodeStopping',
  startSpeculative: 'speculativeEnded',
  pauseSpeculative: 'speculativePaused',
  resumeSpeculative: 'speculativeResumed',
  stepSpeculative: 'speculativeStepped',
  stopSpeculative: 'speculativeStopping',
  describeWorkbenchModel: 'workbenchModelDescribed',
  startEvaluation: 'evaluationDone',
  cancelEvaluation: 'evaluationCancelling',
} as const satisfies Record<WorkerRequestType, WorkerEventType>;

/** Requests handled as soon as they arrive instead of waiting for the request in progress. */
export const IMMEDIATE_REQUESTS: ReadonlySet<WorkerRequestType> = new Set([
  'simulateDeviceLoss',
  'answerDownload',
  'stopGeneration',
  'pauseTraining',
  'resumeTraining',
  'stopTraining',
  'saveCheckpoint',
  'pauseDecode',
  'resumeDecode',
  'stepDecode',
  'stopDecode',
  'pauseSpeculative',
  'resumeSpeculative',
  'stepSpeculative',
  'stopSpeculative',
  'cancelEvaluation',
]);

/** The reply event for a request body, e.g. `ReplyTo<{ type: 'init' }>` is the `ready` event. */
export type ReplyTo<R extends WorkerRequestBody> = Extract<
  WorkerEvent,
  { type: (typeof REPLY_TYPE)[R['type']] }
>;

/** Everything that can carry messages both ways: a Worker, a MessagePort, or a test double. */
export interface MessageEndpoint<Out, In> {
  postMessage(message: Out): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<In>) => void): void;
  addEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
  terminate?(): void;
}

const EVENT_TYPES: ReadonlySet<string> = new Set<WorkerEventType>([
  'ready',
  'checkList',
  'checkStarted',
  'checkResult',
  'checksDone',
  'lossSimulated',
  'modelProgress',
  'modelLoaded',
  'downloadConfirm',
  'downloadAnswered',
  'generationStarted',
  'generatedToken',
  'generated',
  'generationStopped',
  'inspected',
  'trainingStarted',
  'trainingProgress',
  'trainingEnded',
  'trainingPaused',
  'trainingResumed',
  'trainingStopping',
  'checkpointSaved',
  'decodeStarted',
  'decodeTokens',
  'decodeEnded',
  'decodePaused',
  'decodeResumed',
  'decodeStepped',
  'decodeStopping',
  'speculativeStarted',
  'speculativeRounds',
  'speculativeEnded',
  'speculativePaused',
  'speculativeResumed',
  'speculativeStepped',
  'speculativeStopping',
  'workbenchModelDescribed',
  'evaluationProgress',
  'evaluationDone',
  'evaluationCancelling',
  'error',
  'deviceLost',
]);

/** Narrow check for messages arriving from the worker (anything else is a bug worth naming). */
export function isWorkerEvent(value: unknown): value is WorkerEvent {
  if (typeof value !== 'object' || value === null) return false;
  const { type, requestId } = value as { type?: unknown; requestId?: unknown };
  return (
    typeof type === 'string' && EVENT_TYPES.has(type) && (requestId === null || typeof requestId === 'number')
  );
}
