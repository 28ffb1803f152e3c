// The worker's Decode requests (decodeTypes.ts): start a run, pause, resume, step while paused,
// stop. GpuHost runs `start` in its queue and holds the queue until the run ends (as training
// does); pause, resume, step and stop are immediate: the loop yields to the event loop after every
// step, so they take effect between two steps. Tokens go out in batches at most every
// TOKEN_INTERVAL_MS (and at once when paused or stepped), then `decodeEnded` carries the trace.
// The session comes in as a factory (the worker passes DecodeSession.create, whose modules touch
// WebGPU globals at load), so this file runs under Node unit tests with fakes.
import type { DecodeSessionOptions, LaneStepReport } from '../decoding/lanes/session';
import type { Gpu } from '../gpu/runtime';
import type { Trace } from '../share/trace';
import { resolveDecode, type DecodeSlots } from './decodeSetup';
import type { DecodeOutcome, LaneTokens, StartDecodeParams } from './decodeTypes';
import type { WorkerEvent } from './protocol';

type Post = (event: WorkerEvent) => void;

/** Token batches go out at most this often while running (a few per second). */
export const TOKEN_INTERVAL_MS = 250;

/** What the host needs of a session (DecodeSession has it). */
export interface SessionLike {
  readonly promptTokens: number[];
  readonly done: boolean;
  laneTraces(): Trace['lanes'];
  step(): Promise<LaneStepReport[]>;
  cancel(): void;
  trace(environment: Trace['environment']): Trace;
  dispose(): void;
}

export interface DecodeHostOptions {
  slots: DecodeSlots;
  createSession(options: DecodeSessionOptions): Promise<SessionLike>;
}

interface Run {
  paused: boolean;
  stopRequested: boolean;
  /** Steps asked for while paused, each with the reply that waits for it. */
  steps: (() => void)[];
}

/** Lets immediate messages (pause, step, stop) run between steps: a macrotask, not a microtask. */
const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class DecodeHost {
  private run: Run | null = null;
  private session: SessionLike | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly options: DecodeHostOptions) {}

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

  /** While paused: one token in every unfinished lane; resolves once its tokens are posted. */
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

  async start(gpu: Gpu, requestId: number, params: StartDecodeParams, post: Post): Promise<void> {
    const run: Run = { paused: params.paused, stopRequested: false, steps: [] };
    this.run = run;
    try {
      const { main, amateur, image } = await resolveDecode(gpu, params, this.options.slots, requestId, post);
      const session = await this.options.createSession({
        gpu,
        models: { main: main.model, ...(amateur ? { amateur: amateur.model } : {}) },
        tokenizer: main.tokenizer,
        experiment: params.experiment,
        image,
      });
      this.session = session;
      post({
        type: 'decodeStarted',
        requestId,
        promptTokens: [...session.promptTokens],
        promptPieces: session.promptTokens.map((id) => main.tokenizer.idToToken(id) === undefined ? `⟨${id}⟩` : main.tokenizer.decodeToken(id)), // prettier-ignore
        lanes: session.laneTraces().map(({ laneId, inputs }) => ({ laneId, inputs })),
      });
      const status = await this.loop(gpu, run, session, requestId, post);
      const outcome: DecodeOutcome = { trace: session.trace(environment(gpu)), status };
      post({ type: 'decodeEnded', requestId, ...outcome });
    } finally {
      for (const resolve of run.steps.splice(0)) resolve();
      if (this.run === run) this.run = null;
      this.session?.dispose();
      this.session = null;
    }
  }

  private async loop(gpu: Gpu, run: Run, session: SessionLike, requestId: number, post: Post) {
    const sent = new Map<string, number>();
    const ended = new Set<string>();
    let lastPost = performance.now();
    const flush = () => {
      const lanes: LaneTokens[] = [];
      for (const lane of session.laneTraces()) {
        const from = sent.get(lane.laneId) ?? 0;
        const newlyEnded = lane.stopReason !== null && !ended.has(lane.laneId);
        if (lane.tokens.length === from && !newlyEnded) continue;
        sent.set(lane.laneId, lane.tokens.length);
        if (lane.stopReason !== null) ended.add(lane.laneId);
        const entry: LaneTokens = {
          laneId: lane.laneId,
          tokens: lane.tokens.slice(from),
          statistics: lane.statistics,
          stopReason: lane.stopReason,
        };
        if (lane.error !== undefined) entry.error = lane.error;
        lanes.push(entry);
      }
      if (lanes.length > 0) post({ type: 'decodeTokens', requestId, lanes });
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
      if (stepped || performance.now() - lastPost >= TOKEN_INTERVAL_MS) flush();
      stepped?.();
      await yieldToEvents();
    }
    const status: DecodeOutcome['status'] = run.stopRequested && !session.done ? 'stopped' : 'completed';
    if (status === 'stopped') session.cancel();
    flush();
    return status;
  }
}

/** Where the run happened (identical tokens are promised on the same browser and GPU only). */
function environment(gpu: Gpu): Trace['environment'] {
  const s = gpu.summary;
  const adapter = [s.vendor, s.architecture, s.device, s.description].filter((part) => part).join(' / ');
  return {
    adapter: adapter || 'unknown adapter',
    userAgent: typeof navigator === 'undefined' ? 'unknown' : navigator.userAgent,
    createdAt: new Date().toISOString(),
  };
}
