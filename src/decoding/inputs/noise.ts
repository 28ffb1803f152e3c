// VCD's distorted image: the forward diffusion process applied to the input image.
//
// Paper: "Mitigating Object Hallucinations in Large Vision-Language Models through Visual Contrastive
// Decoding" (Leng et al., CVPR 2024); reference code DAMO-NLP-SG/VCD, vcd_utils/vcd_add_noise.py.
//
// Formula (DDPM's closed-form forward process, Ho et al. 2020):
//   q(x_t | x_0) = N( sqrt(abar_t) x_0, (1 - abar_t) I ),  so  x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps
//   with eps ~ N(0, I) and abar_t = prod_{s=0..t} (1 - beta_s), t in 0..999.
// Schedule, exactly as add_diffusion_noise builds it (1000 steps, a sigmoid ramp):
//   beta_s = sigmoid(-6 + 12 s / 999) * (0.5e-2 - 1e-5) + 1e-5      (torch.linspace(-6, 6, 1000))
//   so beta rises from 2.23e-5 to 4.99e-3, and abar_500 = 0.7448, abar_999 = 0.0812.
// Note that even t = 999 keeps sqrt(abar) = 0.285 of the image: this schedule never reaches pure
// noise (a linear DDPM schedule reaches abar_999 = 4e-5).
// Defaults of the reference scripts: t = 500, alpha = 1, beta (plausibility) = 0.1 (0.2 in
// cd_scripts/llava1.5_pope.bash); eps is drawn once per image, before generation, so every
// decoding step sees the same noised image.
//
// Interpretations:
//  - Pixel space. The reference noises the image processor's output, i.e. CLIP-normalised pixels
//    z = (x - mean_c) / std_c, and feeds the result to the vision tower unclamped. Our models take
//    HWC pixels in [0, 1] (ForwardSequence.image), so we normalise, noise, and map back:
//      x_t = mean_c + std_c (sqrt(abar_t) (x_0 - mean_c) / std_c + sqrt(1 - abar_t) eps).
//    With CLIP's mean/std (the default) a CLIP-based model that normalises internally sees exactly
//    the reference's tensor; for the Shapes VLM (which reads raw pixels) it is the same perturbation
//    in pixel units. SYMMETRIC_NORMALIZATION gives DDPM's usual [-1, 1] convention instead (twice
//    the pixel noise of CLIP's std 0.26-0.28).
//  - Output range: not clamped, because the reference does not clamp and clamping would no longer
//    be the forward process (it shrinks the noise and biases bright and dark pixels). The models
//    only require finite values. With CLIP statistics, pixel std of the noise is about
//    0.27 sqrt(1 - abar_t): 0.13 at t = 500, 0.26 at t = 999, so values fall outside [0, 1] by up
//    to ~1 (about 4 standard deviations); clamp only for display.
//  - Precision: the schedule is computed in double precision (torch uses float32; abar differs by
//    at most 7e-7 relative), x_t in double and rounded once to f32.
//  - Randomness: eps_i = fillStandardNormal(seed, DIFFUSION_NOISE_STREAM)[i] (see ./random.ts), i the
//    HWC index. eps does not depend on t, so one seed gives one noise path: moving t only fades the
//    same noise in or out (a UI slider does not flicker).
import { DIFFUSION_NOISE_STREAM, fillStandardNormal, inputSeed, portableExp } from './random';

export const NOISE_STEPS = 1000;
/** The reference scripts' noise step. */
export const DEFAULT_NOISE_STEP = 500;

