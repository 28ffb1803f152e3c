// One speculative lane: a method's rounds over a target (and a draft) model from a prompt, until
// EOS, the token budget or the models' context. Each round drafts, verifies in one target forward,
// rolls both caches back and appends what the verifier produced (cut at EOS); nothing but token
// ids and small summaries comes back from the GPU. A failing round ends the lane with its message
// and throws it (a lost device included), so a caller never waits on a dead lane.
// A lane normally creates its sequences and reads the whole prompt in its first round; a caller
// that already prefilled the prompt (the Decode workbench's shared prefill) hands in forks of it,
// cut to a prefix of the prompt, and the first round reads only what they lack.
import { GpuError } from '../gpu/errors';
import type { Gpu } from '../gpu/runtime';
import { seedFromNumber } from '../kernels/random/philox';
import type { LanguageModel, SequenceId } from '../model/interface';
import { SequenceCursor, type CursorModel } from './cursor';
import { createStrategy, draftLogitRows } from './methods';
import { emittedTokens, keepEmitted, LaneStatisticsBuilder } from './records';
import type { DrawCounters, LaneResources, RoundStrategy } from './rounds/context';
import { DraftLogits, ReadbackCounter, TokenSampler } from './sampler';
import type {
  LaneStopReason,
  RoundRecord,
  SpeculativeLaneTrace,
  SpeculativeMethod,
  SpeculativeSampling,
} from './types';
import { isExact, needsDraftModel, validateSpeculative } from './validate';
import { Verifier } from './verifier';

/** A model the lane can use: the model itself, or a view without createSequence (then pass `sequences`). */
export type LaneModel = CursorModel & Partial<Pick<LanguageModel, 'createSequence'>>;

export interface SpeculativeLaneOptions {
  gpu: Gpu;
  target: LaneModel;
  /** The draft model; null for model-free drafts (prompt lookup, ADED). Ignored when not needed. */
  draft: LaneModel | null;
  /**
   * Sequences to continue instead of new ones: each holds a prefix of `prompt` shorter than the
   * whole prompt (the first round must read at least its last token). The lane owns them from this
   * call on (released on failure and by dispose); a draft sequence is released at once when the
   * method drafts without a model.
   */
  sequences?: { target: SequenceId; draft: SequenceId | null };
  method: SpeculativeMethod;
  sampling: SpeculativeSampling;
  /** Integer in 0..2^53-1: the lane's tokens are a function of (models, prompt, settings, seed). */
  seed: number;
  /** Prompt token ids (BOS included when the model expects it). */
  prompt: readonly number[];
  maxTokens: number;
  eosTokenIds: readonly number[];
  /** FoReaL: ids that end a sentence (EOS ids are added). */
  sentenceEndTokenIds?: readonly number[];
}

function counters(seed: number): DrawCounters {
  return { seed: seedFromNumber(seed), seedNumber: seed, draft: 0, target: 0, verify: 0 };
}

export class SpeculativeLane {
  readonly exact: boolean;
  private text: number[];
  private readonly rounds: RoundRecord[] = [];
  private readonly stats: LaneStatisticsBuilder;
  private readonly eos: ReadonlySet<number>;
  private readonly contextLimit: number;
  private draws: DrawCounters;
  private stop: LaneStopReason | null = null;
  private error: string | undefined;
  private busy = false;
  private disposed = false;

  private constructor(
    private readonly options: SpeculativeLaneOptions,
    private readonly resources: LaneResources,
    private readonly strategy: RoundStrategy,
  ) {
    this.exact = isExact(options.method);
    this.text = [...options.prompt];
    this.stats = new LaneStatisticsBuilder(strategy.draftLength, this.exact);
    this.eos = new Set(options.eosTokenIds);
    this.draws = counters(options.seed);
    const draftContext = resources.draft?.model.info.config.maxPositions ?? Infinity;
    this.contextLimit = Math.min(options.target.info.config.maxPositions, draftContext);
  }

  /** Validates the whole setup (SpeculativeSetupError lists every problem), then allocates. */
  static async create(options: SpeculativeLaneOptions): Promise<SpeculativeLane> {
    const { gpu, target, method, sampling, prompt } = options;
    const draftModel = needsDraftModel(method) ? options.draft : null;
    const given = options.sequences;
    if (given?.draft != null && !draftModel) options.draft?.releaseSequence(given.draft);
    // Handed-in sequences are the lane's from here on: cursors at once, released if anything fails.
    const cursors: SequenceCursor[] = [];
    const cursor = (model: LaneModel, sequence: SequenceId) => {
      cursors.push(new SequenceCursor(model, sequence));
      return cursors[cursors.length - 1];
    };
    const fresh = (model: LaneModel) => {
      if (!model.createSequence)
        throw new Error(`${model.info.name}: this view of the model cannot create sequences; hand the lane its sequences`); // prettier-ignore
      return cursor(model, model.createSequence());
    };
    const handedTarget = given ? cursor(target, given.target) : null;
    const handedDraft = draftModel && given?.draft != null ? cursor(draftModel, given.draft) : null;
    const owned: { destroy(): void }[] = [];
    const own = <T extends { destroy(): void }>(thing: T): T => (owned.push(thing), thing);
    try {
      validateSpeculative({ ...options, draft: draftModel });
      for (const handed of cursors)
        if (handed.length >= prompt.length)
          throw new Error(`${handed.model.info.name}: a handed-in sequence holds ${handed.length} tokens; it must hold a prefix of the ${prompt.length}-token prompt without its last token`); // prettier-ignore
      const vocab = target.info.config.vocabSize;
      const rows = draftLogitRows(method);
      const readback = new ReadbackCounter();
      const resources: LaneResources = {
        gpu,
        vocab,
        sampling,
        target: handedTarget ?? fresh(target),
        draft: draftModel ? (handedDraft ?? fresh(draftModel)) : null,
        targetSampler: own(await TokenSampler.create(gpu, 1, vocab, readback)),
        draftSampler: draftModel ? own(await TokenSampler.create(gpu, 1, vocab, readback)) : null,
        draftLogits: rows > 0 ? own(new DraftLogits(gpu, rows, vocab)) : null,
        verifier: own(new Verifier(gpu, vocab, readback)),
        readback,
      };
      const sentenceEnd = new Set([...(options.sentenceEndTokenIds ?? []), ...options.eosTokenIds]);
      const strategy = await createStrategy({ resources, method, seed: options.seed, sentenceEnd });
      gpu.assertAlive();
      return new SpeculativeLane(options, resources, strategy);
    } catch (cause) {
      for (const thing of owned) thing.destroy();
      for (const cursor of cursors) cursor.release();
      throw cause;
    }
  }

