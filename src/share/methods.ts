// The catalog of Decode methods, their parameters and the sampling settings, as data. The UI builds
// its controls from it and schema.ts builds the link validator from it, so every default and range
// lives here and nowhere else. Formulas follow /work/shared/METHODS.md and the papers cited; the
// decoding modules (src/decoding/) carry the full derivation in their header comments.
//
// Notation: l = logits, p = softmax(l), V_head(β) = { y : p(y) >= β · max_w p(w) } (the adaptive
// plausibility mask of the contrastive family; tokens outside it get -inf; β = 0 disables it).
//
// Interpretations (where the papers leave a choice to us):
// - CD uses the (1+α)·l_E − α·l_A form; α = 1 gives 2·l_E − l_A, which ranks tokens in V_head like
//   the paper's log p_E − log p_A up to the expert's own log-probability.
// - DoLa's α is our contrast weight: (1+α)·log q_N − α·log q_M; α = 1 ranks like the paper's
//   log q_N − log q_M on V_head.
// - LOL: the paper publishes no reference values for the lower layer or its fusion weight; lowerLayer 1
//   and lowerWeight 0.5 are LogitLab's choice for the small default models.
// - ICD/LQCD: `disturbance` is the leading or disturbing text added to the prompt of the contrast input.
// - Debias (calibrated): `answers` are words separated by whitespace; each answer also reads its
//   capitalised and lower-case forms (src/decoding/methods/answers.ts), so answers that differ
//   only in case are one answer written twice and are refused.
// - Speculative: one Decode method for the whole speculative family (src/speculative/); `variant`
//   picks the algorithm, every variant's parameters are carried and only the chosen one's are used
//   (MethodSpec.activeParameters). Ranges are the engine's (src/speculative/validate.ts, whose
//   messages refuse a run); SpecTr's rho is a floor on the paper's rho* >= 1, so 1 means rho*.
import type { Experiment, LaneConfig, MethodConfig, MethodName, SpeculativeVariant } from './experiment';
import type { ChoiceParameter, NumberParameter, ParameterSpec, TextParameter } from './parameters';
import { number } from './parameters';
import { EXPERIMENT_PARAMETERS, defaultSampling } from './settings';

export * from './settings';

/** The parameters of one method, without the `method` tag. */
export type MethodParametersOf<M extends MethodName> = Omit<Extract<MethodConfig, { method: M }>, 'method'>;

// Tuples stop the conditional from distributing over 'low' | 'high' | 'all'.
type SpecFor<T> = [T] extends [number]
  ? NumberParameter
  : string extends T
    ? TextParameter
    : [T] extends [string]
      ? ChoiceParameter<T>
      : never;

/** One spec per config field: the compiler refuses a catalog that forgets or invents a parameter. */
export type MethodParameterSpecs<M extends MethodName> = {
  [K in keyof MethodParametersOf<M>]-?: SpecFor<MethodParametersOf<M>[K]>;
};

/** What a method needs from the loaded models and the experiment. */
export interface MethodNeeds {
  /** A second (amateur) model in `models.amateur`. */
  amateur: boolean;
  /** An image (`experiment.image` not null) and a vision-language main model. */
  image: boolean;
  /** Hidden states per layer (logit lens / candidate states) from the backend. */
  hiddenStates: boolean;
}

/** A problem a parameter's own range cannot express (e.g. the answers of a calibration). */
export interface ParameterProblem {
  /** The parameter's field name. */
  parameter: string;
  message: string;
}

export interface MethodSpec<M extends MethodName = MethodName> {
  name: M;
  /** Short name for lane headers ("VCD"). */
  label: string;
  /** One line with the paper, for the method picker. */
  description: string;
  /** Authors, title, venue and year. */
  paper: string;
  /** The combination in plain notation. */
  formula: string;
  needs: MethodNeeds;
  parameters: MethodParameterSpecs<M>;
  /**
   * Checks across or inside parameters beyond their specs (empty when the values are fine). Must
   * accept any values: the link validator calls it on whatever it was given.
   */
  check?: (parameters: MethodParametersOf<M>) => ParameterProblem[];
  /**
   * The parameters these values use, for methods whose parameters depend on a choice (Speculative's
   * variant); the lane editor shows only these. Every parameter is still carried and validated.
   */
  activeParameters?: (parameters: MethodParametersOf<M>) => readonly (keyof MethodParametersOf<M>)[];
  /** How the lane editor names a choice parameter's values, by parameter (default: the value). */
  choiceLabels?: Record<string, Record<string, string>>;
}

