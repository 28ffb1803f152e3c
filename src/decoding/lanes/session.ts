// The Decode workbench's engine: 1..6 lanes, each a decoding method over its own components, run
// side by side on the same prompt (and image), one token per lane per step.
//
// A step: ONE batched forward per model slot over every unfinished lane's component sequences
// (step 0: the prompt prefills, shared between components with equal inputs, ./plan.ts), then
// phase 1: every lane's stepper reads its rows (the fused combination step by default,
// ./combine-step.ts) while the forwards' outputs are valid, then phase 2: custom steps that need
// forwards of their own run one lane at a time. The chosen token of each lane is appended to all
// of its sequences by the next step's forward. A lane ends at EOS, its token budget, its context,
// on cancel, or on an error of its own (an empty plausible set, invalid logits): the error ends
// that lane with its message and the others go on; a lost device ends the session.
// Reproducibility: every random draw is a function of the experiment (seed, lane id, step), so
// the same experiment on the same GPU gives the same tokens.
import { GpuError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { seedFromNumber } from '../../kernels/random/philox';
import type { LanguageModel } from '../../model/interface';
import type { TextTokenizer } from '../../model/tokenizer';
import type { Experiment, MethodName } from '../../share/experiment';
import type { LaneStopReason, TokenRecord, Trace } from '../../share/trace';
import { tokenPiece } from '../generate';
import type {
  ComponentOutput,
  DecodingMethod,
  LaneStepper,
  PendingDecision,
  StepDecision,
} from '../methods/types';
import { combinationStepper } from './combine-step';
import type { SessionCounts, SlotModels } from './forward';
import { LaneState } from './lane-state';
import { planLanes, type PlannedLane } from './plan';
import { componentPromptIds } from './prompt';
import { SequenceBook } from './sequences';
import { validateSession, type SessionModels } from './validate';

export interface DecodeSessionOptions {
  gpu: Gpu;
  models: SessionModels;
  /** The main model's tokenizer (the amateur must share its vocabulary). */
  tokenizer: TextTokenizer;
  experiment: Experiment;
  /** The experiment's image as HWC pixels in [0, 1] for the main model, or null. */
  image: Float32Array | null;
  /** Ids that end a lane; default the tokenizer's. */
  eosTokenIds?: readonly number[];
  /** The method module of a name; default the registry (src/decoding/methods/index.ts). */
  methods?: (name: MethodName) => DecodingMethod;
}

/** What one step did in one lane. */
export interface LaneStepReport {
  laneId: string;
  /** The new token, or null when the lane ended without one (error, cancel). */
  token: TokenRecord | null;
  stopReason: LaneStopReason | null;
  error?: string;
}

export class DecodeSession {
  /** Prompt ids of the base input (main model, the experiment's prompt and image). */
  readonly promptTokens: number[];
  private readonly lanes: LaneState[];
  private readonly eos: ReadonlySet<number>;
  private readonly book: SequenceBook;
  private steps = 0;
  private busy = false;
  private disposed = false;

  private constructor(
    private readonly options: DecodeSessionOptions,
    lanes: LaneState[],
  ) {
    this.lanes = lanes;
    this.book = new SequenceBook(options.models as SlotModels);
    const { tokenizer, models, experiment, image } = options;
    this.eos = new Set(options.eosTokenIds ?? tokenizer.eosTokenIds);
    const main = models.main.info;
    this.promptTokens = componentPromptIds(
      tokenizer,
      main.config,
      main.name,
      experiment.prompt,
      image !== null,
    );
  }

  /** Validates everything up front (DecodeSetupError lists every problem), then builds the lanes. */
  static async create(options: DecodeSessionOptions): Promise<DecodeSession> {
    const { gpu, models, tokenizer, experiment, image } = options;
    validateSession(experiment, models, image);
    const withImages = (m: LanguageModel) => ({ ...m.info, readsImages: m.capabilities.images });
    const plans = planLanes({
      experiment,
      image,
      tokenizer,
      methods: options.methods,
      models: {
        main: withImages(models.main),
        ...(models.amateur ? { amateur: withImages(models.amateur) } : {}),
      },
    });
    const lanes: LaneState[] = [];
    try {
      for (const plan of plans) lanes.push(await DecodeSession.createLane(options, plan));
    } catch (cause) {
      for (const lane of lanes) lane.stepper.dispose();
      throw cause;
    }
    gpu.assertAlive();
    return new DecodeSession(options, lanes);
  }

  private static async createLane(options: DecodeSessionOptions, plan: PlannedLane): Promise<LaneState> {
    const { gpu, models, experiment } = options;
    const main = models.main.info.config;
    const setup = {
      gpu,
      laneId: plan.config.id,
      vocab: main.vocabSize,
      components: plan.components,
      combination: plan.combination,
      sampling: plan.config.sampling,
      seed: seedFromNumber(experiment.seed),
      stream: plan.stream,
      numLayers: main.numLayers,
      amateurNumLayers: models.amateur?.info.config.numLayers ?? null,
      hiddenSize: main.hiddenSize,
      tokenizer: options.tokenizer,
    };
    const stepper: LaneStepper = plan.method.createStepper
      ? await plan.method.createStepper(plan.config.method, setup)
      : await combinationStepper(setup);
    const budget = Math.min(
      ...plan.components.map(
        (c) => (models[c.model] as LanguageModel).info.config.maxPositions - c.ids.length,
      ),
    );
    return new LaneState(plan, stepper, budget);
  }

  /** Forwards, prefills and forks so far (each batched call once). */
  get counts(): SessionCounts {
    return this.book.counts;
  }

  get done(): boolean {
    return this.lanes.every((lane) => lane.finished);
  }

  /** Steps taken (step 0 is the prompt prefill and the first token). */
  get stepsTaken(): number {
    return this.steps;
  }

  /** The lanes' traces so far (the UI's and the worker's view). */
  laneTraces() {
    return this.lanes.map((lane) => lane.trace(this.text(lane.ids)));
  }

  /** One token in every unfinished lane. */
  async step(): Promise<LaneStepReport[]> {
    if (this.disposed) throw new Error('this decode session was disposed');
    if (this.busy) throw new Error('DecodeSession.step called while a step is running; await it first');
    const active = this.lanes.filter((lane) => !lane.finished);
    if (active.length === 0) return [];
    this.busy = true;
    const started = performance.now();
    try {
      const first = this.steps === 0;
      const entries = first ? this.book.prefillPlan(active) : [];
      const outputs = first ? await this.book.prefill(entries, active) : await this.book.forward(active);
      const decisions = await this.decide(active, outputs);
      const reports = active.map((lane) => this.record(lane, decisions.get(lane)));
      if (first) this.book.distribute(entries, active);
      for (const lane of active) {
        lane.activeMs += performance.now() - started;
        if (lane.finished) this.book.release(lane);
      }
      this.steps++;
      return reports;
    } finally {
      this.busy = false;
    }
  }

  /** Steps until every lane is done or `signal` aborts (then unfinished lanes are cancelled). */
  async run(signal?: AbortSignal, onStep?: (reports: LaneStepReport[]) => void): Promise<void> {
    while (!this.done) {
      if (signal?.aborted) {
        this.cancel();
        return;
      }
      // Not `onStep?.(await this.step())`: an absent callback would skip the step itself.
      const reports = await this.step();
      onStep?.(reports);
    }
  }

  /** Ends every unfinished lane as cancelled (between steps). */
  cancel(): void {
    for (const lane of this.lanes) {
      if (lane.finished) continue;
      lane.finish('cancelled');
      this.book.release(lane);
    }
  }

  trace(environment: Trace['environment']): Trace {
    return {
      version: 1,
      experiment: this.options.experiment,
      promptTokens: [...this.promptTokens],
      lanes: this.laneTraces(),
      environment,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const lane of this.lanes) lane.stepper.dispose();
    this.book.releaseAll();
  }

  private text(ids: readonly number[]): string {
    const { tokenizer } = this.options;
    const known = ids.filter((id) => tokenizer.idToToken(id) !== undefined);
    return known.length > 0 ? tokenizer.decode(known) : '';
  }

  /** Phase 1 for every lane, then phase 2 (custom forwards) one lane at a time. */
  private async decide(active: readonly LaneState[], outputs: Map<LaneState, ComponentOutput[]>) {
    const decisions = new Map<LaneState, StepDecision>();
    const pending: [LaneState, PendingDecision][] = [];
    for (const lane of active) {
      try {
        const observed = await lane.stepper.observe({
          step: lane.tokens.length,
          components: outputs.get(lane) ?? [],
          countReadback: (bytes) => (lane.readbackBytes += bytes),
        });
        if ('decide' in observed) pending.push([lane, observed]);
        else decisions.set(lane, observed);
      } catch (cause) {
        this.fail(lane, cause);
      }
    }
    for (const [lane, decision] of pending) {
      try {
        decisions.set(lane, await decision.decide({
          models: this.book.stepModels(lane),
          sequences: lane.holdsSequences || this.steps === 0 ? [...lane.sequences] : [],
          countReadback: (bytes) => (lane.readbackBytes += bytes),
        })); // prettier-ignore
      } catch (cause) {
        this.fail(lane, cause);
      }
    }
    return decisions;
  }

  /** A lane's own failure ends the lane; a lost device ends the session. */
  private fail(lane: LaneState, cause: unknown): void {
    if (cause instanceof GpuError || this.options.gpu.isLost) throw cause;
    lane.finish('error', cause instanceof Error ? cause.message : String(cause));
  }

  private record(lane: LaneState, decision: StepDecision | undefined): LaneStepReport {
    if (!decision || lane.finished) {
      return { laneId: lane.id, token: null, stopReason: lane.stopReason, ...(lane.error ? { error: lane.error } : {}) }; // prettier-ignore
    }
    const { token, record } = decision;
    const entry: TokenRecord = {
      step: lane.tokens.length,
      id: token,
      piece: tokenPiece(this.options.tokenizer, token),
      ...record,
    };
    lane.push(entry);
    if (this.eos.has(token)) lane.finish('eos');
    else if (lane.tokens.length >= this.options.experiment.maxTokens) lane.finish('max-tokens');
    else if (lane.tokens.length >= lane.contextBudget) lane.finish('context');
    return { laneId: lane.id, token: entry, stopReason: lane.stopReason };
  }
}
