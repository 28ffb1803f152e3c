// Post-hoc debiasing of closed-form answers (yes/no, multiple choice).
//
// Paper: "Debiasing Large Visual Language Models" (Zhang et al., 2024; later "Debiasing Multimodal
// Large Language Models via Penalization of Language Priors"); reference code yfzhang114/LLaVA-Align,
// experiments/eval/eval_pope_calibrate.py. The calibration is "Calibrate Before Use" (Zhao et al.,
// 2021) with the image taken away:
//   p      = the answer distribution with the image: p_k = P(answer k | v, x), renormalised over
//            the K answers (each answer may be several tokens, e.g. "Yes" and "yes": their
//            probabilities add up)
//   p_cf   = the same with no image or a meaningless one ("content-free"), renormalised
//   W      = diag(p_cf)^-1,  b = 0                       (the reference's "diagonal_W" mode)
//   q      = (W p + b) / sum(W p + b)                     i.e.  q_k ∝ p_k / p_cf_k
// so the meaningless input itself maps to W p_cf = (1, ..., 1): exactly uniform, which is the
// paper's "uniform scores for each answer when the image is absent". In logits the same correction
// is a shift: log q_k = l_k(v) - l_k(none) + const over the answer tokens (calibrateLogits).
// Reference defaults: per-question p_cf ("individual" mode) from the question without the image
// ('none': no image tokens) and/or with the image tokens replaced by <unk> ('unk'); several
// references are combined by adding their distributions and renormalising ('none_unk'). The
// reference also tried a noised image (VCD's noise at t = 999) and an all-zero normalised image.
//
// Interpretations:
//  - The reference adds 1e-4 to every p_cf_k before inverting; we do not by default (it would
//    make the correction approximately, not exactly, uniform) and refuse p_cf_k = 0 with a clear
//    error instead; `floor` restores the reference's behaviour.
//  - The reference's other mode (W = I, b = -p_cf) makes sum(W p + b) = 0, so it cannot be
//    renormalised as written; it is not provided.
//  - Meaningless images: 'mean-colour' is the reference's zero tensor (zeros in CLIP-normalised
//    space are CLIP's mean colour in [0, 1] pixels), 'noise' is N(0, 1) in that normalised space
//    (the t -> infinity limit of VCD's noise; the reference's t = 999 keeps 28% of the image), and
//    'black' is plain zero pixels. For the Shapes VLM a black image is not meaningless: it is the
//    empty scene, captioned "an empty picture .", and pushes every presence answer towards "no".
import { CLIP_NORMALIZATION, type PixelNormalization } from './noise';
import { fillStandardNormal, inputSeed, MEANINGLESS_NOISE_STREAM, portableExp, portableLog } from './random';

function assertScores(what: string, name: string, values: ArrayLike<unknown>, minLength = 2): void {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new TypeError(`${what}: ${name} must be an array of numbers`);
  }
  if (values.length < minLength) {
    throw new RangeError(
      `${what}: ${name} has ${values.length} entries; a closed-form answer needs at least ${minLength} (e.g. yes, no)`,
    );
  }
}

/** Renormalised copy of a probability vector; throws on negative, non-finite or all-zero input. */
function normalised(what: string, name: string, probabilities: ArrayLike<number>): number[] {
  assertScores(what, name, probabilities);
  let sum = 0;
  for (let k = 0; k < probabilities.length; k++) {
    const p = probabilities[k];
    if (!Number.isFinite(p) || p < 0) {
      throw new RangeError(`${what}: ${name}[${k}] is ${String(p)}; probabilities must be finite and >= 0`);
    }
    sum += p;
  }
  if (!(sum > 0))
    throw new RangeError(`${what}: ${name} sums to 0; at least one answer needs probability > 0`);
  return Array.from(probabilities, (p) => p / sum);
}

/**
 * The answer distribution from one row of logits: p_k = sum over answer k's token ids of
 * softmax(logits), renormalised over the answers. `answers[k]` lists answer k's token ids.
 */
export function answerDistribution(
  logits: ArrayLike<number>,
  answers: readonly (readonly number[])[],
): number[] {
  const what = 'answerDistribution';
  assertScores(what, 'logits', logits, 1);
  assertScores(what, 'answers', answers);
  let max = -Infinity;
  answers.forEach((ids, k) => {
    if (!Array.isArray(ids) || ids.length === 0) {
      throw new RangeError(`${what}: answer ${k} lists no token ids; give each answer one or more ids`);
    }
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= logits.length) {
        throw new RangeError(
          `${what}: answer ${k} names token id ${String(id)}, outside the ${logits.length} logits (ids 0..${logits.length - 1})`,
        );
      }
      const l = logits[id];
      if (Number.isNaN(l) || l === Infinity) {
        throw new RangeError(
          `${what}: the logit of token ${id} (answer ${k}) is ${l}; logits must be finite or -Infinity`,
        );
      }
      max = Math.max(max, l);
    }
  });
  if (max === -Infinity) {
    throw new RangeError(`${what}: every answer token has logit -Infinity (masked); no answer is possible`);
  }
  // The softmax denominator cancels in the renormalisation, so only the answer tokens are needed.
  return normalised(
    what,
    'answer probabilities',
    answers.map((ids) => ids.reduce((sum, id) => sum + portableExp(logits[id] - max), 0)),
  );
}

