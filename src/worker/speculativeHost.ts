// The worker's Speculative requests (speculativeTypes.ts): start a run, pause, resume, step (one
// round) while paused, stop; and the Model tab's model described as a ref a setup can name. GpuHost
// runs `start` in its queue and holds the queue until the run ends (as Decode does); pause, resume,
// step and stop are immediate: the loop yields to the event loop after every round, so they take
// effect between two rounds. Rounds go out in batches at most every BATCH_INTERVAL_MS (and at once
// when paused or stepped), then `speculativeEnded` carries the engine's trace.
// The session comes in as a factory (the worker passes SpeculativeSession.create, whose modules touch
// WebGPU globals at load), so this file runs under Node unit tests with fakes.
import type { Gpu } from '../gpu/runtime';
import type { TextTokenizer } from '../model/tokenizer';
import type {
  SpeculativeSessionOptions,
  SpeculativeStepReport,
  SpeculativeTrace,
} from '../speculative/session';
import { sentenceEndTokenIds } from '../speculative/tokens';
import { isExact, needsDraftModel } from '../speculative/validate';
import { resolveModelRef, type DecodeSlots, type RefusalWording, type SlotModel } from './decodeSetup';
import { refOfSource } from './modelTypes';
import type { WorkerEvent } from './protocol';
import type {
  ResolvedModelInfo,
  SpeculativeOutcome,
  SpeculativeProgress,
  StartSpeculativeParams,
  WorkbenchModelDescription,
} from './speculativeTypes';

type Post = (event: WorkerEvent) => void;

/** Batches of rounds go out at most this often while running (a few per second). */
export const BATCH_INTERVAL_MS = 250;

/** A refusal written for the user (shown as is). */
export class SpeculativeRequestError extends Error {
  override name = 'SpeculativeRequestError';
}

/** What the host needs of a session (SpeculativeSession has it). */
export interface SpeculativeSessionLike {
  readonly done: boolean;
  step(): Promise<SpeculativeStepReport>;
  cancel(): void;
  trace(): SpeculativeTrace;
  dispose(): void;
}

export interface SpeculativeHostOptions {
  slots: DecodeSlots;
  createSession(options: SpeculativeSessionOptions): Promise<SpeculativeSessionLike>;
}

/**
 * The prompt as the models read it: the tokenizer's encoding (its own special tokens added), with
 * BOS in front when the tokenizer names one and did not add it. Interpretation (ours): the Shapes
 * caption LMs were trained on `<bos> caption <eos>` and their tokenizer adds no BOS itself, so a
 * prompt without it would be off their distribution; Llama tokenizers add it already, and for
 * GPT-2 <|endoftext|> in front is the usual start of a document.
 */
export function speculativePromptIds(tokenizer: TextTokenizer, text: string): number[] {
  const ids = tokenizer.encode(text);
  const bos = tokenizer.bosTokenId;
  if (bos !== null && ids[0] !== bos) return [bos, ...ids];
  if (ids.length === 0)
    throw new SpeculativeRequestError('The prompt is empty and the tokenizer has no BOS token to start from: type a prompt.'); // prettier-ignore
  return ids;
}

/** A token id as the page shows it (ids past the tokenizer's vocabulary: ⟨id⟩). */
export function tokenPiece(tokenizer: TextTokenizer, id: number): string {
  return tokenizer.idToToken(id) === undefined ? `⟨${id}⟩` : tokenizer.decodeToken(id);
}

const SPECULATIVE_WORDING: RefusalWording = {
  fail: (message) => new SpeculativeRequestError(message),
  setup: 'setup',
};

/** The Model tab's model as a ref: Hub and URL folders can be named in a link, local files cannot. */
export function describeWorkbench(slots: DecodeSlots): WorkbenchModelDescription {
  const loaded = slots.workbench?.loadedModel() ?? null;
  if (!loaded) return { ref: null, name: null, problem: 'No model is loaded in the Model tab.' };
  const { ref, problem } = refOfSource(loaded.spec, loaded.card.name, loaded.model.info.fileHashes);
  return { ref, name: loaded.card.name, problem };
}

interface Run {
  paused: boolean;
  stopRequested: boolean;
  /** Rounds asked for while paused, each with the reply that waits for it. */
  steps: (() => void)[];
}

/** Lets immediate messages (pause, step, stop) run between rounds: a macrotask, not a microtask. */
const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

const info = (loaded: SlotModel): ResolvedModelInfo => ({ name: loaded.card.name, fileHashes: { ...loaded.model.info.fileHashes } }); // prettier-ignore

