// The contract between a decoding method and the lane runner (src/decoding/lanes/).
//
// A method is a small module (./<name>.ts, the paper and formula in its header) that says, for one
// lane's config:
//   1. its *components*: the inputs it needs at every step, each a (model slot, prompt text, image)
//      with a label and the DistortionRecord the trace keeps. The first component is the base: the
//      undistorted input on the main model, which also defines the plausibility mask;
//   2. its *combination*: a weight per component and the plausibility threshold beta, i.e.
//        score(y) = (1/T) sum_j w_j log p_j(y)  on  V_head = { y : p_0(y) >= beta max_w p_0(w) }
//      (the fused logit pipeline, src/kernels/logits/combine.ts);
//   3. optionally, *captures* per component (logit-lens layers, hidden states) and a *custom step*
//      (createStepper) that replaces the default "combine, mask, filter, sample" step: DoLa chooses
//      a premature layer from the captured lens rows; contrastive search scores top-k candidates
//      with a batched candidate forward on forked sequences.
// The runner turns each component into one sequence (KV cache) in its model, batches every lane's
// sequences of a model into one forward per step, and hands each lane's stepper that lane's rows.
import type { Seed } from '../../kernels/random/philox';
import type { ForwardCapture, LanguageModel, SequenceId } from '../../model/interface';
import type { MethodConfig, MethodName, SamplingConfig } from '../../share/experiment';
import type { ComponentInput, DistortionRecord, TokenRecord } from '../../share/trace';
import type { Gpu } from '../../gpu/runtime';
import type { TextTokenizer } from '../../model/tokenizer';

export type ModelSlotName = 'main' | 'amateur';

/** One input a method reads at every step. */
export interface ComponentSpec {
  /** Shown in the inspector: "original image", "noised image (t = 500)", "amateur". */
  label: string;
  model: ModelSlotName;
  /** The prompt text of this component (the experiment's, or a disturbed one). */
  prompt: string;
  /**
   * HWC pixels in [0, 1] (any distortion applied), or null for a text-only prompt (no image
   * placeholders). Components with equal (model, prompt, image) share one prefilled prompt.
   */
  image: Float32Array | null;
  /** How the input was distorted (null for the undistorted base). */
  distortion: DistortionRecord | null;
  /** Extra outputs this component's forward must return (logit lens, hidden states). */
  capture?: ForwardCapture;
}

/** A component with its prompt ids, in the format of its model (the runner resolves them). */
export interface ResolvedComponent extends ComponentSpec {
  ids: number[];
}

/** The weighted log-probability combination of the components (base = component 0). */
export interface Combination {
  weights: number[];
  /** Adaptive plausibility threshold in [0, 1]; 0 = no mask. */
  beta: number;
}

/**
 * The main model's tokenizer as a method sees it (the amateur shares its vocabulary): enough to
 * turn words into token ids, e.g. the closed-form answers of Debias's calibration (./answers.ts).
 */
export type MethodTokenizer = Pick<TextTokenizer, 'encode' | 'isSpecial' | 'unkTokenId' | 'idToToken'>;

/** What `components` may read: the experiment's inputs and what the models can take. */
export interface MethodContext {
  prompt: string;
  /** The experiment's image (HWC in [0, 1]), or null. */
  image: Float32Array | null;
  /** Side of the (square) image the main model reads, or null for a text model. */
  imageSize: number | null;
  /** Experiment seed: every distortion (noise, transform) derives from it, never from the lane. */
  seed: number;
  /** Whether the amateur slot reads images (a VLM), so a contrast keeps the image there. */
  amateurReadsImages: boolean;
  /** Layers of the main model and of the amateur (null without one), for lens-based captures. */
  numLayers: number;
  amateurNumLayers: number | null;
  /** Resolving words here (at planning) reports a bad word as a setup problem of the lane. */
  tokenizer: MethodTokenizer;
}

export type ConfigOf<M extends MethodName> = Extract<MethodConfig, { method: M }>;

/** One component's rows of this step's shared forward (valid until the next forward of its model). */
export interface ComponentOutput {
  model: ModelSlotName;
  /** [rows, vocab] f32 logits of the forward this component's row is in. */
  logits: GPUBuffer;
  row: number;
  /** Logit rows in that forward (for kernels that validate their buffers). */
  rows: number;
  /** The component's sequence: read-only here (the runner appends the chosen token). */
  sequence: SequenceId;
  /** [layers.length, rows, vocab] logit-lens logits, when some component of the forward asked. */
  logitLens?: { buffer: GPUBuffer; layers: number[] };
  /** [numLayers + 1, rows, hidden] residual stream, when some component of the forward asked. */
  hiddenStates?: GPUBuffer;
}