/** Several reference distributions (e.g. 'none' and 'unk', or many questions) combined: sum, renormalise. */
export function combineReferences(references: readonly (readonly number[])[]): number[] {
  const what = 'combineReferences';
  assertScores(what, 'references', references, 1);
  const size = references[0]?.length;
  const total = new Array<number>(size).fill(0);
  references.forEach((reference, r) => {
    const p = normalised(what, `references[${r}]`, reference);
    if (p.length !== size) {
      throw new RangeError(`${what}: reference ${r} has ${p.length} answers, reference 0 has ${size}`);
    }
    p.forEach((v, k) => (total[k] += v));
  });
  return normalised(what, 'the combined reference', total);
}

/** The affine correction q = (W p + b) / sum: W's diagonal and b. */
export interface DebiasCalibration {
  weights: number[];
  bias: number[];
}

/** W = diag(p_cf)^-1, b = 0 from the no-image (or meaningless-image) answer distribution. */
export function fitDebiasCalibration(
  reference: readonly number[],
  options: { floor?: number } = {},
): DebiasCalibration {
  const what = 'fitDebiasCalibration';
  const floor = options.floor ?? 0;
  if (!Number.isFinite(floor) || floor < 0) {
    throw new RangeError(
      `${what}: floor must be a finite number >= 0 (the reference uses 1e-4), got ${String(floor)}`,
    );
  }
  const p = normalised(what, 'the reference distribution', reference).map((v) => v + floor);
  const zero = p.findIndex((v) => v === 0);
  if (zero >= 0) {
    throw new RangeError(
      `${what}: answer ${zero} has probability 0 without the image, so its weight 1/p would be infinite; ` +
        'pass { floor: 1e-4 } as the reference code does, or use a reference where every answer is possible',
    );
  }
  return { weights: p.map((v) => 1 / v), bias: p.map(() => 0) };
}

/** q = (W p + b) / sum(W p + b) for the answer distribution with the image. */
export function applyDebiasCalibration(
  calibration: DebiasCalibration,
  distribution: readonly number[],
): number[] {
  const what = 'applyDebiasCalibration';
  const p = normalised(what, 'the distribution', distribution);
  const { weights, bias } = calibration;
  if (weights.length !== p.length || bias.length !== p.length) {
    throw new RangeError(
      `${what}: the calibration covers ${weights.length} answers (bias ${bias.length}) but the distribution has ${p.length}`,
    );
  }
  return normalised(
    what,
    'the calibrated scores',
    p.map((v, k) => weights[k] * v + bias[k]),
  );
}

/**
 * The same correction on answer logits (one logit per answer, e.g. the "yes" and "no" tokens):
 * log q = log_softmax(l_image - l_reference). Returns log-probabilities over the answers.
 */
export function calibrateLogits(
  imageLogits: readonly number[],
  referenceLogits: readonly number[],
): number[] {
  const what = 'calibrateLogits';
  assertScores(what, 'imageLogits', imageLogits);
  if (referenceLogits?.length !== imageLogits.length) {
    throw new RangeError(
      `${what}: ${imageLogits.length} image logits but ${referenceLogits?.length} reference logits; give one per answer`,
    );
  }
  const shifted = imageLogits.map((l, k) => {
    const r = referenceLogits[k];
    if (!Number.isFinite(l) || !Number.isFinite(r)) {
      throw new RangeError(
        `${what}: answer ${k} has logits ${l} (image) and ${r} (reference); both must be finite`,
      );
    }
    return l - r;
  });
  const max = Math.max(...shifted);
  const logSum = portableLog(shifted.reduce((sum, v) => sum + portableExp(v - max), 0));
  return shifted.map((v) => v - max - logSum);
}

export type MeaninglessImageKind = 'black' | 'mean-colour' | 'noise';

export interface MeaninglessImageOptions {
  /** For 'noise': the Experiment's seed (stream MEANINGLESS_NOISE_STREAM, element i = normal i). */
  seed?: number;
  /** The normalised space of 'mean-colour' and 'noise'; CLIP_NORMALIZATION unless given. */
  normalization?: PixelNormalization;
}

/** An HWC RGB image of width x height that shows nothing (see the header for each kind). */
export function meaninglessImage(
  kind: MeaninglessImageKind,
  width: number,
  height: number,
  options: MeaninglessImageOptions = {},
): Float32Array {
  const what = 'meaninglessImage';
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`${what}: ${name} must be an integer >= 1, got ${String(value)}`);
    }
  }
  const { mean, std } = options.normalization ?? CLIP_NORMALIZATION;
  const image = new Float32Array(width * height * 3);
  if (kind === 'black') return image;
  if (kind === 'mean-colour') {
    for (let i = 0; i < image.length; i++) image[i] = mean[i % 3];
    return image;
  }
  if (kind === 'noise') {
    const z = new Float64Array(image.length);
    fillStandardNormal(z, inputSeed(what, options.seed ?? 0), MEANINGLESS_NOISE_STREAM);
    for (let i = 0; i < image.length; i++) image[i] = mean[i % 3] + std[i % 3] * z[i];
    return image;
  }
  throw new RangeError(
    `${what}: unknown kind ${JSON.stringify(kind)}; expected 'black', 'mean-colour' or 'noise'`,
  );
}
