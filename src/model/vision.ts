// Image inputs of LogitLab's tiny vision-language models, shared by the CPU reference and the
// WGSL engine (pure: no GPU). The encoder, in the style of LLaVA's patch embedding + MLP
// projector ("Visual Instruction Tuning", Liu et al. 2023), kept as small as a test fixture:
//
//   image [S, S, C] (HWC, f32, values expected in [0, 1])
//     -> patches p_k in R^(ps*ps*C), k = 0..P-1 row-major over the (S/ps) x (S/ps) grid,
//        each flattened as (y within patch, x within patch, channel)
//   e_k = W2 gelu(W1 p_k + b1) + b2 + pos_k         (gelu: tanh form; W1 [d, ps*ps*C], W2 [d, d])
//
// e_k replaces the whole embedding row of the k-th image placeholder token (config.vision
// .imageTokenId) among a forward's new tokens (GPT-2: no learned position is added to it), and the
// decoder runs unchanged; image rows count as ordinary positions. Interpretation: the image is
// not resized or normalised here; the caller (the Shapes world, the UI) renders it at imageSize.
import { KernelInputError } from '../gpu/errors';
import type { ModelConfig, VisionConfig } from './config';
import type { SequenceId } from './interface';

/** [P, patchDim]: patch k at row k, flattened (y within patch, x within patch, channel). */
export function imageToPatches(image: Float32Array, vision: VisionConfig): Float32Array {
  const { imageSize, patchSize, channels, patchDim } = vision;
  if (image.length !== imageSize * imageSize * channels) {
    throw new KernelInputError(
      `imageToPatches: the image has ${image.length} values, expected ${imageSize * imageSize * channels} ` +
        `(${imageSize} x ${imageSize} pixels x ${channels} channels, HWC)`,
    );
  }
  const side = imageSize / patchSize;
  const rowValues = patchSize * channels;
  const patches = new Float32Array(side * side * patchDim);
  for (let py = 0; py < side; py++) {
    for (let px = 0; px < side; px++) {
      const base = (py * side + px) * patchDim;
      for (let y = 0; y < patchSize; y++) {
        // One patch row is contiguous in HWC: patchSize pixels x channels values.
        const from = ((py * patchSize + y) * imageSize + px * patchSize) * channels;
        patches.set(image.subarray(from, from + rowValues), base + y * rowValues);
      }
    }
  }
  return patches;
}

/**
 * Checks one sequence's image against the model and its new tokens; returns the indices (into
 * `tokens`) of the image placeholders, patch k going to the k-th one, or null without an image.
 */
export function imagePlaceholders(
  config: ModelConfig,
  sequence: SequenceId,
  tokens: readonly number[],
  image: Float32Array | undefined,
): number[] | null {
  if (image === undefined) return null;
  const vision = config.vision;
  if (!vision) {
    throw new KernelInputError(
      `sequence ${sequence}: an image was given, but this ${config.modelType} model has no vision_config ` +
        '(it reads text only); send the tokens without the image, or load a vision-language model',
    );
  }
  const { imageSize, channels, numPatches, imageTokenId } = vision;
  const expected = imageSize * imageSize * channels;
  if (!(image instanceof Float32Array) || image.length !== expected) {
    const got = image instanceof Float32Array ? `${image.length} values` : 'not a Float32Array';
    throw new KernelInputError(
      `sequence ${sequence}: the image has ${got}, expected a Float32Array of ${expected} ` +
        `(${imageSize} x ${imageSize} pixels x ${channels} channels, HWC, values in [0, 1]); ` +
        `render or resize the image to ${imageSize} x ${imageSize} first`,
    );
  }
  for (let i = 0; i < image.length; i++) {
    if (!Number.isFinite(image[i])) {
      const pixel = Math.floor(i / channels);
      throw new KernelInputError(
        `sequence ${sequence}: image value ${i} (pixel y ${Math.floor(pixel / imageSize)}, ` +
          `x ${pixel % imageSize}, channel ${i % channels}) is ${image[i]}; images must be finite`,
      );
    }
  }
  const rows: number[] = [];
  tokens.forEach((token, t) => {
    if (token === imageTokenId) rows.push(t);
  });
  if (rows.length !== numPatches) {
    throw new KernelInputError(
      `sequence ${sequence}: an image needs exactly ${numPatches} image tokens (id ${imageTokenId}) among ` +
        `the new tokens, one per patch, but ${rows.length} were given`,
    );
  }
  return rows;
}
