// Helpers of the speculative GPU tests: a tiny seeded target and a draft that is the target's
// weights plus seeded noise (so drafts are often, not always, accepted), built straight into the
// WGSL engine with a small vocabulary, and CPU-side reads of full logits rows (tests only).
import { readFloat32 } from '../gpu/readback';
import type { Gpu } from '../gpu/runtime';
import { parseModelConfig } from '../model/config';
import { WgslModel } from '../model/engine/model';
import type { LanguageModel } from '../model/interface';
import { randomWeights, tinyLlamaConfigJson } from '../model/reference/tiny';
import { gaussian, seededRandom } from '../testing/logits';

export interface TinyPairOptions {
  vocab: number;
  /** Std of the noise added to every draft weight, relative to the weight's own std. */
  draftNoise: number;
  seed?: number;
  maxPositions?: number;
}

function std(values: Float32Array): number {
  let sum = 0;
  for (const v of values) sum += v * v;
  return Math.sqrt(sum / values.length);
}

/** A tiny Llama target and its noisy copy as the draft (same config, same "tokenizer"). */
export async function tinyPair(gpu: Gpu, options: TinyPairOptions) {
  const configJson = tinyLlamaConfigJson({
    vocab_size: options.vocab,
    bos_token_id: 0,
    eos_token_id: 1,
    max_position_embeddings: options.maxPositions ?? 64,
  });
  const config = parseModelConfig(configJson);
  const seed = options.seed ?? 5;
  const targetWeights = randomWeights(config, seed);
  const random = seededRandom(seed + 1000);
  const draftWeights = new Map(
    [...targetWeights].map(([name, values]) => {
      const scale = options.draftNoise * std(values);
      return [name, Float32Array.from(values, (v) => v + scale * gaussian(random))];
    }),
  );
  const create = (name: string, weights: Map<string, Float32Array>) =>
    WgslModel.create(gpu, config, { get: (n) => weights.get(n)! }, {
      name,
      fileHashes: { 'tokenizer.json': 'tiny-speculative-tokenizer' },
      weightDtype: 'f32',
    }); // prettier-ignore
  const target = await create('tiny-target', targetWeights);
  const draft = await create('tiny-draft', draftWeights);
  return { target, draft, config, dispose: () => (target.dispose(), draft.dispose()) };
}

/** The next-token logits after `tokens` from a fresh sequence (a full row read back: tests only). */
export async function freshLogits(
  gpu: Gpu,
  model: LanguageModel,
  tokens: readonly number[],
): Promise<Float32Array> {
  const sequence = model.createSequence();
  try {
    const { logits } = await model.forward({ sequences: [{ sequence, tokens }], logits: 'last' });
    return await readFloat32(gpu, logits, model.info.config.vocabSize);
  } finally {
    model.releaseSequence(sequence);
  }
}

export function softmax(logits: ArrayLike<number>, temperature = 1): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] / temperature);
  const out = Float64Array.from({ length: logits.length }, (_, i) => Math.exp(logits[i] / temperature - max));
  const sum = out.reduce((a, b) => a + b, 0);
  return out.map((v) => v / sum);
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Greedy decoding by full-row argmax, one fresh prefill per token: the slow, obvious reference. */
export async function greedyReference(
  gpu: Gpu,
  model: LanguageModel,
  prompt: readonly number[],
  tokens: number,
): Promise<number[]> {
  const text = [...prompt];
  for (let i = 0; i < tokens; i++) text.push(argmax(await freshLogits(gpu, model, text)));
  return text.slice(prompt.length);
}
