// Fixtures shared by the trainer's tests and benchmarks: tiny models of every architecture
// variant the trainer supports, seeded batches, and an objective with arbitrary signed weights
// (the seam must backpropagate any w_t, not only cross-entropy's -1/N).
import type { ModelConfig } from '../model/config';
import {
  tinyGpt2ConfigJson,
  tinyImage,
  tinyLlamaConfigJson,
  tinyModel,
  tinyVlmConfigJson,
  type TinyModel,
} from '../model/reference/tiny';
import { seededRandom } from '../testing/logits';
import type { Objective, TokenBatch } from './types';

export interface TrainingFixture {
  label: string;
  model: TinyModel;
}

/**
 * GPT-2 (tied head, learned positions), Llama (GQA, untied), Qwen2-style (q/k/v biases, tied), and
 * a vision-language model (Llama decoder, 4 image patches).
 */
export function trainingFixtures(seed = 3): TrainingFixture[] {
  return [
    { label: 'gpt2', model: tinyModel(tinyGpt2ConfigJson(), seed) },
    { label: 'llama (GQA, untied head)', model: tinyModel(tinyLlamaConfigJson(), seed + 1) },
    {
      label: 'qwen2 (qkv bias, tied head)',
      model: tinyModel(
        tinyLlamaConfigJson({
          model_type: 'qwen2',
          architectures: ['Qwen2ForCausalLM'],
          tie_word_embeddings: true,
          num_key_value_heads: 1,
        }),
        seed + 2,
      ),
    },
    { label: 'vlm (llama decoder)', model: tinyModel(tinyVlmConfigJson(), seed + 3) },
  ];
}

/**
 * For a vision-language config: placeholders at positions 1..P of every sequence (the id nowhere
 * else), an image for sequence 0 and none for the others (placeholders then embed as tokens).
 * Other configs: the batch unchanged.
 */
export function withImages(config: ModelConfig, batch: TokenBatch, seed: number): TokenBatch {
  const vision = config.vision;
  if (!vision) return batch;
  const tokens = batch.tokens.slice();
  for (let r = 0; r < tokens.length; r++) {
    const t = r % batch.length;
    if (t >= 1 && t <= vision.numPatches) tokens[r] = vision.imageTokenId;
    else if (tokens[r] === vision.imageTokenId) tokens[r] = 0;
  }
  const images = Array.from({ length: batch.batchSize }, (_, b) =>
    b === 0 ? tinyImage(vision, seed) : null,
  );
  return { ...batch, tokens, images };
}

/** B random sequences of T tokens; targets are the next token (random at the end); some masked. */
export function randomBatch(
  vocab: number,
  batchSize: number,
  length: number,
  seed: number,
  maskedShare = 0.2,
): TokenBatch {
  const random = seededRandom(seed);
  const n = batchSize * length;
  const tokens = new Uint32Array(n).map(() => Math.floor(random() * vocab));
  const targets = new Uint32Array(n).map((_, r) =>
    r % length < length - 1 ? tokens[r + 1] : Math.floor(random() * vocab),
  );
  const mask = new Float32Array(n).map(() => (random() < maskedShare ? 0 : 1));
  mask[0] = 1;
  return { batchSize, length, tokens, targets, mask };
}

/** w_t = a fixed seeded value in [-1, 1) times mask_t: any objective's weights look like this. */
export function signedWeightsObjective(seed: number): Objective {
  const weightsOf = (batches: readonly TokenBatch[]) => {
    const random = seededRandom(seed);
    return batches.map((b) => b.mask.map((m) => (m !== 0 ? 2 * random() - 1 : 0)));
  };
  return {
    name: 'signed weights',
    needsLogProbs: false,
    tokenWeights: weightsOf,
    loss(batches, logProbs) {
      const weights = weightsOf(batches);
      let sum = 0;
      weights.forEach((w, i) => w.forEach((x, t) => (sum += x * logProbs[i][t])));
      return sum;
    },
  };
}
