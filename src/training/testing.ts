// Fixtures shared by the trainer's tests and benchmarks: tiny models of every architecture
// variant the trainer supports, seeded batches, and an objective with arbitrary signed weights
// (the seam must backpropagate any w_t, not only cross-entropy's -1/N).
import { tinyGpt2ConfigJson, tinyLlamaConfigJson, tinyModel, type TinyModel } from '../model/reference/tiny';
import { seededRandom } from '../testing/logits';
import type { Objective, TokenBatch } from './types';

export interface TrainingFixture {
  label: string;
  model: TinyModel;
}

/** GPT-2 (tied head, learned positions), Llama (GQA, untied), Qwen2-style (q/k/v biases, tied). */
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
  ];
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
