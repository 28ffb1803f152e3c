// The whole-model backward is the derivative of the whole-model forward: for tiny GPT-2 (tied and
// untied), Llama (GQA 4/2, untied and tied) and Qwen2 (q/k/v biases), B = 2 sequences of T = 5..7
// tokens with random per-token weights (about a third exactly 0):
//   (a) logp_t equals the log-softmax of ReferenceModel.forward's logits, within the f32 rounding
//       of those logits (|dz| <= |z| 2^-24 per logit, so |d logp| <= 2 max|z| 2^-24);
//   (b) dJ/dW equals finite differences of J = sum_t w_t logp_t on the f64 weights, on random
//       entries of EVERY tensor (plus entries in the embedding rows the batch uses). The stencil is
//       the 4-point one, (8 (J(+h) - J(-h)) - (J(+2h) - J(-2h))) / 12h with h = 1e-3: truncation
//       O(h^4 J^(5)) is negligible and cancellation is ~ eps |J| / h ~ 1e-11 (seen: |a - b| up to
//       ~2e-11), so with denominator max(|a|, |b|, 1e-4) errors stay below ~2e-7 while a wrong
//       term (an O(1) relative change) cannot pass the tolerance of 1e-6. Key biases get exactly
//       0 analytically (softmax is shift-invariant), which the floor handles.
import { describe, expect, test } from 'vitest';
import { gaussian, seededRandom } from '../../testing/logits';
import type { TokenBatch } from '../../training/types';
import type { ModelConfig } from '../config';
import { expectedTensors } from '../architectures/tensors';
import { referenceGradients, referenceObjective } from './backward';
import { ReferenceModel } from './forward';
import { tinyGpt2ConfigJson, tinyImage, tinyLlamaConfigJson, tinyModel, tinyVlmConfigJson } from './tiny';

const MODELS = [
  { name: 'gpt2 tied', json: tinyGpt2ConfigJson(), length: 5, seed: 11 },
  { name: 'gpt2 untied', json: tinyGpt2ConfigJson({ tie_word_embeddings: false }), length: 6, seed: 12 },
  { name: 'llama GQA 4/2 untied', json: tinyLlamaConfigJson(), length: 7, seed: 13 },
  { name: 'llama tied', json: tinyLlamaConfigJson({ tie_word_embeddings: true }), length: 6, seed: 14 },
  { name: 'qwen2 qkv bias', json: tinyLlamaConfigJson({ model_type: 'qwen2' }), length: 5, seed: 15 },
  // Vision-language: sequence 0 carries an image in its placeholders, sequence 1 has placeholders
  // and no image (they embed as tokens), so both paths of the embedding rows are differentiated.
  { name: 'vlm llama', json: tinyVlmConfigJson(), length: 7, seed: 16 },
  { name: 'vlm gpt2', json: tinyVlmConfigJson({ model_type: 'gpt2' }), length: 7, seed: 17 },
];

const FLOOR = 1e-4;
const TOLERANCE = 1e-6;
const ENTRIES_PER_TENSOR = 12;

function randomCase(config: ModelConfig, length: number, seed: number) {
  const vocab = config.vocabSize;
  const random = seededRandom(seed);
  const size = 2 * length;
  const id = () => Math.floor(random() * vocab);
  const batch: TokenBatch = {
    batchSize: 2,
    length,
    tokens: Uint32Array.from({ length: size }, id),
    targets: Uint32Array.from({ length: size }, id),
    mask: Float32Array.from({ length: size }, () => (random() < 0.8 ? 1 : 0)),
  };
  const tokenWeights = Float32Array.from({ length: size }, () => (random() < 0.35 ? 0 : gaussian(random)));
  const vision = config.vision;
  if (vision) {
    // Placeholders at positions 1..P of both sequences; other tokens never the placeholder id.
    for (let r = 0; r < size; r++) {
      const t = r % length;
      if (t >= 1 && t <= vision.numPatches) batch.tokens[r] = vision.imageTokenId;
      else if (batch.tokens[r] === vision.imageTokenId) batch.tokens[r] = 0;
    }
    batch.images = [tinyImage(vision, seed), null];
  }
  return { batch, tokenWeights };
}

