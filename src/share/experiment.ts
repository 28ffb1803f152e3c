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
  | { method: 'contrastive-search'; k: number; alpha: number };

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
