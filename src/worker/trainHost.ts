// The worker's training requests: start a run (new model from a size preset, or the loaded one, on
// the built-in corpus or a user's text), pause, resume, stop, and save a checkpoint. GpuHost runs
// `start` in its queue and holds the queue until the run ends; pause, resume, stop and save are
// immediate. The loop yields to the event loop after every step so they arrive between steps,
// and a save waits for the running step through `exclusive` (the Trainer runs one call at a time).
// The trainer comes in as a factory (the worker passes Trainer.create, which touches WebGPU
// globals at module load; Node tests pass the CPU reference trainer), so this file runs anywhere.
import type { Gpu } from '../gpu/runtime';
import type { ModelConfig } from '../model/config';
import type { TensorSource } from '../model/engine/weights';
import type { ModelSource } from '../model/loading';
import { checkpointFiles, checkpointFolderName } from '../training/checkpoint';
import { BatchSampler } from '../training/corpus';
import { crossEntropyObjective } from '../training/objective';
import { optimizerOf, scheduleOf } from '../training/settings';
import { TrainingError, type Objective, type StepReport, type TokenBatch, type TrainerOptions } from '../training/types'; // prettier-ignore
import { writeZip } from '../training/zip';
import type { WorkerEvent } from './protocol';
import { TrainRequestError, prepareRun, type PreparedRun } from './trainSetup';
import type {
  StartTrainingParams,
  TrainingInfo,
  TrainingOutcome,
  TrainingPoint,
  TrainingStatus,
} from './trainTypes';

type Post = (event: WorkerEvent) => void;

/** Progress is posted at most this often (every step's point is in some event). */
export const PROGRESS_INTERVAL_MS = 150;

/** What the host needs of a trainer (src/training/trainer.ts's Trainer). */
export interface TrainerLike {
  readonly stepsDone: number;
  readonly parameterCount: number;
  readonly gpuBytes: number;
  trainStep(batches: readonly TokenBatch[], objective: Objective): Promise<StepReport>;
  exportWeights(): Promise<Map<string, Float32Array>>;
  dispose(): void;
}

export interface TrainHostOptions {
  createTrainer(
    gpu: Gpu,
    config: ModelConfig,
    tensors: TensorSource,
    options: TrainerOptions,
  ): Promise<TrainerLike>;
  /** The Model tab's model (training "the loaded one" reads its folder again), or null. */
  loadedModel(): { source: ModelSource; name: string } | null;
  /** GPU memory the app allows itself; a loaded model too large to train is refused up front. */
  memoryBudgetBytes: number;
}

interface Session {
  run: PreparedRun;
  trainer: TrainerLike;
  status: TrainingStatus;
  lastLoss: number | null;
  endedBecause: string | null;
}

