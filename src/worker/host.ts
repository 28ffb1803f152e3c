// The worker side of the protocol: owns the `Gpu`, runs requests one at a time, reports loss.
// Engine code: no DOM, no React, no worker globals (gpu.worker.ts wires it to `self`), so the
// same host runs under Node unit tests with a fake runtime.
import { GpuError } from '../gpu/errors';
import { Gpu, type GpuLoss } from '../gpu/runtime';
import type { KernelCheck } from '../kernels/check';
import { ModelLoadError } from '../model/loading/errors';
import type { DecodeHost } from './decodeHost';
import type { EvaluateHost } from './evaluateHost';
import type { ModelHost } from './modelHost';
import type { ShapesHost } from './shapesHost';
import type { SpeculativeHost } from './speculativeHost';
import { isShapesModel, type ModelSlot } from './shapesTypes';
import type { TrainHost } from './trainHost';
import {
  IMMEDIATE_REQUESTS,
  type CheckOutcome,
  type WorkerErrorKind,
  type WorkerEvent,
  type WorkerRequest,
} from './protocol';

export interface GpuHostOptions {
  checks: readonly KernelCheck[];
  post: (event: WorkerEvent) => void;
  /** How to acquire a device; tests pass a fake. */
  createGpu?: () => Promise<Gpu>;
  /** Handles the model requests (load, generate, inspect); the worker passes one, unit tests need not. */
  models?: ModelHost;
  /** Handles the training requests (start, pause, resume, stop, save); likewise optional. */
  training?: TrainHost;
  /** Holds the Shapes default models: model requests that name a Shapes slot go there. */
  shapes?: ShapesHost;
  /** Handles the Decode workbench's requests (start, pause, resume, step, stop); likewise optional. */
  decode?: DecodeHost;
  /** Handles the Speculative workbench's requests (start, pause, resume, step, stop); likewise optional. */
  speculative?: SpeculativeHost;
  /** Handles the Evaluate workbench's requests (start, cancel); likewise optional. */
  evaluate?: EvaluateHost;
}

