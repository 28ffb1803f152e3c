// Drawing tokens from a model's logits rows with the fused logit pipeline (src/kernels/logits/fused.ts)
// at one temperature, greedy or seeded (Philox at seed, stream, counter): one submission and one
// small readback per call, which also yields the features SpecDec++ and Entropy Adaptive Decoding
// read (q of the chosen token, top probability, margin, entropy). And the draft-logits buffer the
// verification kernel reads: every drafted row copied GPU -> GPU while the model's output is valid.
import type { Gpu } from '../gpu/runtime';
import { NO_FILTER } from '../kernels/logits/filter';
import { LogitPipeline } from '../kernels/logits/fused';
import type { Seed } from '../kernels/random/philox';

export interface Draw {
  greedy: boolean;
  /** Ignored when greedy. */
  temperature: number;
  seed: Seed;
  /** Philox stream of row 0 (row r uses stream + r). */
  stream: number;
  /** Philox counter of draw 0 (draw d uses counter + d). */
  counter: number;
  /** Independent samples per row (SpecTr's first position); 1 otherwise. */
  draws?: number;
}

/** One row's draws and the distribution's summary (probabilities at the draw's temperature). */
export interface SampledRow {
  tokens: number[];
  /** Probability of each drawn token (greedy: of the argmax under softmax(logits)). */
  probabilities: number[];
  topProb: number;
  /** top1 - top2 probability. */
  margin: number;
  /** Entropy (nats) of the distribution the tokens were drawn from. */
  entropy: number;
  /** Entropy (nats) of softmax(logits) before temperature (Entropy Adaptive Decoding's signal). */
  logitEntropy: number;
}

/** Bytes mapped back from the GPU, shared by everything one lane reads back. */
export class ReadbackCounter {
  bytes = 0;
}

export class TokenSampler {
  private constructor(
    private readonly pipeline: LogitPipeline,
    readonly rows: number,
    private readonly readback: ReadbackCounter,
  ) {}

  static async create(
    gpu: Gpu,
    rows: number,
    vocab: number,
    readback: ReadbackCounter,
  ): Promise<TokenSampler> {
    return new TokenSampler(await LogitPipeline.create(gpu, { rows, vocab }, 1), rows, readback);
  }

  /** Draws from rows rowOffset .. rowOffset + rows - 1 of `logits` ([*, vocab] f32). */
  async sample(logits: GPUBuffer, rowOffset: number, draw: Draw): Promise<SampledRow[]> {
    const result = await this.pipeline.step([{ buffer: logits, rowOffset }], {
      weights: [1],
      baseInput: 0,
      beta: 0,
      temperature: draw.greedy ? 1 : draw.temperature,
      ...NO_FILTER,
      greedy: draw.greedy,
      seed: draw.seed,
      streamBase: draw.stream,
      counter: draw.counter,
      draws: draw.draws ?? 1,
    });
    this.readback.bytes += this.pipeline.readbackBytes;
    return result.rows.map((row) => {
      const top = row.combined.top;
      return {
        tokens: row.tokens,
        probabilities: row.tokenProbs,
        topProb: top[0]?.prob ?? 0,
        margin: (top[0]?.prob ?? 0) - (top[1]?.prob ?? 0),
        entropy: Math.max(0, row.combined.entropy),
        logitEntropy: Math.max(0, row.inputs[0].entropy),
      };
    });
  }

  destroy(): void {
    this.pipeline.destroy();
  }
}

/** A [rows, vocab] f32 buffer of drafted logits rows, laid out as the verification kernel reads them. */
export class DraftLogits {
  readonly buffer: GPUBuffer;

  constructor(
    private readonly gpu: Gpu,
    readonly rows: number,
    private readonly vocab: number,
  ) {
    this.buffer = gpu.device.createBuffer({
      label: `speculative:draft-logits[${rows}x${vocab}]`,
      size: rows * vocab * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
    });
  }

  /**
   * Copies row `sourceRow` of `source` into row `row` (submitted at once, so it runs before the
   * model's next forward overwrites `source`).
   */
  copyRow(source: GPUBuffer, sourceRow: number, row: number): void {
    if (row >= this.rows) throw new RangeError(`draft row ${row} is outside the ${this.rows}-row buffer`);
    const bytes = this.vocab * 4;
    const encoder = this.gpu.device.createCommandEncoder({ label: 'speculative:copy-draft-row' });
    encoder.copyBufferToBuffer(source, sourceRow * bytes, this.buffer, row * bytes, bytes);
    this.gpu.device.queue.submit([encoder.finish()]);
  }

  destroy(): void {
    this.buffer.destroy();
  }
}