/** What one lane's step decided: the token and the inspector's record of it. */
export interface StepDecision {
  token: number;
  record: Omit<TokenRecord, 'step' | 'id' | 'piece'>;
}

/** Phase 1 of a step: the shared forwards' outputs are valid; steppers must not call forward. */
export interface ObservedStep {
  /** 0-based step of the lane (the Philox counter of its draw). */
  step: number;
  components: ComponentOutput[];
  /** Every byte the stepper maps back must be counted here (LaneStatistics.readbackBytes). */
  countReadback(bytes: number): void;
}

/** A model as a custom step sees it in phase 2: forwards are counted against the lane. */
export type StepModel = Pick<
  LanguageModel,
  'info' | 'capabilities' | 'fork' | 'truncate' | 'releaseSequence' | 'sequenceLength' | 'forward'
>;

/** Phase 2: the shared outputs are gone; the stepper may fork, forward and truncate. */
export interface DecideContext {
  models: { main: StepModel; amateur?: StepModel };
  /**
   * The lane's sequences, one per component (shared with other lanes at step 0). They must end as
   * they started (the runner appends the chosen token with the next shared forward); work on forks
   * and release them. Empty after step 0 for a stepper that owns its sequences.
   */
  sequences: readonly SequenceId[];
  countReadback(bytes: number): void;
}

/** A step that needs its own forwards after reading the shared ones (contrastive search). */
export interface PendingDecision {
  decide(context: DecideContext): Promise<StepDecision>;
}

/**
 * One lane's per-token decision, built once per lane (its GPU objects live as long as the lane)
 * and called once per step. `observe` returns the decision, or a PendingDecision when it must run
 * forwards of its own: the runner first lets every lane observe, then runs the pending decisions
 * one lane after another, so no forward ever invalidates rows another lane still has to read.
 */
export interface LaneStepper {
  observe(step: ObservedStep): Promise<StepDecision | PendingDecision>;
  /**
   * True for a stepper that keeps sequences of its own after the prompt (contrastive search: the
   * winner's candidate sequence already holds the chosen token and the next step's logits). The
   * runner then gives it the shared prompt prefill at step 0 (fork it in phase 2), releases the
   * lane's runner-side sequences after step 0 and leaves the lane out of later shared forwards:
   * from step 1 `observe` gets no component rows and the work happens in phase 2. The stepper
   * releases its own sequences in dispose().
   */
  readonly ownsSequences?: boolean;
  /**
   * What the distributions of its records stand for, one to one (LaneTrace.inputs), when they are
   * not the lane's components one to one: DoLa records the final layer and the premature layer's
   * lens from one component, LOL four distributions from two. Read when the trace is built.
   */
  readonly inputs?: readonly ComponentInput[];
  dispose(): void;
}

/** What a stepper is built from. */
export interface StepperSetup {
  gpu: Gpu;
  /** The lane's id (labels of its GPU objects). */
  laneId: string;
  vocab: number;
  components: readonly ResolvedComponent[];
  combination: Combination;
  sampling: SamplingConfig;
  seed: Seed;
  /** Philox stream of this lane's draws. */
  stream: number;
  /** Layers of the main model (for lens-based methods) and of the amateur (null without one). */
  numLayers: number;
  amateurNumLayers: number | null;
  /** Width of the main model's residual stream (contrastive search's hidden states). */
  hiddenSize: number;
  /** The main model's tokenizer (the same one `components` saw in MethodContext). */
  tokenizer: MethodTokenizer;
}

export interface DecodingMethod<M extends MethodName = MethodName> {
  readonly name: M;
  /** The inputs of every step; component 0 is the base (main model, undistorted). */
  components(config: ConfigOf<M>, context: MethodContext): ComponentSpec[];
  combination(config: ConfigOf<M>): Combination;
  /** A custom step; without it the lane uses the fused combination step (lanes/combine-step.ts). */
  createStepper?(config: ConfigOf<M>, setup: StepperSetup): Promise<LaneStepper>;
}