/** Protocol-level failures (the GPU's own failures are `GpuError`s). */
class HostError extends Error {
  readonly kind: WorkerErrorKind;
  constructor(kind: WorkerErrorKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

/** Error classes (by name: their modules need WebGPU) whose messages are written for the user. */
const USER_FACING_ERRORS: ReadonlySet<string> = new Set([
  'ModelRequestError',
  'ModelConfigError',
  'TrainRequestError',
  'TrainingSettingsError',
  'TrainingError',
  'CorpusError',
  'CheckpointError',
  'ImagePromptError',
  'DecodeRequestError',
  'DecodeSetupError',
  'SpeculativeRequestError',
  'SpeculativeSetupError',
  'EvaluationRequestError',
  'EvaluationSetupError',
]);

/** The `kind` and `message` of an error event for anything thrown. */
export function describeError(cause: unknown): { kind: WorkerErrorKind; message: string } {
  if (cause instanceof GpuError) return { kind: cause.kind, message: cause.message };
  if (cause instanceof HostError) return { kind: cause.kind, message: cause.message };
  // Model loading, model and training requests write their messages for the user: shown as they are.
  if (cause instanceof ModelLoadError || (cause instanceof Error && USER_FACING_ERRORS.has(cause.name)))
    return { kind: 'failed', message: cause.message };
  if (cause instanceof Error) return { kind: 'failed', message: `${cause.name}: ${cause.message}` };
  return { kind: 'failed', message: String(cause) };
}

/** The browser's loss message without its final period, for embedding in a sentence. */
function lossText(loss: GpuLoss): string {
  return loss.message.trim().replace(/\.$/, '') || 'no details';
}

function lossError(loss: GpuLoss): GpuError {
  return new GpuError(
    'device-lost',
    `The GPU device was lost (${loss.reason}: ${lossText(loss)}) while this was running. ` +
      'Its results are discarded; reconnect the GPU to continue.',
  );
}

export class GpuHost {
  private readonly checks: readonly KernelCheck[];
  private readonly post: (event: WorkerEvent) => void;
  private readonly createGpu: () => Promise<Gpu>;
  private readonly models: ModelHost | null;
  private readonly training: TrainHost | null;
  private readonly shapes: ShapesHost | null;
  private readonly decode: DecodeHost | null;
  private readonly speculative: SpeculativeHost | null;
  private readonly evaluate: EvaluateHost | null;
  private gpu: Gpu | null = null;
  /** Tail of the request queue: requests run strictly one after another. */
  private queue: Promise<void> = Promise.resolve();
  /** Bumped whenever the runtime is replaced, so a replaced runtime's loss is not reported. */
  private generation = 0;
  private lossIsSimulated = false;

  constructor(options: GpuHostOptions) {
    this.checks = options.checks;
    this.post = options.post;
    this.createGpu = options.createGpu ?? (() => Gpu.create());
    this.models = options.models ?? null;
    this.training = options.training ?? null;
    this.shapes = options.shapes ?? null;
    this.decode = options.decode ?? null;
    this.speculative = options.speculative ?? null;
    this.evaluate = options.evaluate ?? null;
  }

  /** Accepts one request; returns when it has been answered (tests await this). */
  receive(request: WorkerRequest): Promise<void> {
    if (typeof request !== 'object' || request === null || typeof request.id !== 'number') {
      this.post({
        type: 'error',
        requestId: null,
        kind: 'unknown-request',
        message: `The GPU worker received a message without a numeric id: ${JSON.stringify(request)}.`,
      });
      return Promise.resolve();
    }
    if (IMMEDIATE_REQUESTS.has(request.type)) return this.handle(request);
    this.queue = this.queue.then(() => this.handle(request));
    return this.queue;
  }

  private async handle(request: WorkerRequest): Promise<void> {
    try {
      await this.dispatch(request);
    } catch (cause) {
      this.post({ type: 'error', requestId: request.id, ...describeError(cause) });
    }
  }

  private async dispatch(request: WorkerRequest): Promise<void> {
    const requestId = request.id;
    switch (request.type) {
      case 'init': {
        if (!this.gpu || this.gpu.isLost) await this.replaceGpu();
        this.post({ type: 'ready', requestId, adapter: this.liveGpu().summary });
        return;
      }
      case 'reacquire': {
        await this.replaceGpu();
        this.post({ type: 'ready', requestId, adapter: this.liveGpu().summary });
        return;
      }
      case 'listChecks': {
        const checks = this.checks.map(({ id, family, description }) => ({ id, family, description }));
        this.post({ type: 'checkList', requestId, checks });
        return;
      }
      case 'runChecks':
        return this.runChecks(requestId, request.ids);
      case 'simulateDeviceLoss': {
        const gpu = this.liveGpu();
        this.lossIsSimulated = true;
        gpu.destroy();
        this.post({ type: 'lossSimulated', requestId });
        return;
      }
      case 'loadModel':
        return this.modelHost(request.slot).load(this.liveGpu(), requestId, request.source, this.post, {
          askBeforeDownload: request.askBeforeDownload,
        });
      case 'answerDownload': {
        const host = this.slotHost(request.slot);
        const wasWaiting = host?.answerDownload(request.loadRequestId, request.proceed) ?? false;
        this.post({ type: 'downloadAnswered', requestId, wasWaiting });
        return;
      }
      case 'generate': {
        this.liveGpu();
        const { type: _type, id: _id, slot, ...params } = request;
        return this.modelHost(slot).generate(requestId, params, this.post);
      }
      case 'stopGeneration': {
        const wasRunning = this.slotHost(request.slot)?.stop() ?? false;
        this.post({ type: 'generationStopped', requestId, wasRunning });
        return;
      }
      case 'inspect': {
        const { type: _type, id: _id, ...params } = request;
        return this.modelHost().inspect(this.liveGpu(), requestId, params, this.post);
      }
      case 'startTraining': {
        const { type: _type, id: _id, ...params } = request;
        return this.trainHost().start(this.liveGpu(), requestId, params, this.post);
      }
      case 'pauseTraining':
        this.post({ type: 'trainingPaused', requestId, wasRunning: this.training?.pause() ?? false });
        return;
      case 'resumeTraining':
        this.post({ type: 'trainingResumed', requestId, wasPaused: this.training?.resume() ?? false });
        return;
      case 'stopTraining':
        this.post({ type: 'trainingStopping', requestId, wasRunning: this.training?.stop() ?? false });
        return;
      case 'saveCheckpoint':
        this.liveGpu();
        return this.trainHost().save(requestId, this.post);
      case 'startDecode': {
        const { type: _type, id: _id, ...params } = request;
        return this.decodeHost().start(this.liveGpu(), requestId, params, this.post);
      }
      case 'pauseDecode':
        this.post({ type: 'decodePaused', requestId, wasRunning: this.decode?.pause() ?? false });
        return;
      case 'resumeDecode':
        this.post({ type: 'decodeResumed', requestId, wasPaused: this.decode?.resume() ?? false });
        return;
      case 'stepDecode':
        this.post({ type: 'decodeStepped', requestId, wasPaused: (await this.decode?.step()) ?? false });
        return;
      case 'stopDecode':
        this.post({ type: 'decodeStopping', requestId, wasRunning: this.decode?.stop() ?? false });
        return;
      case 'startSpeculative': {
        const { type: _type, id: _id, ...params } = request;
        return this.speculativeHost().start(this.liveGpu(), requestId, params, this.post);
      }
      case 'pauseSpeculative':
        this.post({ type: 'speculativePaused', requestId, wasRunning: this.speculative?.pause() ?? false });
        return;
      case 'resumeSpeculative':
        this.post({ type: 'speculativeResumed', requestId, wasPaused: this.speculative?.resume() ?? false });
        return;
      case 'stepSpeculative':
        this.post({ type: 'speculativeStepped', requestId, wasPaused: (await this.speculative?.step()) ?? false }); // prettier-ignore
        return;
      case 'stopSpeculative':
        this.post({ type: 'speculativeStopping', requestId, wasRunning: this.speculative?.stop() ?? false });
        return;
      case 'describeWorkbenchModel':
        this.post({
          type: 'workbenchModelDescribed',
          requestId,
          ...this.speculativeHost().describeWorkbench(),
        });
        return;
      case 'startEvaluation': {
        const { type: _type, id: _id, ...params } = request;
        return this.evaluateHost().start(this.liveGpu(), requestId, params, this.post);
      }
      case 'cancelEvaluation':
        this.post({ type: 'evaluationCancelling', requestId, wasRunning: this.evaluate?.cancel() ?? false });
        return;
      default: {
        const unknown: never = request;
        throw new HostError(
          'unknown-request',
          `The GPU worker does not know the request ${JSON.stringify(unknown)}; the UI and worker builds differ. Reload the page.`,
        );
      }
    }
  }

  private decodeHost(): DecodeHost {
    if (!this.decode)
      throw new HostError('unknown-request', 'This GPU worker was built without the Decode workbench.');
    return this.decode;
  }

  private speculativeHost(): SpeculativeHost {
    if (!this.speculative)
      throw new HostError('unknown-request', 'This GPU worker was built without the Speculative workbench.');
    return this.speculative;
  }

  private evaluateHost(): EvaluateHost {
    if (!this.evaluate)
      throw new HostError('unknown-request', 'This GPU worker was built without the Evaluate workbench.');
    return this.evaluate;
  }

  private trainHost(): TrainHost {
    if (!this.training)
      throw new HostError('unknown-request', 'This GPU worker was built without training support.');
    return this.training;
  }

  /** The host of a model slot (default the Model tab's), or null when this worker has none. */
  private slotHost(slot: ModelSlot = 'workbench'): ModelHost | null {
    if (slot === 'workbench') return this.models;
    if (!isShapesModel(slot)) {
      throw new HostError(
        'unknown-request',
        `The GPU worker has no model slot ${JSON.stringify(slot)}; the UI and worker builds differ. Reload the page.`,
      );
    }
    return this.shapes?.host(slot) ?? null;
  }

  private modelHost(slot?: ModelSlot): ModelHost {
    const host = this.slotHost(slot);
    if (host) return host;
    const what = slot === undefined || slot === 'workbench' ? 'model support' : 'the Shapes default models';
    throw new HostError('unknown-request', `This GPU worker was built without ${what}.`);
  }

  /** The current runtime, or a clear error when there is none or it was lost. */
  private liveGpu(): Gpu {
    if (!this.gpu) {
      throw new HostError('not-initialized', 'The GPU is not connected yet: send `init` first.');
    }
    this.gpu.assertAlive();
    return this.gpu;
  }

  /** Acquires a new runtime; the old one (if any) is destroyed and its loss goes unreported. */
  private async replaceGpu(): Promise<void> {
    const old = this.gpu;
    this.models?.reset(); // its buffers belong to the old device
    this.shapes?.reset();
    this.training?.reset();
    this.decode?.reset();
    this.speculative?.reset();
    this.evaluate?.reset();
    this.generation++;
    this.gpu = null;
    const gpu = old ? await old.reacquire() : await this.createGpu();
    this.gpu = gpu;
    this.lossIsSimulated = false;
    const generation = ++this.generation;
    void gpu.lost.then((loss) => {
      if (generation !== this.generation) return;
      const message = this.lossIsSimulated
        ? `Simulated on request: ${lossText(loss)}.`
        : loss.message || 'The browser gave no details.';
      this.post({ type: 'deviceLost', requestId: null, reason: loss.reason, message });
    });
  }

  private async runChecks(requestId: number, ids: string[] | undefined): Promise<void> {
    const gpu = this.liveGpu();
    const selected = ids ? ids.map((id) => this.findCheck(id)) : this.checks;
    let passed = 0;
    let failed = 0;
    for (const check of selected) {
      gpu.assertAlive();
      this.post({ type: 'checkStarted', requestId, checkId: check.id });
      const outcome = await this.runOneCheck(gpu, check);
      this.post({ type: 'checkResult', requestId, ...outcome });
      if (outcome.pass) passed++;
      else failed++;
    }
    gpu.assertAlive();
    this.post({ type: 'checksDone', requestId, passed, failed });
  }

  private findCheck(id: string): KernelCheck {
    const check = this.checks.find((c) => c.id === id);
    if (!check) {
      const known = this.checks.map((c) => c.id).join(', ') || 'none';
      throw new HostError('failed', `No kernel check has the id "${id}". Known checks: ${known}.`);
    }
    return check;
  }

  /** Runs one check; throwing, a loss of the device, or WebGPU errors all become a failure. */
  private async runOneCheck(gpu: Gpu, check: KernelCheck): Promise<CheckOutcome> {
    // A lost device may never settle the check's own promises; the loss ends it instead.
    const lost = gpu.lost.then((loss): never => {
      throw lossError(loss);
    });
    try {
      const result = await Promise.race([check.run(gpu), lost]);
      const webgpuErrors = gpu.takeUncapturedErrors();
      if (webgpuErrors.length === 0) return { checkId: check.id, ...result };
      return {
        checkId: check.id,
        ...result,
        pass: false,
        detail: `${result.detail} · WebGPU reported ${webgpuErrors.length} error(s): ${webgpuErrors.join(' | ')}`,
      };
    } catch (cause) {
      return {
        checkId: check.id,
        pass: false,
        detail: describeError(cause).message,
        gpuMs: Number.NaN,
        cpuMs: Number.NaN,
        timing: 'wall-clock',
      };
    }
  }
}
