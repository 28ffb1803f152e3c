// A Decode experiment: everything needed to reproduce the tokens of every lane (issue 6). This is
// the shape a share link carries (schema.ts validates it, codec.ts compresses it into the URL hash)
// and the input of the lane runner (src/decoding/lanes/). Pure types: no imports.
//
// Reproducibility contract: the same Experiment, on the same browser and GPU, gives identical token
// ids in every lane. So everything random is derived from `seed` (sampling: Philox streams per
// lane; image noise and random transforms: their own seeds below), and models are pinned by the
// SHA-256 of every file they were loaded from.

/** Where a model comes from; `sha256` pins every file by name (config.json, model.safetensors, ...). */
export interface ModelRef {
  /**
   * 'default': one of the committed Shapes models, `id` = its folder (shapes-vlm, shapes-expert, ...);
   * 'hub': a Hugging Face repo id (`id` = "owner/name", `revision` optional);
   * 'url': a folder URL (`id` = the URL).
   */
  source: 'default' | 'hub' | 'url';
  id: string;
  revision?: string;
  sha256: Record<string, string>;
}

/** The image the prompt is about (vision-language models only). */
export type ExperimentImage =
  { kind: 'scene'; seed: number; index: number } | { kind: 'upload'; sha256: string; name: string };

/** How each lane picks a token from its (combined) distribution. */
export interface SamplingConfig {
  greedy: boolean;
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
  /** 0 = off. */
  minP: number;
}

/**
 * The content-free input of Debias's post-hoc calibration: the prompt without image placeholders,
 * or a meaningless image (CLIP's mean colour, or seeded noise) in place of the image.
 */
export type CalibrationReference = 'no-image' | 'mean-colour' | 'noise';

/**
 * The speculative family's algorithms (src/speculative/types.ts, SpeculativeMethodName): what a
 * Decode lane of method 'speculative' runs between its draft and the target.
 */
export type SpeculativeVariant =
  'speculative' | 'spectr' | 'specdecpp' | 'prompt-lookup' | 'aded' | 'entropy-switch' | 'foreal' | 'judge';

/**
 * A speculative Decode lane: the main model is the target, the amateur slot the draft (none for
 * prompt lookup and ADED). Every variant's parameters are carried (flat, so the lane editor and the
 * link validator read them like any method's); only the chosen variant's are used.
 */
export interface SpeculativeLaneMethod {
  method: 'speculative';
  variant: SpeculativeVariant;
  /** K: drafts per round (SpecDec++: the most it drafts). */
  draftLength: number;
  /** SpecTr: draft sequences per round. */
  candidates: number;
  /** SpecTr: a floor on K-SEQ's rho; 1 = the paper's rho* (every rho* is at least 1). */
  rho: number;
  /** SpecDec++: stop drafting by the trained acceptance head or by the draft's own q(x). */
  stopRule: 'predictor' | 'confidence';
  /** SpecDec++: h, the stop threshold in [0, 1]. */
  stopThreshold: number;
  /** SpecDec++ and judge: the learning rate of the head trained while decoding. */
  learningRate: number;
  /** Judge decoding: the score in [0, 1] above which a refused draft is kept anyway. */
  judgeThreshold: number;
  /** Prompt lookup: the longest and shortest trailing n-gram looked up. */
  maxNgram: number;
  minNgram: number;
  /** Entropy Adaptive Decoding: the rolling window and the entropy threshold (nats). */
  window: number;
  entropyThreshold: number;
  /** FoReaL: tokens the target leads each sentence with, and the probability a sentence is led. */
  leaderTokens: number;
  gate: number;
}

/**
 * One lane's method and parameters. Formulas: shared/METHODS.md and each method's module header.
 * `beta` is the adaptive plausibility threshold of the contrastive family (0 = no mask).
 */
export type MethodConfig =
  | { method: 'plain' }
  | { method: 'cd'; alpha: number; beta: number }
  | { method: 'vcd'; alpha: number; beta: number; noiseStep: number }
  | { method: 'icd'; alpha: number; beta: number; disturbance: string }
  | { method: 'ritual'; alphaPos: number; alphaNeg: number; beta: number; noiseStep: number }
  | { method: 'debias'; alpha: number; beta: number }
  | { method: 'debias-calibrate'; answers: string; reference: CalibrationReference }
  | { method: 'dola'; alpha: number; beta: number; layers: 'low' | 'high' | 'all' }
  | { method: 'lol'; alpha: number; beta: number; lowerLayer: number; lowerWeight: number }
  | { method: 'contrastive-search'; k: number; alpha: number }
  | SpeculativeLaneMethod;

export type MethodName = MethodConfig['method'];

export interface LaneConfig {
  /** Stable within the experiment ("lane-1"); names the lane's sampling stream. */
  id: string;
  method: MethodConfig;
  sampling: SamplingConfig;
}

export interface Experiment {
  version: 1;
  models: { main: ModelRef; amateur?: ModelRef };
  prompt: string;
  image: ExperimentImage | null;
  /** Seeds sampling, image noise and random transforms. */
  seed: number;
  /** Tokens per lane at most. */
  maxTokens: number;
  /** 1..6 lanes. */
  lanes: LaneConfig[];
}

export const MAX_LANES = 6;
export const MAX_TOKENS_LIMIT = 512;