export type MethodCatalog = { [M in MethodName]: MethodSpec<M> };

const alpha = (help = 'Contrast weight: how strongly the contrast distribution is subtracted.') =>
  number('alpha', 'contrast weight α', help, { default: 1, min: 0, max: 5, step: 0.1 });
const beta = () =>
  number(
    'beta',
    'plausibility β',
    'Keep only tokens with p >= β · max p under the main distribution (0 = no mask).',
    { default: 0.1, min: 0, max: 1, step: 0.01 },
  );
const noiseStep = () =>
  number(
    'noiseStep',
    'noise step t',
    'Forward-diffusion step of the noised image (0 = clean, 999 = pure noise).',
    { default: 500, min: 0, max: 999, step: 1, integer: true },
  );

/** Limits of Debias (calibrated)'s `answers`: 2 to 8 words of at most 32 characters. */
export const ANSWER_LIMITS = { minAnswers: 2, maxAnswers: 8, wordChars: 32, textChars: 100 } as const;

/** The answer words of a calibration's `answers` text (whitespace-separated, in order). */
export function answerWords(text: string): string[] {
  return text.split(/\s+/).filter((word) => word.length > 0);
}

/** What is wrong with a calibration's `answers` text, or null (the words, not their token ids). */
export function answersProblem(text: unknown): string | null {
  const { minAnswers, maxAnswers, wordChars, textChars } = ANSWER_LIMITS;
  // The parameter's own schema reports a wrong type or a too long text.
  if (typeof text !== 'string' || text.length > textChars) return null;
  const words = answerWords(text);
  const allowed = `(Debias (calibrated) answers allows ${minAnswers} to ${maxAnswers} words separated by spaces, e.g. "yes no")`;
  if (words.length < minAnswers || words.length > maxAnswers) {
    return `${JSON.stringify(text)} names ${words.length} answer${words.length === 1 ? '' : 's'} ${allowed}`;
  }
  const long = words.find((word) => word.length > wordChars);
  if (long)
    return `${JSON.stringify(long)} is ${long.length} characters long; an answer allows at most ${wordChars}`;
  const seen = new Map<string, string>();
  for (const word of words) {
    const earlier = seen.get(word.toLowerCase());
    if (earlier !== undefined) {
      return `${JSON.stringify(word)} repeats the answer ${JSON.stringify(earlier)} (an answer reads every capitalisation of its word): name each answer once`;
    }
    seen.set(word.toLowerCase(), word);
  }
  return null;
}

const NO_NEEDS: MethodNeeds = { amateur: false, image: false, hiddenStates: false };

/** Speculative's variants, in the picker's order (the engine's METHOD_DEFAULTS order). */
export const SPECULATIVE_VARIANTS: readonly SpeculativeVariant[] = [
  'speculative',
  'spectr',
  'specdecpp',
  'prompt-lookup',
  'aded',
  'entropy-switch',
  'foreal',
  'judge',
];

/** The variants that draft without a second model (they leave the amateur slot unused). */
export const MODEL_FREE_VARIANTS: readonly SpeculativeVariant[] = ['prompt-lookup', 'aded'];

/** The variants whose output is not the target's distribution (labelled "not exact"). */
export const INEXACT_VARIANTS: readonly SpeculativeVariant[] = ['entropy-switch', 'foreal', 'judge'];

type SpeculativeParameter = keyof MethodParametersOf<'speculative'>;

