// The WGSL trainer: supervised and objective-driven training of GPT-2 and Llama-family models in
// the browser. Parameters, gradients and AdamW moments live on the GPU (./parameters.ts); one step
// is, per micro-batch, the forward + fused cross-entropy + backward of ./graph.ts (gradients
// accumulate), then the global gradient norm and AdamW (with clipping, decoupled decay, and a skip
// of the whole update when any gradient is NaN/Inf) in the same submission as the last
// micro-batch. Only scalars come back: the per-token log-probs (B * T floats, from which the
// objective's loss is computed) and the gradient statistics (norm, NaN/Inf count per tensor).
//
// The objective seam (./types.ts): Loss = sum_t w_t logp_t; the objective gives w_t = dLoss/dlogp_t
// per token; objectives whose weights depend on the current policy (DPO, GRPO) get a forward-only
// pass first. Spec: src/training/reference-trainer.ts (same step on the CPU, f64).
import { KernelInputError } from '../gpu/errors';
import { readFloat32, readUint32 } from '../gpu/readback';
import type { Gpu } from '../gpu/runtime';
import {
  CROSS_ENTROPY_STATUS_BYTES,
  clearCrossEntropyStatus,
  crossEntropyStatusError,
  parseCrossEntropyStatus,
} from '../kernels/cross-entropy/cross-entropy';
import { groupTokensById, TokenGroupingBuffers } from '../kernels/embedding-backward/grouping';
import { EMBEDDING_STATUS_BYTES, clearEmbeddingStatus } from '../kernels/embedding/embedding';
import {
  gradientStatsBytes,
  readGradientStats,
  type GradientStats,
} from '../kernels/optimizer/gradient-norm';
import { validateAdamW } from '../kernels/optimizer/params';
import { learningRateAt, validateSchedule } from '../kernels/optimizer/schedule';
import { zeroGradients } from '../kernels/optimizer/zero';
import type { ModelConfig } from '../model/config';
import { Activations } from '../model/engine/activations';
import type { TensorSource } from '../model/engine/weights';
import type { StepInputs, StepShape } from './graph';
import { encodeTrainingBackward } from './graph-backward';
import { encodeTrainingForward } from './graph-forward';
import { batchImages, validateBatch, VisionBuffers } from './batch';
import { TrainKernels } from './kernels';
import { TrainParameters } from './parameters';
import {
  TrainingError,
  type Objective,
  type StepReport,
  type TokenBatch,
  type TrainerOptions,
} from './types';

const INPUT_USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;

export class Trainer {
  private steps = 0;
  private busy = false;
  private disposed = false;
  private readonly acts: Activations;
  private inputBuffers: (StepInputs & { rows: number }) | null = null;
  private groupings: { ids: TokenGroupingBuffers; positions: TokenGroupingBuffers | null } | null = null;
  private readonly stats: GPUBuffer;
  private readonly visionBuffers: VisionBuffers;