export class SpeculativeHost {
  private run: Run | null = null;
  private session: SpeculativeSessionLike | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly options: SpeculativeHostOptions) {}

  describeWorkbench(): WorkbenchModelDescription {
    return describeWorkbench(this.options.slots);
  }

  /** Ends the run and frees the session (its buffers belong to a device being replaced or lost). */
  reset(): void {
    if (this.run) this.run.stopRequested = true;
    this.wakeLoop();
    this.session?.dispose();
    this.session = null;
  }

  pause(): boolean {
    if (!this.run || this.run.paused || this.run.stopRequested) return false;
    this.run.paused = true;
    return true;
  }

  resume(): boolean {
    if (!this.run?.paused) return false;
    this.run.paused = false;
    this.wakeLoop();
    return true;
  }

  /** While paused: one round (and the baseline tokens that catch up); resolves once it is posted. */
  step(): Promise<boolean> {
    const run = this.run;
    if (!run?.paused || run.stopRequested) return Promise.resolve(false);
    return new Promise((resolve) => {
      run.steps.push(() => resolve(true));
      this.wakeLoop();
    });
  }

  stop(): boolean {
    if (!this.run || this.run.stopRequested) return false;
    this.run.stopRequested = true;
    this.wakeLoop();
    return true;
  }

  private wakeLoop(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  async start(gpu: Gpu, requestId: number, params: StartSpeculativeParams, post: Post): Promise<void> {
    const run: Run = { paused: params.paused, stopRequested: false, steps: [] };
    this.run = run;
    try {
      const { setup } = params;
      const { slots } = this.options;
      const target = await resolveModelRef(
        gpu,
        'target',
        setup.models.target,
        slots,
        requestId,
        post,
        SPECULATIVE_WORDING,
      );
      const draft = needsDraftModel(setup.method)
        ? await resolveModelRef(gpu, 'draft', setup.models.draft, slots, requestId, post, SPECULATIVE_WORDING)
        : null;
      const tokenizer = target.tokenizer;
      const prompt = speculativePromptIds(tokenizer, setup.prompt);
      const options: SpeculativeSessionOptions = {
        gpu,
        target: target.model,
        draft: draft?.model ?? null,
        method: setup.method,
        sampling: setup.sampling,
        seed: setup.seed,
        prompt,
        maxTokens: setup.maxTokens,
        eosTokenIds: tokenizer.eosTokenIds,
        ...(setup.method.name === 'foreal' ? { sentenceEndTokenIds: sentenceEndTokenIds(tokenizer) } : {}),
      };
      // Validates everything (SpeculativeSetupError lists every problem: tokenizers, K, thresholds).
      const session = await this.options.createSession(options);
      this.session = session;
      post({
        type: 'speculativeStarted',
        requestId,
        promptTokens: prompt,
        promptPieces: prompt.map((id) => tokenPiece(tokenizer, id)),
        target: info(target),
        draft: draft ? info(draft) : null,
        exact: isExact(setup.method),
      });
      const pieces = new PieceTable(tokenizer);
      const status = await this.loop(gpu, run, session, requestId, post, pieces);
      const trace = session.trace();
      pieces.addTrace(trace);
      const outcome: SpeculativeOutcome = { trace, status, pieces: pieces.take() };
      post({ type: 'speculativeEnded', requestId, ...outcome });
    } finally {
      for (const resolve of run.steps.splice(0)) resolve();
      if (this.run === run) this.run = null;
      this.session?.dispose();
      this.session = null;
    }
  }

  private async loop(
    gpu: Gpu,
    run: Run,
    session: SpeculativeSessionLike,
    requestId: number,
    post: Post,
    pieces: PieceTable,
  ) {
    let sentRounds = 0;
    let sentBaseline = 0;
    let lastPost = performance.now();
    const flush = () => {
      const trace = session.trace();
      const rounds = trace.speculative.rounds.slice(sentRounds);
      const baseline = trace.baseline?.tokens.slice(sentBaseline) ?? [];
      sentRounds += rounds.length;
      sentBaseline += baseline.length;
      pieces.addTrace(trace, rounds, baseline);
      const progress: SpeculativeProgress = {
        rounds,
        baseline,
        statistics: trace.speculative.statistics,
        baselineStatistics: trace.baseline?.statistics ?? null,
        methodStatistics: trace.speculative.methodStatistics,
        speculativeStop: trace.speculative.stopReason,
        baselineStop: trace.baseline?.stopReason ?? null,
        ...(trace.speculative.error ? { speculativeError: trace.speculative.error } : {}),
        ...(trace.baseline?.error ? { baselineError: trace.baseline.error } : {}),
        speedup: trace.speedup,
        pieces: pieces.take(),
      };
      post({ type: 'speculativeRounds', requestId, ...progress });
      lastPost = performance.now();
    };
    while (!session.done && !run.stopRequested) {
      if (run.paused && run.steps.length === 0) {
        flush();
        // A device lost while paused ends the wait too, so the queue is never held by a dead run.
        await Promise.race([new Promise<void>((resolve) => (this.wake = resolve)), gpu.lost]);
        gpu.assertAlive();
        continue;
      }
      const stepped = run.paused ? run.steps.shift() : undefined;
      await session.step();
      if (stepped || performance.now() - lastPost >= BATCH_INTERVAL_MS) flush();
      stepped?.();
      await yieldToEvents();
    }
    const status: SpeculativeOutcome['status'] = run.stopRequested && !session.done ? 'stopped' : 'completed';
    if (status === 'stopped') session.cancel();
    flush();
    return status;
  }
}

/** Pieces of the ids the page has not been sent yet. */
class PieceTable {
  private readonly sent = new Set<number>();
  private fresh: [number, string][] = [];

  constructor(private readonly tokenizer: TextTokenizer) {}

  private add(id: number): void {
    if (this.sent.has(id)) return;
    this.sent.add(id);
    this.fresh.push([id, tokenPiece(this.tokenizer, id)]);
  }

  addTrace(
    trace: SpeculativeTrace,
    rounds = trace.speculative.rounds,
    baseline = trace.baseline?.tokens ?? [],
  ): void {
    for (const round of rounds) {
      for (const token of round.tokens) this.add(token.id);
      for (const id of round.emitted) this.add(id);
      for (const draft of round.candidates?.drafts ?? []) for (const id of draft) this.add(id);
    }
    for (const token of baseline) this.add(token.id);
  }

  take(): [number, string][] {
    const out = this.fresh;
    this.fresh = [];
    return out;
  }
}