/** The parameters each variant reads (the lane editor shows these). */
export const SPECULATIVE_VARIANT_PARAMETERS: Record<SpeculativeVariant, readonly SpeculativeParameter[]> = {
  speculative: ['variant', 'draftLength'],
  spectr: ['variant', 'draftLength', 'candidates', 'rho'],
  specdecpp: ['variant', 'draftLength', 'stopRule', 'stopThreshold', 'learningRate'],
  'prompt-lookup': ['variant', 'draftLength', 'maxNgram', 'minNgram'],
  aded: ['variant', 'draftLength'],
  'entropy-switch': ['variant', 'window', 'entropyThreshold'],
  foreal: ['variant', 'leaderTokens', 'gate'],
  judge: ['variant', 'draftLength', 'judgeThreshold', 'learningRate'],
};

const SPECULATIVE_VARIANT_LABELS: Record<SpeculativeVariant, string> = {
  speculative: 'speculative sampling (exact)',
  spectr: 'SpecTr, k candidates (exact)',
  specdecpp: 'SpecDec++, adaptive K (exact)',
  'prompt-lookup': 'prompt lookup, no draft model (exact)',
  aded: 'ADED trigram, no draft model (exact)',
  'entropy-switch': 'Entropy Adaptive Decoding (not exact)',
  foreal: 'FoReaL (not exact)',
  judge: 'Judge decoding (not exact)',
};

/** Whether a speculative lane with `variant` drafts with the amateur slot's model. */
export function variantNeedsDraftModel(variant: SpeculativeVariant): boolean {
  return !MODEL_FREE_VARIANTS.includes(variant);
}

const unitInterval = (name: string, label: string, help: string, fallback: number) =>
  number(name, label, help, { default: fallback, min: 0, max: 1, step: 0.05 });

