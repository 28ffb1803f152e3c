// The fused decoding step: combine + plausibility mask + temperature + top-k/top-p/min-p +
// sample, encoded in one command buffer with one small readback (token ids and summaries).
// A LogitPipeline is built once per (rows, vocab, inputs) and reused every token: its buffers,
// uniforms, pipelines and bind groups are never created on the hot path.
import { GpuError, KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { CombineKernel, validateCombine, type CombineParams } from './combine';
import { FilterKernel, validateFilter, type FilterParams } from './filter';
import { DECISION_WORDS, MAX_INPUTS, SUMMARY_WORDS } from './layout';
import { checkShape, type LogitShape } from './params';
import { SampleKernel, validateSample, type SampleParams } from './sample';
import { RowStatsKernel } from './stats';
import { parseStep, type StepResult } from './step-result';

export type { StepResult, StepRow } from './step-result';

export interface LogitInput {
  /** A [*, vocab] f32 logits buffer (e.g. a model's output). */
  buffer: GPUBuffer;
  /** First row of this input in `buffer`; rows rowOffset .. rowOffset + rows - 1 are used. */
  rowOffset?: number;
}

export interface StepParams extends CombineParams, FilterParams, SampleParams {
  /** Greedy takes the argmax of the combined score; filters and sampling are skipped. */
  greedy: boolean;
}

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export class LogitPipeline {
  readonly shape: LogitShape;
  readonly inputs: number;
  private busy = false;
  private readonly packed: GPUBuffer;
  private readonly inputSummary: GPUBuffer;
  private readonly combined: GPUBuffer;
  private readonly combinedSummary: GPUBuffer;
  private readonly decision: GPUBuffer;
  private tokens: GPUBuffer;
  private staging: GPUBuffer;
  private draws = 1;

  private constructor(
    private readonly gpu: Gpu,
    shape: LogitShape,
    inputs: number,
    private readonly inputStats: RowStatsKernel,
    private readonly combineKernel: CombineKernel,
    private readonly combinedStats: RowStatsKernel,
    private readonly filterKernel: FilterKernel,
    private readonly sampleKernel: SampleKernel,
  ) {
    this.shape = shape;
    this.inputs = inputs;
    const { rows, vocab } = shape;
    const create = (bytes: number, label: string) =>
      gpu.device.createBuffer({ label: `logit-pipeline:${label}`, size: bytes, usage: STORAGE });
    this.packed = create(inputs * rows * vocab * 4, 'packed-inputs');
    this.inputSummary = create(inputs * rows * SUMMARY_WORDS * 4, 'input-summary');
    this.combined = create(rows * vocab * 4, 'combined');
    this.combinedSummary = create(rows * SUMMARY_WORDS * 4, 'combined-summary');
    this.decision = create(rows * DECISION_WORDS * 4, 'decision');
    this.tokens = create(rows * 8, 'tokens');
    this.staging = this.createStaging();
  }

  static async create(gpu: Gpu, shape: LogitShape, inputs: number): Promise<LogitPipeline> {
    checkShape(shape);
    if (!Number.isInteger(inputs) || inputs < 1 || inputs > MAX_INPUTS) {
      throw new KernelInputError(`a logit pipeline takes 1..${MAX_INPUTS} inputs, got ${inputs}`);
    }
    const [inputStats, combine, combinedStats, filter, sample] = await Promise.all([
      RowStatsKernel.create(gpu, 'input-stats'),
      CombineKernel.create(gpu, 'combine', [inputs]),
      RowStatsKernel.create(gpu, 'combined-stats'),
      FilterKernel.create(gpu),
      SampleKernel.create(gpu),
    ]);
    return new LogitPipeline(gpu, shape, inputs, inputStats, combine, combinedStats, filter, sample);
  }

  /**
   * The combined, masked, tempered scores [rows, vocab] of the last step (before the sampling
   * filters, which only set a threshold). Valid until the next step; for inspection (e.g. the
   * chosen token's rank), never to be read back whole on the hot path.
   */
  get combinedScores(): GPUBuffer {
    return this.combined;
  }

  /** Bytes the last step mapped back (summaries, decisions, tokens). */
  get readbackBytes(): number {
    return this.readbackWords() * 4;
  }

  private readbackWords(): number {
    return (
      (this.inputs + 1) * this.shape.rows * SUMMARY_WORDS +
      this.shape.rows * DECISION_WORDS +
      this.shape.rows * this.draws * 2
    );
  }

  private createStaging(): GPUBuffer {
    return this.gpu.device.createBuffer({
      label: 'logit-pipeline:staging',
      size: this.readbackWords() * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
  }

  /** Grows the per-draw buffers when more draws are asked for than ever before. */
  private ensureDraws(draws: number): void {
    if (draws <= this.draws && this.tokens.size >= this.shape.rows * draws * 8) return;
    this.tokens.destroy();
    this.staging.destroy();
    this.draws = draws;
    this.tokens = this.gpu.device.createBuffer({
      label: 'logit-pipeline:tokens',
      size: this.shape.rows * draws * 8,
      usage: STORAGE,
    });
    this.staging = this.createStaging();
  }

  private validateInputs(inputs: readonly LogitInput[]): void {
    if (inputs.length !== this.inputs) {
      throw new KernelInputError(`this pipeline was built for ${this.inputs} inputs, got ${inputs.length}`);
    }
    const rowBytes = this.shape.vocab * 4;
    inputs.forEach((input, j) => {
      const offset = input.rowOffset ?? 0;
      if (!Number.isInteger(offset) || offset < 0)
        throw new KernelInputError(`input ${j} rowOffset must be an integer >= 0, got ${offset}`);
      const needed = (offset + this.shape.rows) * rowBytes;
      if (input.buffer.size < needed) {
        throw new KernelInputError(
          `input ${j} buffer "${input.buffer.label}" has ${input.buffer.size} bytes; rows ${offset}..${offset + this.shape.rows - 1} of vocab ${this.shape.vocab} need ${needed}`,
        );
      }
    });
  }

  /** Runs one decoding step for every row: one submission, one small readback. */
  async step(inputs: readonly LogitInput[], params: StepParams): Promise<StepResult> {
    this.gpu.assertAlive();
    this.validateInputs(inputs);
    validateCombine(params);
    if (params.weights.length !== this.inputs) {
      throw new KernelInputError(`got ${params.weights.length} weights for ${this.inputs} inputs`);
    }
    if (!params.greedy) {
      validateFilter(params);
      validateSample(params, this.shape.rows);
    }
    if (this.busy)
      throw new Error('LogitPipeline.step called while the previous step is still running; await it first');
    this.busy = true;
    try {
      const draws = params.greedy ? 1 : params.draws;
      this.ensureDraws(draws);
      const words = await this.encodeAndRead(inputs, params, draws);
      return parseStep(words, this.shape.rows, this.inputs, params.greedy, draws);
    } finally {
      this.busy = false;
    }
  }

  private async encodeAndRead(
    inputs: readonly LogitInput[],
    params: StepParams,
    draws: number,
  ): Promise<Uint32Array> {
    const { rows, vocab } = this.shape;
    const device = this.gpu.device;
    const encoder = device.createCommandEncoder({ label: 'logit-step' });
    const rowBytes = vocab * 4;
    inputs.forEach((input, j) => {
      encoder.copyBufferToBuffer(
        input.buffer,
        (input.rowOffset ?? 0) * rowBytes,
        this.packed,
        j * rows * rowBytes,
        rows * rowBytes,
      );
    });
    const pass = encoder.beginComputePass({ label: 'logit-step' });
    this.inputStats.encode(pass, this.packed, this.inputSummary, this.inputs * rows, vocab);
    this.combineKernel.encode(pass, this.packed, this.inputSummary, this.combined, this.shape, params);
    this.combinedStats.encode(pass, this.combined, this.combinedSummary, rows, vocab);
    if (!params.greedy) {
      this.filterKernel.encode(pass, this.combined, this.combinedSummary, this.decision, this.shape, params);
      this.sampleKernel.encode(
        pass,
        this.combined,
        this.combinedSummary,
        this.decision,
        this.tokens,
        this.shape,
        { ...params, draws },
      );
    }
    pass.end();
    let offset = 0;
    const copy = (source: GPUBuffer, bytes: number) => {
      encoder.copyBufferToBuffer(source, 0, this.staging, offset, bytes);
      offset += bytes;
    };
    copy(this.inputSummary, this.inputs * rows * SUMMARY_WORDS * 4);
    copy(this.combinedSummary, rows * SUMMARY_WORDS * 4);
    copy(this.decision, rows * DECISION_WORDS * 4);
    copy(this.tokens, rows * draws * 8);
    device.queue.submit([encoder.finish()]);
    try {
      await this.staging.mapAsync(GPUMapMode.READ, 0, offset);
    } catch (cause) {
      // A lost device aborts the mapping; say so instead of surfacing the AbortError.
      const loss = await Promise.race([
        this.gpu.lost,
        new Promise<null>((resolve) => setTimeout(() => resolve(null), 100)),
      ]);
      if (loss || this.gpu.isLost) {
        throw new GpuError(
          'device-lost',
          `The GPU device was lost during a decoding step (${loss?.reason ?? 'unknown'}: ${loss?.message ?? ''}).`,
        );
      }
      throw cause;
    }
    const words = new Uint32Array(this.staging.getMappedRange(0, offset).slice(0));
    this.staging.unmap();
    return words;
  }

  destroy(): void {
    for (const buffer of [
      this.packed,
      this.inputSummary,
      this.combined,
      this.combinedSummary,
      this.decision,
      this.tokens,
      this.staging,
    ])
      buffer.destroy();
    for (const kernel of [
      this.inputStats,
      this.combineKernel,
      this.combinedStats,
      this.filterKernel,
      this.sampleKernel,
    ])
      kernel.destroy();
  }
}
