// RITUAL's randomly transformed view of the input image.
//
// Paper: "RITUAL: Random Image Transformations as a Universal Anti-hallucination Lever in LVLMs"
// (Woo et al., 2024); reference code sangminwoo/RITUAL, eval_bench/pope_eval_llava.py.
//
// Formula: the transformed view T(v) is a *complement*, not a contrast:
//   logits = l(y | v, x) + a_pos l(y | T(v), x)   [- a_neg l(y | v_noise, x) when combined with VCD]
//   on the plausibility head V_head (beta), with a_pos = 3, a_neg = 1, beta = 0.1 in the scripts.
// T is drawn once per image (before generation), uniformly from six torchvision v2 transforms, in
// the reference's order, with the reference's parameters:
//   horizontal flip    RandomHorizontalFlip(p=1)
//   vertical flip      RandomVerticalFlip(p=1)
//   rotation           RandomRotation(degrees=180): angle ~ U[-180, 180) degrees, counter-clockwise,
//                      nearest neighbour, same size, fill 0
//   colour jitter      ColorJitter(brightness=1, contrast=1, saturation=1, hue=0.5): factors
//                      ~ U[0, 2) each, hue shift ~ U[-0.5, 0.5) turns, in a random order
//   gaussian blur      GaussianBlur(kernel_size=13, sigma=(1.5, 2.0)): sigma ~ U[1.5, 2)
//   crop               RandomResizedCrop(size=336): scale (0.08, 1), ratio (3/4, 4/3), bilinear
// Interpretations:
//  - The crop is resized back to the input's own size (the reference resizes to 336, the processor's
//    input size; ours is the model's, e.g. 48 x 48 for the Shapes VLM). Box sampling is torchvision's
//    RandomResizedCrop.get_params: up to 10 tries of area ~ area U[0.08, 1), ln(aspect) ~
//    U[ln 3/4, ln 4/3), w = round(sqrt(area aspect)), h = round(sqrt(area / aspect)) (Python's
//    round: halves to even), accepted when the box fits, then top ~ U{0..H-h}, left ~ U{0..W-w};
//    otherwise the largest centred box with an aspect inside the range.
//  - Blur and rotation parameters are in pixels, as in the reference, which applies them to the
//    full-size photo (COCO, ~640 px) before the processor shrinks it: on a 48 px image the same
//    13-pixel kernel blurs much more of the picture.
//  - Randomness (stream TRANSFORM_STREAM, ./random.ts): counter 0 word 0 picks the kind
//    (floor(6 u)); counter 1 gives the parameters (rotation: word 0; colour jitter: words 0-3 =
//    brightness, contrast, saturation, hue; blur: word 0); counter 2 words 0-2 the colour order (a
//    Fisher-Yates shuffle); crop try k uses counter 1 + k, words 0-3 = area, aspect, top, left.
import type { DistortionRecord } from '../../share/trace';
import { philoxUniform4 } from '../../kernels/random/philox';
import { COLOUR_OPERATIONS, colourJitter, gaussianBlur, type ColourOperation } from './colour';
import { horizontalFlip, resizedCrop, rotate, verticalFlip, type CropBox } from './geometry';
import { inputSeed, portableExp, portableLog, TRANSFORM_STREAM } from './random';

export const TRANSFORM_KINDS = [
  'horizontal-flip',
  'vertical-flip',
  'rotation',
  'colour-jitter',
  'gaussian-blur',
  'crop',
] as const;
export type TransformKind = (typeof TRANSFORM_KINDS)[number];

/** A transform with its drawn parameters: plain JSON, so it can be stored and replayed. */
export type ImageTransform =
  | { kind: 'horizontal-flip'; params: Record<string, never> }
  | { kind: 'vertical-flip'; params: Record<string, never> }
  | { kind: 'rotation'; params: { degrees: number } }
  | {
      kind: 'colour-jitter';
      params: {
        brightness: number;
        contrast: number;
        saturation: number;
        hue: number;
        order: ColourOperation[];
      };
    }
  | { kind: 'gaussian-blur'; params: { kernelSize: number; sigma: number } }
  | { kind: 'crop'; params: CropBox };