/** Lets queued messages (pause, stop, save) run between steps: a macrotask, not a microtask. */
const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class TrainHost {
  private session: Session | null = null;
  private paused = false;
  private preparing = false;
  private stopRequested = false;
  private wake: (() => void) | null = null;
  /** Tail of the trainer calls (steps and exports run one at a time). */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: TrainHostOptions) {}

  /** Ends any run and frees the trainer (its buffers belong to a device being replaced or lost). */
  reset(): void {
    this.stopRequested = true;
    this.wakeLoop();
    this.disposeSession();
  }

  private disposeSession(): void {
    this.session?.trainer.dispose();
    this.session = null;
  }

  pause(): boolean {
    if (this.session?.status !== 'running') return false;
    this.paused = true;
    this.session.status = 'paused';
    return true;
  }

  resume(): boolean {
    if (this.session?.status !== 'paused') return false;
    this.paused = false;
    this.session.status = 'running';
    this.wakeLoop();
    return true;
  }

  stop(): boolean {
    const status = this.session?.status;
    if (!this.preparing && status !== 'running' && status !== 'paused') return false;
    this.stopRequested = true;
    this.wakeLoop();
    return true;
  }

  private wakeLoop(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  async start(gpu: Gpu, requestId: number, params: StartTrainingParams, post: Post): Promise<void> {
    this.stopRequested = false;
    this.paused = false;
    this.preparing = true;
    let session: Session;
    try {
      const run = await prepareRun(params, this.options.loadedModel(), this.options.memoryBudgetBytes);
      // Only now, with everything validated, does the previous run's trainer (kept for saving) go.
      this.disposeSession();
      const trainer = await this.options.createTrainer(gpu, run.config, run.tensors, {
        name: run.baseName,
        optimizer: optimizerOf(run.settings),
        schedule: scheduleOf(run.settings),
      });
      session = { run, trainer, status: 'running', lastLoss: null, endedBecause: null };
      this.session = session;
    } finally {
      this.preparing = false;
    }
    post({ type: 'trainingStarted', requestId, info: this.infoOf(session) });
    const outcome = await this.loop(gpu, session, requestId, post);
    post({ type: 'trainingEnded', requestId, ...outcome });
  }

  private infoOf({ run, trainer }: Session): TrainingInfo {
    const c = run.config;
    const s = run.settings;
    return {
      modelName: run.modelName,
      architecture: c.architecture,
      modelType: c.modelType,
      parameterCount: trainer.parameterCount,
      layers: c.numLayers,
      hiddenSize: c.hiddenSize,
      heads: c.numHeads,
      vocabSize: c.vocabSize,
      contextLength: s.contextLength,
      corpusName: run.corpusName,
      corpusTokens: run.tokens.length,
      tokenizer: run.tokenizer,
      totalSteps: s.totalSteps,
      tokensPerStep: s.batchSize * s.contextLength * s.gradientAccumulation,
      gpuBytes: trainer.gpuBytes,
    };
  }

  private async loop(gpu: Gpu, session: Session, requestId: number, post: Post): Promise<TrainingOutcome> {
    const { run, trainer } = session;
    const { settings } = run;
    const sampler = new BatchSampler(run.corpusName, run.tokens, settings);
    const objective = crossEntropyObjective();
    let pending: TrainingPoint[] = [];
    let lastPost = -Infinity;
    let elapsedMs = 0;
    const flush = () => {
      if (pending.length > 0) post({ type: 'trainingProgress', requestId, points: pending });
      pending = [];
      lastPost = performance.now();
    };
    const end = (status: TrainingOutcome['status'], error?: TrainingError): TrainingOutcome => {
      flush();
      session.status = status;
      session.endedBecause =
        status === 'stopped' ? 'stopped by the user' : status === 'stopped-nan' ? error!.message : null;
      const failedStep = error?.step ?? null;
      const message = error?.message ?? null;
      return {
        status,
        stepsDone: trainer.stepsDone,
        elapsedMs,
        message,
        failedStep,
        tensor: error?.tensor ?? null,
      };
    };
    while (trainer.stepsDone < settings.totalSteps) {
      if (this.stopRequested) return end('stopped');
      if (this.paused) {
        flush();
        // A device lost while paused ends the wait too, so the queue is never held by a dead run.
        await Promise.race([new Promise<void>((resolve) => (this.wake = resolve)), gpu.lost]);
        gpu.assertAlive();
        continue;
      }
      const step = trainer.stepsDone;
      const started = performance.now();
      let report;
      try {
        report = await this.exclusive(() => trainer.trainStep(sampler.step(step, settings.gradientAccumulation), objective)); // prettier-ignore
      } catch (cause) {
        if (cause instanceof TrainingError) return end('stopped-nan', cause);
        session.status = 'failed';
        flush();
        throw cause;
      }
      elapsedMs += performance.now() - started;
      session.lastLoss = report.loss;
      pending.push({
        step: report.step,
        loss: report.loss,
        learningRate: report.learningRate,
        gradientNorm: report.gradientNorm,
        tokensPerSecond: report.tokens / Math.max(1e-3, report.milliseconds / 1000),
        elapsedMs,
      });
      if (performance.now() - lastPost >= PROGRESS_INTERVAL_MS) flush();
      await yieldToEvents();
    }
    return end('completed');
  }

  /** The current parameters (the last good ones after a stop or NaN) as a checkpoint zip. */
  async save(requestId: number, post: Post): Promise<void> {
    const session = this.session;
    if (!session) throw new TrainRequestError('There is nothing to save yet: start training first.');
    const { run, trainer } = session;
    const weights = await this.exclusive(() => trainer.exportWeights());
    const stepsDone = trainer.stepsDone;
    const folderName = checkpointFolderName(`${run.baseName}-step-${stepsDone}`);
    const files = checkpointFiles({
      name: folderName,
      configJson: run.configJson,
      weights,
      tokenizerJson: run.tokenizerJson,
      tokenizerConfig: run.tokenizerConfig,
      generationConfig: run.generationConfig,
      training: {
        startedFrom: run.startedFrom,
        corpusName: run.corpusName,
        corpusTokens: run.tokens.length,
        tokenizer: run.tokenizer,
        settings: run.settings,
        stepsDone,
        lastLoss: session.lastLoss,
        endedBecause: session.endedBecause,
        savedAt: new Date().toISOString(),
      },
    });
    post({
      type: 'checkpointSaved',
      requestId,
      fileName: `${folderName}.zip`,
      folderName,
      zip: writeZip(files, folderName),
      files: Object.keys(files),
      stepsDone,
    });
  }
}