/** Per-channel (R, G, B) statistics of the space the noise is added in: z = (x - mean) / std. */
export interface PixelNormalization {
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** OpenAI CLIP's image processor statistics (LLaVA-1.5, InstructBLIP and Qwen-VL use them). */
export const CLIP_NORMALIZATION: PixelNormalization = {
  mean: [0.48145466, 0.4578275, 0.40821073],
  std: [0.26862954, 0.26130258, 0.27577711],
};

/** [0, 1] pixels to [-1, 1], DDPM's convention: z = 2x - 1. */
export const SYMMETRIC_NORMALIZATION: PixelNormalization = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

export interface NoiseSchedule {
  steps: number;
  /** beta_t, t = 0..999. */
  betas: Float64Array;
  /** abar_t = prod_{s <= t} (1 - beta_s): the share of signal variance left at step t. */
  alphaBars: Float64Array;
}

let cachedSchedule: NoiseSchedule | null = null;

function schedule(): NoiseSchedule {
  if (cachedSchedule === null) {
    const betas = new Float64Array(NOISE_STEPS);
    const alphaBars = new Float64Array(NOISE_STEPS);
    let product = 1;
    for (let t = 0; t < NOISE_STEPS; t++) {
      const x = -6 + (12 * t) / (NOISE_STEPS - 1);
      betas[t] = (1 / (1 + portableExp(-x))) * (0.5e-2 - 1e-5) + 1e-5;
      product *= 1 - betas[t];
      alphaBars[t] = product;
    }
    cachedSchedule = { steps: NOISE_STEPS, betas, alphaBars };
  }
  return cachedSchedule;
}

/** VCD's schedule (fresh copies, so callers may keep or modify them). */
export function noiseSchedule(): NoiseSchedule {
  const { steps, betas, alphaBars } = schedule();
  return { steps, betas: betas.slice(), alphaBars: alphaBars.slice() };
}

function assertStep(what: string, step: number): void {
  if (!Number.isInteger(step) || step < 0 || step >= NOISE_STEPS) {
    throw new RangeError(
      `${what}: the noise step must be an integer in 0..${NOISE_STEPS - 1} (VCD's 1000-step schedule; ` +
        `the reference uses ${DEFAULT_NOISE_STEP}), got ${String(step)}`,
    );
  }
}

/** abar_t of one step. */
export function alphaBar(step: number): number {
  assertStep('alphaBar', step);
  return schedule().alphaBars[step];
}

/** Throws unless `image` is a non-empty HWC RGB Float32Array of finite values. */
export function assertRgbImage(what: string, image: Float32Array): void {
  if (!(image instanceof Float32Array)) {
    throw new TypeError(`${what}: the image must be a Float32Array (HWC, RGB, values in [0, 1])`);
  }
  if (image.length === 0 || image.length % 3 !== 0) {
    throw new RangeError(
      `${what}: the image has ${image.length} values, which is not a positive multiple of 3; ` +
        'images are HWC with 3 channels (R, G, B)',
    );
  }
  for (let i = 0; i < image.length; i++) {
    if (!Number.isFinite(image[i])) {
      throw new RangeError(
        `${what}: image value ${i} (pixel ${Math.floor(i / 3)}, channel ${i % 3}) is ${image[i]}; ` +
          'images must be finite',
      );
    }
  }
}

function assertNormalization(what: string, normalization: PixelNormalization): void {
  for (let c = 0; c < 3; c++) {
    const mean = normalization.mean[c];
    const std = normalization.std[c];
    if (!Number.isFinite(mean) || !Number.isFinite(std) || std <= 0) {
      throw new RangeError(
        `${what}: normalization channel ${c} has mean ${String(mean)} and std ${String(std)}; ` +
          'means must be finite and standard deviations finite and > 0',
      );
    }
  }
}

export interface DiffusionNoiseOptions {
  /** The space the noise is added in; CLIP_NORMALIZATION unless given. */
  normalization?: PixelNormalization;
}

/**
 * x_t of the forward diffusion process at `step` (0..999) for an HWC RGB image in [0, 1]: a new
 * Float32Array of the same length, unclamped. Reproducible from (image, step, seed) bit for bit.
 */
export function diffusionNoise(
  image: Float32Array,
  step: number,
  seed: number,
  options: DiffusionNoiseOptions = {},
): Float32Array {
  const what = 'diffusionNoise';
  assertStep(what, step);
  assertRgbImage(what, image);
  const normalization = options.normalization ?? CLIP_NORMALIZATION;
  assertNormalization(what, normalization);
  const epsilon = new Float64Array(image.length);
  fillStandardNormal(epsilon, inputSeed(what, seed), DIFFUSION_NOISE_STREAM);
  const abar = schedule().alphaBars[step];
  const signal = Math.sqrt(abar);
  const noise = Math.sqrt(1 - abar);
  const out = new Float32Array(image.length);
  for (let i = 0; i < image.length; i++) {
    const c = i % 3;
    const mean = normalization.mean[c];
    const std = normalization.std[c];
    const z = (image[i] - mean) / std;
    out[i] = mean + std * (signal * z + noise * epsilon[i]);
  }
  return out;
}