export const BLUR_KERNEL_SIZE = 13;
const CROP_SCALE = [0.08, 1] as const;
const CROP_RATIO = [3 / 4, 4 / 3] as const;

/** Python's round(): to the nearest integer, halves to even. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function assertImageSize(what: string, width: number, height: number): void {
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`${what}: ${name} must be an integer >= 1, got ${String(value)}`);
    }
  }
}

function sampleCrop(seed: ReturnType<typeof inputSeed>, width: number, height: number): CropBox {
  const area = width * height;
  const logRatio = [portableLog(CROP_RATIO[0]), portableLog(CROP_RATIO[1])];
  const u = new Float32Array(4);
  for (let attempt = 0; attempt < 10; attempt++) {
    philoxUniform4(seed, TRANSFORM_STREAM, 1 + attempt, u);
    const targetArea = area * (CROP_SCALE[0] + (CROP_SCALE[1] - CROP_SCALE[0]) * u[0]);
    const aspect = portableExp(logRatio[0] + (logRatio[1] - logRatio[0]) * u[1]);
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return {
        top: Math.floor(u[2] * (height - h + 1)),
        left: Math.floor(u[3] * (width - w + 1)),
        width: w,
        height: h,
      };
    }
  }
  let w = width;
  let h = height;
  if (width / height < CROP_RATIO[0]) h = roundHalfEven(width / CROP_RATIO[0]);
  else if (width / height > CROP_RATIO[1]) w = roundHalfEven(height * CROP_RATIO[1]);
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), width: w, height: h };
}

/**
 * RITUAL's random transform for `seed` (the Experiment's seed) and an image of width x height
 * (the Shapes world's 48 x 48 unless given; only the crop box depends on the size).
 */
