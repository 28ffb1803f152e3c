// The reference forward of tiny vision-language models (src/model/vision.ts for the formula).
import { describe, expect, test } from 'vitest';
import type { ModelConfig } from '../config';
import { ReferenceModel } from './forward';
import { tinyImage, tinyModel, tinyVlmConfigJson } from './tiny';

const MODELS: [string, Record<string, unknown>][] = [
  ['llama decoder', tinyVlmConfigJson()],
  ['gpt2 decoder', tinyVlmConfigJson({ model_type: 'gpt2' })],
];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** e_k written out with plain loops, independent of ./vision.ts. */
function imageEmbedding(
  weights: Map<string, Float32Array>,
  config: ModelConfig,
  image: Float32Array,
  k: number,
) {
  const { imageSize, patchSize, channels, patchDim } = config.vision!;
  const d = config.hiddenSize;
  const side = imageSize / patchSize;
  const [py, px] = [Math.floor(k / side), k % side];
  const patch: number[] = [];
  for (let y = 0; y < patchSize; y++)
    for (let x = 0; x < patchSize; x++)
      for (let c = 0; c < channels; c++)
        patch.push(image[((py * patchSize + y) * imageSize + px * patchSize + x) * channels + c]);
  const w1 = weights.get('vision.patch_embed.weight')!;
  const b1 = weights.get('vision.patch_embed.bias')!;
  const w2 = weights.get('vision.projector.weight')!;
  const b2 = weights.get('vision.projector.bias')!;
  const pos = weights.get('vision.position_embedding.weight')!;
  const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  const inner = Array.from({ length: d }, (_, o) =>
    gelu(patch.reduce((sum, p, i) => sum + p * w1[o * patchDim + i], b1[o])),
  );
  return Array.from(
    { length: d },
    (_, o) => inner.reduce((sum, h, i) => sum + h * w2[o * d + i], b2[o]) + pos[k * d + o],
  );
}

describe.each(MODELS)('reference vision-language forward (%s)', (_name, json) => {
  const { config, weights } = tinyModel(json, 7);
  const image = config.vision!.imageTokenId;
  const tokens = [1, 5, 9, image, image, image, image, 12, 3];
  const picture = tinyImage(config.vision!, 1);

  test('an image changes the logits only from the first placeholder on', () => {
    const model = new ReferenceModel(config, weights);
    const run = (withImage: boolean) =>
      model.forward({
        sequences: [{ sequence: model.createSequence(), tokens, image: withImage ? picture : undefined }],
        logits: 'all',
      }).logits;
    const seen = run(true);
    const blind = run(false);
    for (let r = 0; r < 3; r++) expect(maxAbsDiff(seen[r], blind[r]), `row ${r}`).toBe(0);
    for (let r = 3; r < tokens.length; r++)
      expect(maxAbsDiff(seen[r], blind[r]), `row ${r}`).toBeGreaterThan(1e-2);
    const other = model.forward({
      sequences: [{ sequence: model.createSequence(), tokens, image: tinyImage(config.vision!, 2) }],
    }).logits[0];
    expect(maxAbsDiff(other, seen[tokens.length - 1])).toBeGreaterThan(1e-2);
  });

  test('placeholder rows are e_k with an image (no position added), the token embedding without', () => {
    const model = new ReferenceModel(config, weights);
    const prefix = model.createSequence();
    model.forward({ sequences: [{ sequence: prefix, tokens: [1, 2] }] }); // image rows at positions 5..8
    const capture = { hiddenStates: true };
    const seen = model.forward({
      sequences: [{ sequence: prefix, tokens: tokens.slice(0, 7), image: picture }],
      logits: 'all',
      capture,
    }).hiddenStates![0];
    const d = config.hiddenSize;
    for (let k = 0; k < 4; k++) {
      expect(maxAbsDiff(seen[3 + k], imageEmbedding(weights, config, picture, k)), `patch ${k}`).toBeLessThan(
        1e-5,
      );
    }
    const blind = model.forward({
      sequences: [{ sequence: model.createSequence(), tokens: [image] }],
      capture,
    }).hiddenStates![0][0];
    const table = weights.get(config.architecture === 'gpt2' ? 'wte.weight' : 'model.embed_tokens.weight')!;
    const position =
      config.architecture === 'gpt2' ? weights.get('wpe.weight')!.subarray(0, d) : new Float32Array(d);
    const expected = Array.from({ length: d }, (_, i) => table[image * d + i] + position[i]);
    expect(maxAbsDiff(blind, expected)).toBeLessThan(1e-6);
  });

  test('a bad image in any sequence is refused before any cache changes', () => {
    const model = new ReferenceModel(config, weights);
    const a = model.createSequence();
    const b = model.createSequence();
    expect(() =>
      model.forward({
        sequences: [
          { sequence: a, tokens: [1, 2, 3] },
          { sequence: b, tokens: [image, image], image: picture },
        ],
      }),
    ).toThrow(/needs exactly 4 image tokens/);
    expect([model.sequenceLength(a), model.sequenceLength(b)]).toEqual([0, 0]);
  });
});