describe.each(MODELS)('reference backward ($name)', ({ json, length, seed }) => {
  const { config, weights } = tinyModel(json, seed);
  const { batch, tokenWeights } = randomCase(config, length, seed + 1);
  const result = referenceGradients(config, weights, batch, tokenWeights);

  test('log-probs and objective equal the forward reference', () => {
    const model = new ReferenceModel(config, weights);
    let worst = 0;
    for (let b = 0; b < batch.batchSize; b++) {
      const sequence = model.createSequence();
      const tokens = [...batch.tokens.subarray(b * length, (b + 1) * length)];
      const image = batch.images?.[b] ?? undefined;
      const { logits } = model.forward({ sequences: [{ sequence, tokens, image }], logits: 'all' });
      logits.forEach((row, t) => {
        const r = b * length + t;
        const max = Math.max(...row);
        const logSum = max + Math.log(row.reduce((sum, z) => sum + Math.exp(z - max), 0));
        const bound = 2 * Math.max(...row.map(Math.abs)) * 2 ** -24 + 1e-12;
        const error = Math.abs(result.logProbs[r] - (row[batch.targets[r]] - logSum));
        expect(error).toBeLessThanOrEqual(bound);
        worst = Math.max(worst, error / bound);
      });
    }
    const objective = result.logProbs.reduce((sum, logp, r) => sum + tokenWeights[r] * logp, 0);
    expect(result.objective).toBeCloseTo(objective, 12);
    expect(referenceObjective(config, weights, batch, tokenWeights).objective).toBe(result.objective);
    console.warn(`${config.modelType} log-probs: worst error / f32 bound ${worst.toFixed(3)}`);
  });

  // Thousands of CPU forwards: a few seconds alone, more on a loaded 2-core machine.
  test('gradients of every tensor equal finite differences of the objective', { timeout: 60_000 }, () => {
    const specs = expectedTensors(config);
    expect([...result.gradients.keys()].sort()).toEqual(specs.map((s) => s.name).sort());
    const weights64 = new Map([...weights].map(([name, w]) => [name, Float64Array.from(w)]));
    const objective = () => referenceObjective(config, weights64, batch, tokenWeights).objective;
    const random = seededRandom(seed + 2);
    const usedRows = (name: string) =>
      name === 'wpe.weight'
        ? [...Array(length).keys()]
        : /wte|embed_tokens/.test(name)
          ? [...batch.tokens]
          : [];
    let worst = { error: 0, name: '', index: -1 };
    for (const { name, shape } of specs) {
      const values = weights64.get(name)!;
      const gradient = result.gradients.get(name)!;
      expect(gradient.length).toBe(values.length);
      const indices = Array.from({ length: ENTRIES_PER_TENSOR }, () => Math.floor(random() * values.length));
      for (const row of usedRows(name).slice(0, 3))
        indices.push(row * shape[1] + Math.floor(random() * shape[1]));
      let nonZero = 0;
      for (const index of indices) {
        const original = values[index];
        const at = (offset: number) => {
          values[index] = original + offset;
          return objective();
        };
        const h = 1e-3;
        const numeric = (8 * (at(h) - at(-h)) - (at(2 * h) - at(-2 * h))) / (12 * h);
        values[index] = original;
        const analytic = gradient[index];
        const error = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric), FLOOR);
        if (error > worst.error) worst = { error, name, index };
        if (Math.abs(numeric) > FLOOR) nonZero++;
        expect(error, `${name}[${index}]: analytic ${analytic}, numeric ${numeric}`).toBeLessThan(TOLERANCE);
      }
      // Each tensor must have been exercised by at least one entry that actually moves J.
      expect(nonZero, `${name}: no sampled entry has a gradient above ${FLOOR}`).toBeGreaterThan(0);
    }
    console.warn(
      `${config.modelType} gradients: worst relative error ${worst.error.toExponential(2)} at ${worst.name}[${worst.index}]`,
    );
  });
});