export function randomTransform(seed: number, width = 48, height = 48): ImageTransform {
  const what = 'randomTransform';
  const key = inputSeed(what, seed);
  assertImageSize(what, width, height);
  const u = new Float32Array(4);
  philoxUniform4(key, TRANSFORM_STREAM, 0, u);
  const kind = TRANSFORM_KINDS[Math.floor(u[0] * TRANSFORM_KINDS.length)];
  switch (kind) {
    case 'horizontal-flip':
    case 'vertical-flip':
      return { kind, params: {} };
    case 'rotation':
      philoxUniform4(key, TRANSFORM_STREAM, 1, u);
      return { kind, params: { degrees: -180 + 360 * u[0] } };
    case 'colour-jitter': {
      philoxUniform4(key, TRANSFORM_STREAM, 1, u);
      const [brightness, contrast, saturation, hue] = [2 * u[0], 2 * u[1], 2 * u[2], u[3] - 0.5];
      philoxUniform4(key, TRANSFORM_STREAM, 2, u);
      const order = [...COLOUR_OPERATIONS];
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(u[order.length - 1 - i] * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      return { kind, params: { brightness, contrast, saturation, hue, order } };
    }
    case 'gaussian-blur':
      philoxUniform4(key, TRANSFORM_STREAM, 1, u);
      return { kind, params: { kernelSize: BLUR_KERNEL_SIZE, sigma: 1.5 + 0.5 * u[0] } };
    case 'crop':
      return { kind, params: sampleCrop(key, width, height) };
  }
}

const fixed = (v: number, digits: number) => v.toFixed(digits);

/** A one-line description for the trace and the inspector ("rotation by -37.5 degrees ..."). */
export function describeTransform(transform: ImageTransform): string {
  switch (transform.kind) {
    case 'horizontal-flip':
      return 'horizontal flip';
    case 'vertical-flip':
      return 'vertical flip';
    case 'rotation':
      return `rotation by ${fixed(transform.params.degrees, 1)} degrees counter-clockwise`;
    case 'colour-jitter': {
      const p = transform.params;
      const hue = `${p.hue >= 0 ? '+' : ''}${fixed(p.hue, 3)}`;
      return (
        `colour jitter: brightness x${fixed(p.brightness, 2)}, contrast x${fixed(p.contrast, 2)}, ` +
        `saturation x${fixed(p.saturation, 2)}, hue ${hue} turn (order: ${p.order.join(', ')})`
      );
    }
    case 'gaussian-blur':
      return `gaussian blur: ${transform.params.kernelSize}-pixel kernel, sigma ${fixed(transform.params.sigma, 2)} px`;
    case 'crop': {
      const b = transform.params;
      return `crop ${b.width}x${b.height} px at left ${b.left}, top ${b.top}, resized to the full image`;
    }
  }
}

/** The trace's record of a transformed component: recomputable with randomTransform(seed, w, h). */
export function transformRecord(transform: ImageTransform, seed: number): DistortionRecord {
  return { kind: 'transform', transform: describeTransform(transform), seed };
}

function invalid(what: string, transform: ImageTransform, problem: string): never {
  throw new RangeError(`${what}: ${transform.kind} ${problem} (transform ${JSON.stringify(transform)})`);
}

function assertTransform(what: string, t: ImageTransform, width: number, height: number): void {
  if (!(TRANSFORM_KINDS as readonly string[]).includes(t?.kind)) {
    throw new RangeError(
      `${what}: unknown transform kind ${JSON.stringify(t?.kind)}; expected one of ${TRANSFORM_KINDS.join(', ')}`,
    );
  }
  if (t.kind === 'rotation' && !Number.isFinite(t.params.degrees)) invalid(what, t, 'needs finite degrees');
  if (t.kind === 'colour-jitter') {
    const p = t.params;
    for (const name of ['brightness', 'contrast', 'saturation'] as const) {
      if (!(p[name] >= 0) || !Number.isFinite(p[name]))
        invalid(what, t, `${name} must be a finite factor >= 0`);
    }
    if (!(Math.abs(p.hue) <= 0.5)) invalid(what, t, 'hue must be in [-0.5, 0.5] turns');
    const sorted = [...(p.order ?? [])].sort().join();
    if (sorted !== [...COLOUR_OPERATIONS].sort().join()) {
      invalid(what, t, `order must list ${COLOUR_OPERATIONS.join(', ')} once each`);
    }
  }
  if (t.kind === 'gaussian-blur') {
    const { kernelSize, sigma } = t.params;
    if (!Number.isInteger(kernelSize) || kernelSize < 1 || kernelSize % 2 === 0) {
      invalid(what, t, 'kernelSize must be an odd integer >= 1');
    }
    if (!(sigma > 0) || !Number.isFinite(sigma)) invalid(what, t, 'sigma must be finite and > 0');
  }
  if (t.kind === 'crop') {
    const b = t.params;
    const integers = [b.top, b.left, b.width, b.height].every(Number.isInteger);
    if (!integers || b.top < 0 || b.left < 0 || b.width < 1 || b.height < 1) {
      invalid(what, t, 'box needs integer top, left >= 0 and width, height >= 1');
    }
    if (b.left + b.width > width || b.top + b.height > height) {
      invalid(
        what,
        t,
        `box reaches past the ${width}x${height} image; draw it with randomTransform(seed, ${width}, ${height})`,
      );
    }
  }
}

/** Applies a transform to an HWC RGB image of width x height: a new Float32Array, same shape. */
export function applyTransform(
  image: Float32Array,
  width: number,
  height: number,
  transform: ImageTransform,
): Float32Array {
  const what = 'applyTransform';
  assertImageSize(what, width, height);
  if (!(image instanceof Float32Array) || image.length !== width * height * 3) {
    const got = image instanceof Float32Array ? `${image.length} values` : 'not a Float32Array';
    throw new RangeError(
      `${what}: the image has ${got}, expected a Float32Array of ${width} x ${height} x 3 (HWC)`,
    );
  }
  assertTransform(what, transform, width, height);
  const shape = { width, height, channels: 3 };
  switch (transform.kind) {
    case 'horizontal-flip':
      return horizontalFlip(image, shape);
    case 'vertical-flip':
      return verticalFlip(image, shape);
    case 'rotation':
      return rotate(image, shape, transform.params.degrees);
    case 'colour-jitter':
      return colourJitter(image, transform.params);
    case 'gaussian-blur':
      return gaussianBlur(image, width, height, 3, transform.params.kernelSize, transform.params.sigma);
    case 'crop':
      return resizedCrop(image, shape, transform.params);
  }
}
