// The Speculative workbench's engine: one speculative lane and, beside it, the autoregressive
// baseline on the same target from the same prompt. A step is one speculative round, then as many
// baseline tokens as it takes to catch up, so the two texts grow side by side; each lane times its
// own work, which gives the speed-up (baseline ms per token / speculative ms per token). The lanes
// run one after the other on the one GPU queue, never interleaved within a forward.
import type { Gpu } from '../gpu/runtime';
import type { LanguageModel } from '../model/interface';
import { AutoregressiveLane } from './baseline';
import { SpeculativeLane } from './lane';
import type {
  BaselineLaneTrace,
  BaselineToken,
  RoundRecord,
  SpeculativeLaneTrace,
  SpeculativeMethod,
  SpeculativeSampling,
} from './types';

export interface SpeculativeSessionOptions {
  gpu: Gpu;
  target: LanguageModel;
  /** Needed by every method but prompt lookup and ADED; must share the target's tokenizer. */
  draft: LanguageModel | null;
  method: SpeculativeMethod;
  sampling: SpeculativeSampling;
  seed: number;
  /** Prompt token ids (BOS included when the model expects it). */
  prompt: readonly number[];
  maxTokens: number;
  eosTokenIds: readonly number[];
  /** FoReaL: ids that end a sentence (see sentenceEndTokenIds in ./tokens.ts). */
  sentenceEndTokenIds?: readonly number[];
  /** Run the autoregressive baseline lane (default true). */
  baseline?: boolean;
}

/** What one step did. */
export interface SpeculativeStepReport {
  /** The speculative round, or null when that lane was already done. */
  round: RoundRecord | null;
  /** Baseline tokens generated in this step (to catch up with the speculative lane). */
  baseline: BaselineToken[];
  done: boolean;
}

export interface SpeculativeTrace {
  version: 1;
  models: { target: string; draft: string | null };
  prompt: number[];
  maxTokens: number;
  speculative: SpeculativeLaneTrace;
  baseline: BaselineLaneTrace | null;
  /** Baseline ms per token / speculative ms per token (NaN until both have tokens). */
  speedup: number;
}

export class SpeculativeSession {
  private busy = false;
  private disposed = false;

  private constructor(
    private readonly options: SpeculativeSessionOptions,
    readonly speculative: SpeculativeLane,
    readonly baseline: AutoregressiveLane | null,
  ) {}

  /** Validates (SpeculativeSetupError lists every problem) and allocates both lanes. */
  static async create(options: SpeculativeSessionOptions): Promise<SpeculativeSession> {
    const speculative = await SpeculativeLane.create(options);
    try {
      const baseline =
        options.baseline === false
          ? null
          : await AutoregressiveLane.create({
              gpu: options.gpu,
              target: options.target,
              sampling: options.sampling,
              seed: options.seed,
              prompt: options.prompt,
              maxTokens: options.maxTokens,
              eosTokenIds: options.eosTokenIds,
            });
      return new SpeculativeSession(options, speculative, baseline);
    } catch (cause) {
      speculative.dispose();
      throw cause;
    }
  }

  get done(): boolean {
    return this.speculative.done && (this.baseline?.done ?? true);
  }

  /** One speculative round, then baseline tokens until it has as many (or is done). */
  async step(): Promise<SpeculativeStepReport> {
    if (this.disposed) throw new Error('this speculative session was disposed');
    if (this.busy) throw new Error('SpeculativeSession.step called while a step is running; await it first');
    this.busy = true;
    try {
      const round = await this.speculative.round();
      const baseline: BaselineToken[] = [];
      const lane = this.baseline;
      const push = (token: BaselineToken | null) => token && baseline.push(token);
      while (lane && !lane.done && lane.tokens.length < this.speculative.tokens.length)
        push(await lane.step());
      // Once the speculative lane is over (EOS early), the baseline goes on a token per step.
      if (lane && !lane.done && this.speculative.done && baseline.length === 0) push(await lane.step());
      return { round, baseline, done: this.done };
    } finally {
      this.busy = false;
    }
  }

  /** Steps until both lanes are done or `signal` aborts (then both are cancelled). */
  async run(signal?: AbortSignal, onStep?: (report: SpeculativeStepReport) => void): Promise<void> {
    while (!this.done) {
      if (signal?.aborted) return this.cancel();
      const report = await this.step();
      onStep?.(report);
    }
  }

  cancel(): void {
    this.speculative.cancel();
    this.baseline?.cancel();
  }

  /** Both lanes start over from the prompt with `seed` (default: the session's seed). */
  restart(seed = this.options.seed): void {
    if (this.busy) throw new Error('SpeculativeSession.restart called while a step is running');
    this.speculative.restart(seed);
    this.baseline?.restart(seed);
  }

  trace(): SpeculativeTrace {
    const speculative = this.speculative.trace();
    const baseline = this.baseline?.trace() ?? null;
    return {
      version: 1,
      models: { target: this.options.target.info.name, draft: this.options.draft?.info.name ?? null },
      prompt: [...this.options.prompt],
      maxTokens: this.options.maxTokens,
      speculative,
      baseline,
      speedup: baseline ? baseline.statistics.msPerToken / speculative.statistics.msPerToken : NaN,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.speculative.dispose();
    this.baseline?.dispose();
  }
}