export const METHODS: MethodCatalog = {
  plain: {
    name: 'plain',
    label: 'Plain',
    description:
      "The model's own distribution, then the lane's sampling settings (greedy, temperature, top-k/p, min-p).",
    paper: '',
    formula: 'p(y | v, x)',
    needs: NO_NEEDS,
    parameters: {},
  },
  cd: {
    name: 'cd',
    label: 'CD',
    description:
      'Contrastive Decoding: expert minus amateur model on the plausible set (Li et al., ACL 2023).',
    paper: 'Li et al., "Contrastive Decoding: Open-ended Text Generation as Optimization", ACL 2023',
    formula: '(1+α)·l_E(y) − α·l_A(y) on V_head(β)',
    needs: { amateur: true, image: false, hiddenStates: false },
    parameters: { alpha: alpha('Weight of the amateur contrast.'), beta: beta() },
  },
  vcd: {
    name: 'vcd',
    label: 'VCD',
    description:
      'Visual Contrastive Decoding: contrast against the same image after diffusion noise (Leng et al., CVPR 2024).',
    paper:
      'Leng et al., "Mitigating Object Hallucinations in Large Vision-Language Models through Visual Contrastive Decoding", CVPR 2024',
    formula: "(1+α)·l(y|v,x) − α·l(y|v',x), v' = v noised to step t, on V_head(β)",
    needs: { amateur: false, image: true, hiddenStates: false },
    parameters: { alpha: alpha(), beta: beta(), noiseStep: noiseStep() },
  },
  icd: {
    name: 'icd',
    label: 'ICD / LQCD',
    description:
      'Leading Query Contrastive Decoding: contrast against a leading or disturbed prompt (Zhao et al., 2024).',
    paper: 'Zhao et al., "Towards Analyzing and Mitigating Sycophancy in Large Vision-Language Models", 2024',
    formula: "(1+α)·l(y|v,x) − α·l(y|v,x'), x' = x with the disturbance, on V_head(β)",
    needs: NO_NEEDS,
    parameters: {
      alpha: alpha(),
      beta: beta(),
      disturbance: {
        kind: 'text',
        name: 'disturbance',
        label: 'disturbance',
        help: 'Leading or disturbing text added to the prompt of the contrast input.',
        default: 'You are a confused object detector.',
        maxLength: 500,
      },
    },
  },
  ritual: {
    name: 'ritual',
    label: 'RITUAL',
    description:
      'RITUAL: add a randomly transformed view of the image, optionally minus a noised one (Woo et al., 2024).',
    paper:
      'Woo et al., "RITUAL: Random Image Transformations as a Universal Anti-hallucination Lever in Large Vision Language Models", 2024',
    formula: 'l(y|v,x) + α_pos·l(y|T(v),x) − α_neg·l(y|v_noise,x) on V_head(β)',
    needs: { amateur: false, image: true, hiddenStates: false },
    parameters: {
      alphaPos: number(
        'alphaPos',
        'transformed view α_pos',
        'Weight of the randomly transformed view T(v).',
        { default: 3, min: 0, max: 10, step: 0.1 },
      ),
      alphaNeg: number(
        'alphaNeg',
        'noised view α_neg',
        'Weight of the VCD-style noised view (0 = RITUAL alone).',
        { default: 1, min: 0, max: 5, step: 0.1 },
      ),
      beta: beta(),
      noiseStep: noiseStep(),
    },
  },
  debias: {
    name: 'debias',
    label: 'Debias',
    description: 'Debias sampling: contrast against the distribution given no image (Zhang et al., 2024).',
    paper: 'Zhang et al., "Debiasing Large Visual Language Models", 2024',
    formula: '(1+α)·l(y|v,x) − α·l(y|x) on V_head(β)',
    needs: { amateur: false, image: true, hiddenStates: false },
    parameters: { alpha: alpha('Weight of the no-image contrast.'), beta: beta() },
  },
  'debias-calibrate': {
    name: 'debias-calibrate',
    label: 'Debias (calibrated)',
    description:
      'Post-hoc calibration of yes/no answers: divide out the answer bias seen without the image (Zhang et al., 2024).',
    paper: 'Zhang et al., "Debiasing Large Visual Language Models", 2024',
    formula: 'q_k ∝ p(k|v,x) / p(k|∅,x) over the answers k at the answer step (∅: no or a meaningless image)',
    needs: { amateur: false, image: true, hiddenStates: false },
    parameters: {
      answers: {
        kind: 'text',
        name: 'answers',
        label: 'answers',
        help: 'The closed-form answers, separated by spaces. Each sums the single-token forms of its word, lower and capitalised, with and without a leading space ("yes", " yes", "Yes", " Yes").',
        default: 'yes no',
        maxLength: ANSWER_LIMITS.textChars,
      },
      reference: {
        kind: 'choice',
        name: 'reference',
        label: 'content-free input',
        help: 'What p_cf is computed from: the prompt without the image, or a meaningless image (CLIP mean colour, or noise seeded by the experiment).',
        default: 'no-image',
        choices: ['no-image', 'mean-colour', 'noise'],
      },
    },
    check: ({ answers }) => {
      const message = answersProblem(answers);
      return message ? [{ parameter: 'answers', message }] : [];
    },
  },
  dola: {
    name: 'dola',
    label: 'DoLa',
    description:
      'DoLa: contrast the final layer with the most divergent premature layer (Chuang et al., ICLR 2024).',
    paper:
      'Chuang et al., "DoLa: Decoding by Contrasting Layers Improves Factuality in Large Language Models", ICLR 2024',
    formula: 'log q_N(y) − α·log q_M(y), M = argmax_j JS(q_N, q_j) over the bucket, on V_head(β)',
    needs: { amateur: false, image: false, hiddenStates: true },
    parameters: {
      alpha: alpha('Weight of the premature layer (1 is the paper’s F = log q_N − log q_M).'),
      beta: beta(),
      layers: {
        kind: 'choice',
        name: 'layers',
        label: 'premature layers',
        help: 'Bucket the premature layer is chosen from: the lower or upper half of the layers, or all.',
        default: 'high',
        choices: ['high', 'low', 'all'],
      },
    },
  },
  lol: {
    name: 'lol',
    label: 'LOL',
    description:
      'Lower Layer Matters: fuse final-layer and lower-layer contrasts against an amateur (Chen et al., 2024).',
    paper:
      'Chen et al., "Lower Layer Matters: Alleviating Hallucination via Multi-Layer Fusion Contrastive Decoding with Truthfulness Refocused", 2024',
    formula: 'CD_final(y) + w·CD_lower(y), CD_j = (1+α)·log q_j^E − α·log q_j^A, on V_head(β)',
    needs: { amateur: true, image: false, hiddenStates: true },
    parameters: {
      alpha: alpha(),
      beta: beta(),
      lowerLayer: number(
        'lowerLayer',
        'lower layer',
        'Layer (1 .. L−1) whose logit lens gives the lower contrast.',
        {
          default: 1,
          min: 1,
          max: 255,
          step: 1,
          integer: true,
        },
      ),
      lowerWeight: number(
        'lowerWeight',
        'lower-layer weight w',
        'Weight of the lower-layer contrast in the fusion.',
        { default: 0.5, min: 0, max: 2, step: 0.05 },
      ),
    },
  },
  'contrastive-search': {
    name: 'contrastive-search',
    label: 'Contrastive search',
    description:
      'Contrastive search: top-k candidates scored by confidence minus similarity to the past (Su & Collier, 2023).',
    paper: 'Su and Collier, "Contrastive Search Is What You Need For Neural Text Generation", TMLR 2023',
    formula: 'argmax over top-k v of (1−α)·p(v) − α·max_j cos(h_v, h_j)',
    needs: { amateur: false, image: false, hiddenStates: true },
    parameters: {
      k: number('k', 'candidates k', 'How many top tokens are scored at each step.', {
        default: 5,
        min: 4,
        max: 10,
        step: 1,
        integer: true,
      }),
      alpha: number('alpha', 'degeneration penalty α', 'Weight of the similarity penalty (0 = greedy).', {
        default: 0.6,
        min: 0,
        max: 1,
        step: 0.05,
      }),
    },
  },
  speculative: {
    name: 'speculative',
    label: 'Speculative (draft → verify)',
    description:
      'Speculative decoding: the amateur slot drafts K tokens, the main model verifies them in one forward and keeps the target’s distribution (Leviathan et al., ICML 2023).',
    paper:
      'Leviathan, Kalman, Matias, "Fast Inference from Transformers via Speculative Decoding", ICML 2023; Chen et al., "Accelerating Large Language Model Decoding with Speculative Sampling", 2023',
    formula:
      'accept x ~ q with prob. min(1, p(x)/q(x)); first rejection: y ~ norm(max(0, p − q)); all kept: bonus y ~ p',
    // The draft is the amateur slot for every variant but prompt lookup and ADED (checked when the
    // lane is planned), so the static need stays false.
    needs: NO_NEEDS,
    parameters: {
      variant: {
        kind: 'choice',
        name: 'variant',
        label: 'variant',
        help: 'The speculative algorithm: speculative sampling, SpecTr, SpecDec++, prompt lookup and ADED keep the target’s distribution; EAD, FoReaL and judge decoding do not.',
        default: 'speculative',
        choices: SPECULATIVE_VARIANTS,
      },
      draftLength: number('draftLength', 'draft length K', 'Tokens drafted per round (SpecDec++: at most); the target scores all K + 1 positions in one forward.', { default: 4, min: 1, max: 16, step: 1, integer: true }), // prettier-ignore
      candidates: number('candidates', 'candidates k', 'SpecTr: i.i.d. draft sequences per round, scored in one batched forward.', { default: 2, min: 1, max: 8, step: 1, integer: true }), // prettier-ignore
      rho: number('rho', 'ρ floor', 'SpecTr: a floor on K-SEQ’s ρ, at most k; 1 = the paper’s ρ* (the smallest ρ that keeps the output exact).', { default: 1, min: 1, max: 8, step: 0.1 }), // prettier-ignore
      stopRule: {
        kind: 'choice',
        name: 'stopRule',
        label: 'stop rule',
        help: 'SpecDec++: stop drafting by the acceptance head trained while decoding (predictor) or by the draft’s own q(x) (confidence).',
        default: 'predictor',
        choices: ['predictor', 'confidence'],
      },
      stopThreshold: unitInterval('stopThreshold', 'threshold h', 'SpecDec++: stop when P(some draft is rejected) exceeds h (predictor), or when q(x) falls below it (confidence).', 0.3), // prettier-ignore
      learningRate: number('learningRate', 'head learning rate', 'SpecDec++ and judge: step size of the head trained on what the verifier decides.', { default: 0.1, min: 0, minExclusive: true, max: 10, step: 0.05 }), // prettier-ignore
      judgeThreshold: unitInterval('judgeThreshold', 'judge threshold δ', 'Judge decoding: a refused draft is kept when the judge head scores it above δ (not exact).', 0.5), // prettier-ignore
      maxNgram: number('maxNgram', 'max n-gram', 'Prompt lookup: longest trailing n-gram looked up.', { default: 3, min: 1, max: 8, step: 1, integer: true }), // prettier-ignore
      minNgram: number('minNgram', 'min n-gram', 'Prompt lookup: shortest trailing n-gram looked up (at most max n-gram).', { default: 1, min: 1, max: 8, step: 1, integer: true }), // prettier-ignore
      window: number('window', 'window w', 'Entropy Adaptive Decoding: tokens in the rolling mean of the draft’s entropy.', { default: 5, min: 1, max: 1024, step: 1, integer: true }), // prettier-ignore
      entropyThreshold: number('entropyThreshold', 'threshold τ (nats)', 'Entropy Adaptive Decoding: the target writes while the rolling entropy exceeds τ.', { default: 1, min: 0, max: 100, step: 0.1 }), // prettier-ignore
      leaderTokens: number('leaderTokens', 'leader tokens n', 'FoReaL: tokens the target writes at the start of a led sentence.', { default: 2, min: 1, max: 1024, step: 1, integer: true }), // prettier-ignore
      gate: unitInterval(
        'gate',
        'gate g',
        'FoReaL: probability that a sentence is led by the target at all.',
        1,
      ),
    },
    activeParameters: ({ variant }) => SPECULATIVE_VARIANT_PARAMETERS[variant] ?? ['variant'],
    choiceLabels: { variant: SPECULATIVE_VARIANT_LABELS },
  },
};

