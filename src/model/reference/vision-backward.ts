// The CPU reference of the image encoder inside the whole-model backward (./backward.ts), f64 on
// f32 or f64 weights (finite differences perturb f64 copies). Forward, per image patch k
// (src/model/vision.ts): pre_k = W1 p_k + b1, a_k = gelu(pre_k), e_k = W2 a_k + b2 + pos_k, and e_k
// replaces the embedding row of the k-th image placeholder. Backward from de_k = dL/d(that row):
//   dW2 += de_k a_k^T, db2 += de_k, dpos_k += de_k, dpre_k = (W2^T de_k) * gelu'(pre_k),
//   dW1 += dpre_k p_k^T, db1 += dpre_k
// and the placeholder token (and GPT-2's position table) get no gradient from a replaced row.
import { geluDerivativeReference } from '../../kernels/activation-backward/reference';
import type { TokenBatch } from '../../training/types';
import type { ModelConfig } from '../config';
import { imagePlaceholders, imageToPatches } from '../vision';
import { gelu } from './math';

type Weights = ReadonlyMap<string, ArrayLike<number>>;

export interface ImageRow {
  /** Row of the batch (b * T + t). */
  row: number;
  patch: Float32Array;
  /** Patch index k. */
  k: number;
  pre: Float64Array;
  act: Float64Array;
  out: Float64Array;
}

function tensor(weights: Weights, name: string): ArrayLike<number> {
  const t = weights.get(name);
  if (!t) throw new Error(`reference backward: missing tensor ${name}`);
  return t;
}

/** The image rows of a batch with their activations (empty for batches without images). */
export function imageRowsForward(config: ModelConfig, weights: Weights, batch: TokenBatch): ImageRow[] {
  const vision = config.vision;
  const rows: ImageRow[] = [];
  if (!batch.images) return rows;
  if (batch.images.length !== batch.batchSize) {
    throw new Error(`reference backward: ${batch.images.length} images for ${batch.batchSize} sequences`);
  }
  const T = batch.length;
  const d = config.hiddenSize;
  batch.images.forEach((image, b) => {
    if (!image) return;
    const tokens = Array.from(batch.tokens.subarray(b * T, (b + 1) * T));
    const placeholders = imagePlaceholders(config, b, tokens, image);
    if (!placeholders || !vision) return;
    const patches = imageToPatches(image, vision);
    const P = vision.patchDim;
    const w1 = tensor(weights, 'vision.patch_embed.weight');
    const b1 = tensor(weights, 'vision.patch_embed.bias');
    const w2 = tensor(weights, 'vision.projector.weight');
    const b2 = tensor(weights, 'vision.projector.bias');
    const pos = tensor(weights, 'vision.position_embedding.weight');
    placeholders.forEach((t, k) => {
      const patch = patches.subarray(k * P, (k + 1) * P);
      const pre = new Float64Array(d);
      for (let j = 0; j < d; j++) {
        let sum = b1[j];
        for (let i = 0; i < P; i++) sum += w1[j * P + i] * patch[i];
        pre[j] = sum;
      }
      const act = pre.map(gelu);
      const out = new Float64Array(d);
      for (let j = 0; j < d; j++) {
        let sum = b2[j] + pos[k * d + j];
        for (let i = 0; i < d; i++) sum += w2[j * d + i] * act[i];
        out[j] = sum;
      }
      rows.push({ row: b * T + t, patch, k, pre, act, out });
    });
  });
  return rows;
}

/** Accumulates the vision tensors' gradients from dx (the gradient of the embedding rows). */
export function imageRowsBackward(
  config: ModelConfig,
  weights: Weights,
  rows: readonly ImageRow[],
  dx: Float64Array,
  gradients: Map<string, Float64Array>,
): void {
  const vision = config.vision;
  if (!vision || rows.length === 0) return;
  const d = config.hiddenSize;
  const P = vision.patchDim;
  const w2 = tensor(weights, 'vision.projector.weight');
  const g = (name: string) => gradients.get(name)!;
  const [dW1, db1, dW2, db2, dPos] = [
    'vision.patch_embed.weight',
    'vision.patch_embed.bias',
    'vision.projector.weight',
    'vision.projector.bias',
    'vision.position_embedding.weight',
  ].map(g);
  for (const { row, patch, k, pre, act } of rows) {
    const de = dx.subarray(row * d, (row + 1) * d);
    const dAct = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      db2[j] += de[j];
      dPos[k * d + j] += de[j];
      for (let i = 0; i < d; i++) {
        dW2[j * d + i] += de[j] * act[i];
        dAct[i] += w2[j * d + i] * de[j];
      }
    }
    for (let j = 0; j < d; j++) {
      const dPre = dAct[j] * geluDerivativeReference(pre[j]);
      db1[j] += dPre;
      for (let i = 0; i < P; i++) dW1[j * P + i] += dPre * patch[i];
    }
  }
}