  private constructor(
    private readonly gpu: Gpu,
    readonly config: ModelConfig,
    private readonly params: TrainParameters,
    private readonly kernels: TrainKernels,
    private readonly options: TrainerOptions,
  ) {
    this.acts = new Activations(gpu);
    this.visionBuffers = new VisionBuffers(gpu, options.name);
    this.stats = gpu.device.createBuffer({
      label: `${options.name}:gradient-stats`,
      size: Math.ceil(gradientStatsBytes(params.tensors.length) / 16) * 16,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
  }

  /** Uploads the model's tensors (canonical names) and compiles the step's kernels. */
  static async create(
    gpu: Gpu,
    config: ModelConfig,
    tensors: TensorSource,
    options: TrainerOptions,
  ): Promise<Trainer> {
    gpu.assertAlive();
    validateAdamW({ ...options.optimizer, learningRate: options.schedule.peak, step: 1 });
    validateSchedule(options.schedule);
    const params = await gpu.checked(`uploading ${options.name} for training`, () =>
      TrainParameters.create(gpu, config, tensors, options.name),
    );
    try {
      const kernels = await TrainKernels.create(
        gpu,
        config,
        params.tensors.map((t) => t.count),
      );
      return new Trainer(gpu, config, params, kernels, options);
    } catch (cause) {
      params.destroy();
      throw cause;
    }
  }

  /** Optimizer updates done so far. */
  get stepsDone(): number {
    return this.steps;
  }

  get parameterCount(): number {
    return this.params.count;
  }

  /** Names of the trainable tensors in the training layout (the NaN report names these). */
  get tensorNames(): string[] {
    return this.params.tensors.map((t) => t.name);
  }

  /** GPU bytes of parameters, gradients, moments and activations. */
  get gpuBytes(): number {
    return this.params.bytes + this.acts.bytes;
  }

  private alive(): void {
    if (this.disposed) throw new Error(`trainer ${this.options.name} was disposed`);
    this.gpu.assertAlive();
  }

  /** Input buffers for up to `rows` tokens, grown (never shrunk) as batches come. */
  private inputs(rows: number): StepInputs {
    if (this.inputBuffers && this.inputBuffers.rows >= rows) return this.inputBuffers;
    this.destroyInputs();
    const device = this.gpu.device;
    const make = (label: string, bytes: number) =>
      device.createBuffer({
        label: `${this.options.name}:${label}`,
        size: Math.max(16, Math.ceil(bytes / 16) * 16),
        usage: INPUT_USAGE,
      });
    this.inputBuffers = {
      rows,
      ids: make('ids', rows * 4),
      positions: make('positions', rows * 4),
      targets: make('targets', rows * 4),
      weights: make('weights', rows * 4),
      logProbs: make('log-probs', rows * 4),
      embeddingStatus: make('embedding-status', EMBEDDING_STATUS_BYTES),
      crossEntropyStatus: make('cross-entropy-status', CROSS_ENTROPY_STATUS_BYTES),
      vision: null,
    };
    this.groupings = {
      ids: new TokenGroupingBuffers(this.gpu, rows, `${this.options.name}:id-grouping`),
      positions: this.params.positions
        ? new TokenGroupingBuffers(this.gpu, rows, `${this.options.name}:position-grouping`)
        : null,
    };
    return this.inputBuffers;
  }

  private destroyInputs(): void {
    if (this.inputBuffers) {
      const { rows: _rows, vision: _vision, ...buffers } = this.inputBuffers;
      for (const buffer of Object.values(buffers)) buffer.destroy();
    }
    this.groupings?.ids.destroy();
    this.groupings?.positions?.destroy();
    this.inputBuffers = null;
    this.groupings = null;
  }

  /** Queue-writes one micro-batch's ids, positions, targets and weights. */
  private writeBatch(batch: TokenBatch, weights: Float32Array): StepInputs {
    const R = batch.batchSize * batch.length;
    const inputs = this.inputs(R);
    const queue = this.gpu.device.queue;
    const positions = new Uint32Array(R);
    for (let r = 0; r < R; r++) positions[r] = r % batch.length;
    queue.writeBuffer(inputs.ids, 0, new Uint32Array(batch.tokens));
    queue.writeBuffer(inputs.positions, 0, positions);
    queue.writeBuffer(inputs.targets, 0, new Uint32Array(batch.targets));
    queue.writeBuffer(inputs.weights, 0, new Float32Array(weights));
    clearEmbeddingStatus(this.gpu, inputs.embeddingStatus);
    clearCrossEntropyStatus(this.gpu, inputs.crossEntropyStatus);
    const images = batchImages(batch, this.config);
    return { ...inputs, vision: this.visionBuffers.write(images, this.config) };
  }

  private async readLogProbs(inputs: StepInputs, rows: number): Promise<Float32Array> {
    const status = parseCrossEntropyStatus(await readUint32(this.gpu, inputs.crossEntropyStatus, 4));
    const error = crossEntropyStatusError(status, this.config.vocabSize);
    if (error) throw error;
    return readFloat32(this.gpu, inputs.logProbs, rows);
  }

  private async exclusive<T>(work: () => Promise<T>): Promise<T> {
    this.alive();
    if (this.busy) throw new Error(`trainer ${this.options.name} is busy: await the previous call first`);
    this.busy = true;
    try {
      return await work();
    } finally {
      this.busy = false;
    }
  }

  /** logp_t = log softmax(logits_t)[target_t] for every token of `batch` (no gradient, no update). */
  logProbs(batch: TokenBatch): Promise<Float32Array> {
    return this.exclusive(() => this.forwardOnly(batch));
  }

  private async forwardOnly(batch: TokenBatch): Promise<Float32Array> {
    validateBatch(batch, this.config);
    const shape: StepShape = { batchSize: batch.batchSize, length: batch.length };
    await this.kernels.ensureAttention(batch.batchSize);
    const inputs = this.writeBatch(batch, new Float32Array(batch.batchSize * batch.length));
    const encoder = this.gpu.device.createCommandEncoder({ label: `${this.options.name}:log-probs` });
    encodeTrainingForward(encoder, this.config, this.params, this.kernels, this.acts, inputs, shape, false);
    this.gpu.device.queue.submit([encoder.finish()]);
    return this.readLogProbs(inputs, batch.batchSize * batch.length);
  }

  /**
   * One optimizer step over `batches` (micro-batches whose gradients add up) for `objective`.
   * Throws TrainingError when the loss or a gradient is NaN/Inf: the update is skipped on the GPU,
   * so the parameters stay the last good ones and `stepsDone` does not advance.
   */
  trainStep(batches: readonly TokenBatch[], objective: Objective): Promise<StepReport> {
    return this.exclusive(async () => {
      const started = performance.now();
      if (batches.length === 0) throw new KernelInputError('trainStep needs at least one micro-batch');
      batches.forEach((b, i) => validateBatch(b, this.config, `micro-batch ${i}`));
      const step = this.steps;
      const learningRate = learningRateAt(this.options.schedule, step);
      const hyper = { ...this.options.optimizer, learningRate, step: step + 1 };
      validateAdamW(hyper);
      await this.kernels.ensureAttention(Math.max(...batches.map((b) => b.batchSize)));

      let policyLogProbs: Float32Array[] | null = null;
      if (objective.needsLogProbs) {
        policyLogProbs = [];
        for (const batch of batches) policyLogProbs.push(await this.forwardOnly(batch));
      }
      const weights = objective.tokenWeights(batches, policyLogProbs);
      weights.forEach((w, i) => {
        const rows = batches[i].batchSize * batches[i].length;
        if (w.length !== rows)
          throw new KernelInputError(
            `objective ${objective.name}: micro-batch ${i} got ${w.length} weights, needs ${rows}`,
          );
        const bad = w.findIndex((x) => !Number.isFinite(x));
        if (bad >= 0) {
          throw new TrainingError(
            `step ${step}: objective ${objective.name} gave a non-finite weight (${w[bad]}) to token ${bad} of micro-batch ${i}; nothing was updated`,
            step,
            'token weights',
          );
        }
      });

      const logProbs: Float32Array[] = [];
      const gradients = this.params.tensors.map((t) => t.gradient);
      for (const [i, batch] of batches.entries()) {
        const shape: StepShape = { batchSize: batch.batchSize, length: batch.length };
        const R = batch.batchSize * batch.length;
        const inputs = this.writeBatch(batch, weights[i]);
        const groupings = this.groupings!;
        // Image rows replaced their embedding: no gradient goes to the token or position table.
        const replaced = new Set(inputs.vision?.placeholderRows ?? []);
        const kept = (r: number) => !replaced.has(r);
        groupings.ids.write(groupTokensById(batch.tokens, this.config.vocabSize, 'token id', kept));
        const positions = new Uint32Array(R).map((_, r) => r % batch.length);
        groupings.positions?.write(groupTokensById(positions, this.config.maxPositions, 'position', kept));
        const encoder = this.gpu.device.createCommandEncoder({
          label: `${this.options.name}:step${step}:${i}`,
        });
        if (i === 0) zeroGradients(encoder, gradients);
        encodeTrainingForward(
          encoder,
          this.config,
          this.params,
          this.kernels,
          this.acts,
          inputs,
          shape,
          true,
        );
        encodeTrainingBackward(
          encoder,
          this.config,
          this.params,
          this.kernels,
          this.acts,
          inputs,
          groupings,
          shape,
        );
        if (i === batches.length - 1) {
          const pass = encoder.beginComputePass({ label: `${this.options.name}:gradient-norm` });
          this.kernels.gradientNorm.encode(pass, gradients, this.stats);
          pass.end();
        }
        this.gpu.device.queue.submit([encoder.finish()]);
        logProbs.push(await this.readLogProbs(inputs, R));
      }
      // The loss is the objective's (CPU) function of the log-probs: checked before any update.
      const loss = objective.loss(batches, policyLogProbs ?? logProbs);
      const stats = await readGradientStats(this.gpu, this.stats, this.params.tensors.length);
      if (!Number.isFinite(loss) || stats.nonFinite > 0 || !Number.isFinite(stats.norm))
        throw await this.nonFiniteError(step, stats, loss, objective.name);
      const encoder = this.gpu.device.createCommandEncoder({ label: `${this.options.name}:adamw${step}` });
      const pass = encoder.beginComputePass({ label: `${this.options.name}:adamw` });
      this.kernels.adamW.encode(pass, this.params.tensors, this.stats, hyper);
      pass.end();
      this.gpu.device.queue.submit([encoder.finish()]);
      this.steps++;
      const tokens = batches.reduce((sum, b) => sum + b.mask.reduce((s, m) => s + (m !== 0 ? 1 : 0), 0), 0);
      return {
        step,
        loss,
        gradientNorm: stats.norm,
        learningRate,
        tokens,
        milliseconds: performance.now() - started,
      };
    });
  }

  /**
   * The error for a step whose loss or gradient is NaN/Inf (no update was made). A corrupted
   * parameter makes every gradient non-finite, so the parameters are scanned (this path only) and
   * a non-finite one is named first; then the first non-finite gradient; then the loss itself.
   */
  private async nonFiniteError(
    step: number,
    stats: GradientStats,
    loss: number,
    objectiveName: string,
  ): Promise<TrainingError> {
    const scan = this.gpu.device.createBuffer({
      label: `${this.options.name}:parameter-scan`,
      size: Math.ceil(gradientStatsBytes(this.params.tensors.length) / 16) * 16,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    try {
      const encoder = this.gpu.device.createCommandEncoder({ label: `${this.options.name}:parameter-scan` });
      const pass = encoder.beginComputePass();
      this.kernels.parameterScan.encode(
        pass,
        this.params.tensors.map((t) => t.parameter),
        scan,
      );
      pass.end();
      this.gpu.device.queue.submit([encoder.finish()]);
      const parameters = await readGradientStats(this.gpu, scan, this.params.tensors.length);
      const kept = `The update was skipped: the parameters are those after step ${step - 1}.`;
      const bad = parameters.nonFinitePerTensor.findIndex((n) => n > 0);
      if (bad >= 0) {
        const tensor = this.params.tensors[bad].name;
        const n = parameters.nonFinitePerTensor[bad];
        return new TrainingError(
          `Training stopped at step ${step}: the parameter ${tensor} holds ${n} NaN/Inf entr${n === 1 ? 'y' : 'ies'}, ` +
            `so every gradient is non-finite (loss ${loss}). ${kept}`,
          step,
          tensor,
        );
      }
      const index = stats.nonFinitePerTensor.findIndex((n) => n > 0);
      if (index < 0 && Number.isFinite(stats.norm)) {
        return new TrainingError(
          `Training stopped at step ${step}: the loss of objective ${objectiveName} is ${loss} while every ` +
            `parameter and gradient is finite. ${kept}`,
          step,
          'loss',
        );
      }
      const tensor = index >= 0 ? this.params.tensors[index].name : 'the global gradient norm (overflow)';
      const count = index >= 0 ? stats.nonFinitePerTensor[index] : 0;
      return new TrainingError(
        `Training stopped at step ${step}: the gradient of ${tensor} has ${count} NaN/Inf entr${count === 1 ? 'y' : 'ies'}` +
          ` (loss ${loss}). ${kept}`,
        step,
        tensor,
      );
    } finally {
      scan.destroy();
    }
  }

  /** The current parameters under their canonical (Hugging Face) names: a checkpoint's tensors. */
  exportWeights(): Promise<Map<string, Float32Array>> {
    return this.exclusive(() => this.params.read('parameter'));
  }

  /**
   * The gradients of the last step (tests and debugging; not the hot path), under canonical names
   * or, with layout 'training', under the training names of `tensorNames`.
   */
  readGradients(layout: 'canonical' | 'training' = 'canonical'): Promise<Map<string, Float32Array>> {
    return this.exclusive(() =>
      layout === 'canonical' ? this.params.read('gradient') : this.params.readTraining('gradient'),
    );
  }

  /** The parameters under their training names (tests). */
  readTrainingParameters(): Promise<Map<string, Float32Array>> {
    return this.exclusive(() => this.params.readTraining('parameter'));
  }

  /** Overwrites one parameter entry by training name (finite-difference tests, fault injection). */
  setParameterEntry(name: string, index: number, value: number): void {
    this.alive();
    this.params.writeEntry(name, index, value);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.destroyInputs();
    this.visionBuffers.destroy();
    this.stats.destroy();
    this.acts.destroy();
    this.kernels.destroy();
    this.params.destroy();
  }
}