/** Every method, in the order the picker lists them. */
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

/** A method's parameter specs as a list, in catalog order. */
export function methodParameterList(method: MethodName): ParameterSpec[] {
  return Object.values(METHODS[method].parameters) as ParameterSpec[];
}

/** The method with every parameter at its default. */
export function defaultMethodConfig<M extends MethodName>(method: M): Extract<MethodConfig, { method: M }> {
  const config: Record<string, unknown> = { method };
  for (const spec of methodParameterList(method)) config[spec.name] = spec.default;
  return config as Extract<MethodConfig, { method: M }>;
}

/** A new lane with the method's defaults and greedy sampling (so a fresh lane is reproducible anywhere). */
export function defaultLane(method: MethodName, id = 'lane-1'): LaneConfig {
  return { id, method: defaultMethodConfig(method), sampling: defaultSampling() };
}

/** The first lane id "lane-N" not used yet. */
export function nextLaneId(lanes: readonly Pick<LaneConfig, 'id'>[]): string {
  const used = new Set(lanes.map((lane) => lane.id));
  let n = 1;
  while (used.has(`lane-${n}`)) n++;
  return `lane-${n}`;
}

/**
 * The embedded default experiment: the Shapes VLM on scene 1, greedy plain vs VCD vs contrastive
 * search. `sha256` is empty: the app fills in the hashes of the files it loaded before sharing.
 */
export function defaultExperiment(): Experiment {
  return {
    version: 1,
    models: { main: { source: 'default', id: 'shapes-vlm', sha256: {} } },
    prompt: 'the picture shows',
    image: { kind: 'scene', seed: 1, index: 0 },
    seed: 0,
    maxTokens: EXPERIMENT_PARAMETERS.maxTokens.default,
    lanes: [
      defaultLane('plain', 'lane-1'),
      defaultLane('vcd', 'lane-2'),
      defaultLane('contrastive-search', 'lane-3'),
    ],
  };
}
