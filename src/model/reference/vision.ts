// The CPU reference of the vision-language image encoder (the spec of the engine's vision pass;
// formula and layouts in src/model/vision.ts): e_k = W2 gelu(W1 p_k + b1) + b2 + pos_k, in f64.
import type { ModelConfig, VisionConfig } from '../config';
import type { SequenceId } from '../interface';
import { imagePlaceholders, imageToPatches } from '../vision';
import { gelu, linearNK } from './math';

/** One f64 [d] embedding per patch, in patch order. */
export function referenceImageEmbeddings(
  vision: VisionConfig,
  hiddenSize: number,
  weight: (name: string) => Float32Array,
  image: Float32Array,
): Float64Array[] {
  const d = hiddenSize;
  const patches = imageToPatches(image, vision);
  const patchEmbed = weight('vision.patch_embed.weight');
  const patchBias = weight('vision.patch_embed.bias');
  const projector = weight('vision.projector.weight');
  const projectorBias = weight('vision.projector.bias');
  const positions = weight('vision.position_embedding.weight');
  return Array.from({ length: vision.numPatches }, (_, k) => {
    const patch = patches.subarray(k * vision.patchDim, (k + 1) * vision.patchDim);
    const inner = linearNK(patch, patchEmbed, d, patchBias).map(gelu);
    const out = linearNK(inner, projector, d, projectorBias);
    for (let i = 0; i < d; i++) out[i] += positions[k * d + i];
    return out;
  });
}

/**
 * A sequence's image embedding rows by index into its new `tokens` (null without an image);
 * throws, like the engine, for an image the model or the tokens cannot take.
 */
export function referenceImageRows(
  config: ModelConfig,
  weight: (name: string) => Float32Array,
  sequence: SequenceId,
  tokens: readonly number[],
  image: Float32Array | undefined,
): Map<number, Float64Array> | null {
  const placeholders = imagePlaceholders(config, sequence, tokens, image);
  if (!placeholders || !image || !config.vision) return null;
  const rows = referenceImageEmbeddings(config.vision, config.hiddenSize, weight, image);
  return new Map(placeholders.map((t, k) => [t, rows[k]]));
}
