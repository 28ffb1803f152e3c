// The autoregressive baseline beside a speculative lane: the same target, one forward and one draw
// per token from p = softmax(logits / T) (greedy: the argmax), Philox stream 0 at counter = token
// index, exactly as generate() draws (src/decoding/generate.ts), so its tokens are generate()'s.
// The speculative lane's text has the same distribution (exact methods) but other draws.
import { GpuError } from '../gpu/errors';
import type { Gpu } from '../gpu/runtime';
import { seedFromNumber, type Seed } from '../kernels/random/philox';
import type { LanguageModel } from '../model/interface';
import { SequenceCursor } from './cursor';
import { ReadbackCounter, TokenSampler } from './sampler';
import type { BaselineLaneTrace, BaselineToken, LaneStopReason } from './types';

export interface AutoregressiveLaneOptions {
  gpu: Gpu;
  target: LanguageModel;
  sampling: { greedy: boolean; temperature: number };
  seed: number;
  prompt: readonly number[];
  maxTokens: number;
  eosTokenIds: readonly number[];
}

export const BASELINE_STREAM = 0;

export class AutoregressiveLane {
  private text: number[];
  private readonly generated: BaselineToken[] = [];
  private readonly eos: ReadonlySet<number>;
  private seed: Seed;
  private calls = 0;
  private ms = 0;
  private stop: LaneStopReason | null = null;
  private error: string | undefined;
  private busy = false;
  private disposed = false;

  private constructor(
    private readonly options: AutoregressiveLaneOptions,
    private readonly cursor: SequenceCursor,
    private readonly sampler: TokenSampler,
    private readonly readback: ReadbackCounter,
  ) {
    this.text = [...options.prompt];
    this.eos = new Set(options.eosTokenIds);
    this.seed = seedFromNumber(options.seed);
  }

  /** The setup is validated by the speculative lane beside it (SpeculativeSession). */
  static async create(options: AutoregressiveLaneOptions): Promise<AutoregressiveLane> {
    const readback = new ReadbackCounter();
    const sampler = await TokenSampler.create(options.gpu, 1, options.target.info.config.vocabSize, readback);
    return new AutoregressiveLane(options, SequenceCursor.create(options.target), sampler, readback);
  }

  get done(): boolean {
    return this.stop !== null;
  }

  get tokens(): number[] {
    return this.generated.map((t) => t.id);
  }

  /** One token; null when the lane is done. Throws (after ending the lane) when the step fails. */
  async step(): Promise<BaselineToken | null> {
    if (this.disposed) throw new Error('this baseline lane was disposed');
    if (this.busy) throw new Error('AutoregressiveLane.step called while a step is running; await it first');
    if (this.stop) return null;
    if (this.text.length > this.options.target.info.config.maxPositions)
      return (this.finish('context'), null);
    this.busy = true;
    const started = performance.now();
    try {
      const { result } = await this.cursor.forward(this.text, [], 'last');
      this.calls++;
      const { greedy, temperature } = this.options.sampling;
      const [row] = await this.sampler.sample(result.logits, 0, {
        greedy,
        temperature,
        seed: this.seed,
        stream: BASELINE_STREAM,
        counter: this.generated.length,
      });
      const token = { id: row.tokens[0], probability: row.probabilities[0] };
      this.generated.push(token);
      this.text.push(token.id);
      this.ms += performance.now() - started;
      if (this.eos.has(token.id)) this.finish('eos');
      else if (this.generated.length >= this.options.maxTokens) this.finish('max-tokens');
      return token;
    } catch (cause) {
      const lost = this.options.gpu.isLost && !(cause instanceof GpuError);
      const message = cause instanceof Error ? cause.message : String(cause);
      const error = lost ? new GpuError('device-lost', `The GPU device was lost during a baseline step (${message}).`) : cause; // prettier-ignore
      this.finish('error', error instanceof Error ? error.message : String(error));
      throw error;
    } finally {
      this.busy = false;
    }
  }

  async run(signal?: AbortSignal): Promise<void> {
    while (!this.done) {
      if (signal?.aborted) return this.cancel();
      await this.step();
    }
  }

  cancel(): void {
    if (!this.stop) this.finish('cancelled');
  }

  /** A new run from the same prompt (the cache keeps the prompt but its last token). */
  restart(seed = this.options.seed): void {
    if (this.busy) throw new Error('AutoregressiveLane.restart called while a step is running');
    this.text = [...this.options.prompt];
    this.generated.length = 0;
    this.seed = seedFromNumber(seed);
    this.calls = 0;
    this.ms = 0;
    this.readback.bytes = 0;
    this.stop = null;
    this.error = undefined;
    this.cursor.rollback(this.text.length - 1);
  }

  trace(): BaselineLaneTrace {
    const tokens = this.generated.length;
    return {
      tokens: this.generated.map((t) => ({ ...t })),
      statistics: {
        tokens,
        targetCalls: this.calls,
        ms: this.ms,
        msPerToken: tokens > 0 ? this.ms / tokens : NaN,
        readbackBytes: this.readback.bytes,
        readbackBytesPerToken: tokens > 0 ? this.readback.bytes / tokens : NaN,
      },
      stopReason: this.stop,
      ...(this.error ? { error: this.error } : {}),
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.sampler.destroy();
    if (!this.options.gpu.isLost) this.cursor.release();
  }

  private finish(reason: LaneStopReason, error?: string): void {
    this.stop = reason;
    if (error) this.error = error;
  }
}