  get done(): boolean {
    return this.stop !== null;
  }

  get stopReason(): LaneStopReason | null {
    return this.stop;
  }

  /** Generated token ids so far (the prompt excluded). */
  get tokens(): number[] {
    return this.text.slice(this.options.prompt.length);
  }

  /** The lane's sequence in each model (tests, debugging views); they change as SpecTr adopts forks. */
  get sequences(): { target: SequenceId; draft: SequenceId | null } {
    return { target: this.resources.target.sequence, draft: this.resources.draft?.sequence ?? null };
  }

  /** One round; null when the lane is done. Throws (after ending the lane) when the round fails. */
  async round(): Promise<RoundRecord | null> {
    if (this.disposed) throw new Error('this speculative lane was disposed');
    if (this.busy) throw new Error('SpeculativeLane.round called while a round is running; await it first');
    if (this.stop) return null;
    const budget = this.options.maxTokens - this.tokens.length;
    const room = this.contextLimit - this.text.length;
    if (room < 0) return (this.finish('context'), null);
    this.busy = true;
    const started = performance.now();
    try {
      const context = {
        text: this.text,
        round: this.rounds.length,
        budget,
        room,
        counters: this.draws,
        eos: this.eos,
      };
      const outcome = await this.strategy.round(context);
      const { emitted, eos } = emittedTokens(outcome.produced, budget, this.eos);
      const record: RoundRecord = {
        round: this.rounds.length,
        draftLength: outcome.draftLength,
        tokens: keepEmitted(outcome.tokens, outcome.accepted, emitted.length),
        emitted,
        accepted: outcome.accepted,
        ...(outcome.candidates ? { candidates: outcome.candidates } : {}),
        targetCalls: outcome.targetCalls,
        draftCalls: outcome.draftCalls,
        exact: this.exact,
        ...(outcome.extra ? { extra: outcome.extra } : {}),
        ms: performance.now() - started,
      };
      this.text.push(...emitted);
      this.rounds.push(record);
      this.stats.add(record);
      if (eos) this.finish('eos');
      else if (this.tokens.length >= this.options.maxTokens) this.finish('max-tokens');
      else if (this.text.length > this.contextLimit) this.finish('context');
      return record;
    } catch (cause) {
      throw this.fail(cause);
    } finally {
      this.busy = false;
    }
  }

  /** Rounds until the lane is done or `signal` aborts (then the lane is cancelled). */
  async run(signal?: AbortSignal, onRound?: (round: RoundRecord) => void): Promise<void> {
    while (!this.done) {
      if (signal?.aborted) return this.cancel();
      const record = await this.round();
      if (record) onRound?.(record);
    }
  }

  /** Ends the lane as cancelled (between rounds). */
  cancel(): void {
    if (!this.stop) this.finish('cancelled');
  }

  /**
   * A new run from the same prompt with `seed` (default: the same seed). The caches keep the
   * prompt; learned heads (SpecDec++, judge) keep what they learned.
   */
  restart(seed = this.options.seed): void {
    if (this.busy) throw new Error('SpeculativeLane.restart called while a round is running');
    this.text = [...this.options.prompt];
    this.rounds.length = 0;
    this.stats.reset();
    this.resources.readback.bytes = 0;
    this.draws = counters(seed);
    this.stop = null;
    this.error = undefined;
    this.strategy.restart?.(seed);
    this.resources.target.rollback(this.text.length - 1);
    this.resources.draft?.rollback(this.text.length - 1);
  }

  trace(): SpeculativeLaneTrace {
    return {
      method: this.options.method,
      sampling: this.options.sampling,
      seed: this.draws.seedNumber,
      tokens: this.tokens,
      rounds: [...this.rounds],
      statistics: this.stats.statistics(this.resources.readback.bytes),
      methodStatistics: this.strategy.summary?.() ?? {},
      stopReason: this.stop,
      ...(this.error ? { error: this.error } : {}),
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.strategy.dispose?.();
    const { targetSampler, draftSampler, draftLogits, verifier, target, draft } = this.resources;
    for (const thing of [targetSampler, draftSampler, draftLogits, verifier]) thing?.destroy();
    if (!this.resources.gpu.isLost) {
      target.release();
      draft?.release();
    }
  }

  private finish(reason: LaneStopReason, error?: string): void {
    this.stop = reason;
    if (error) this.error = error;
  }

  /** Ends the lane with the failure's message; a lost device says so. Returns what to throw. */
  private fail(cause: unknown): unknown {
    const gpu = this.resources.gpu;
    const lost = gpu.isLost && !(cause instanceof GpuError);
    const message = cause instanceof Error ? cause.message : String(cause);
    const error = lost
      ? new GpuError('device-lost', `The GPU device was lost during a speculative round (${message}).`)
      : cause;
    this.finish('error', error instanceof Error ? error.message : String(error));
    return error;
  }
}
