// Parity of the WGSL engine's vision-language models with the CPU reference (formula in
// src/model/vision.ts): tiny random VLMs with a Llama decoder (4 patches: the image matmuls take
// the GEMV path) and a GPT-2 decoder (32 x 32 images, 16 patches: two images take the tiled path),
// written as real safetensors and loaded through the real loader.
import { afterAll, describe, expect, test } from 'vitest';
import { readFloat32 } from '../../gpu/readback';
import type { ForwardSequence } from '../interface';
import type { ReferenceRequest } from '../reference/forward';
import { tinyImage, tinyLlamaConfigJson, tinyVlmConfigJson } from '../reference/tiny';
import { loadTinyModel, relativeError, TOLERANCE } from './testing';

const CASES: [string, Record<string, unknown>][] = [
  ['llama decoder, 4 patches', tinyVlmConfigJson()],
  [
    'gpt2 decoder, 16 patches',
    tinyVlmConfigJson({
      model_type: 'gpt2',
      vision_config: { image_size: 32, patch_size: 8, num_channels: 3 },
    }),
  ],
];

describe.each(CASES)('WGSL vision-language engine vs reference: %s', (name, configJson) => {
  const ready = loadTinyModel(configJson, 31);
  let worst = 0;
  afterAll(async () => {
    (await ready).model.dispose();
    console.warn(`${name}: worst relative logit error ${worst.toExponential(2)}`);
  });

  /** Runs the same request on both models (sequence ids mapped) and compares every logits row. */
  async function compare(
    pairs: [number, number][],
    sequences: Omit<ForwardSequence, 'sequence'>[],
    logits: 'all' | 'last',
    label: string,
  ) {
    const { gpu, model, reference, config } = await ready;
    const V = config.vocabSize;
    const out = await model.forward({
      sequences: sequences.map((s, i) => ({ ...s, sequence: pairs[i][0] })),
      logits,
    });
    const request: ReferenceRequest = {
      sequences: sequences.map((s, i) => ({ ...s, sequence: pairs[i][1] })),
      logits,
    };
    const ref = reference.forward(request);
    const got = await readFloat32(gpu, out.logits, ref.logits.length * V);
    expect(out.rows.map((r) => r.position)).toEqual(ref.rows.map((r) => r.position));
    ref.logits.forEach((row, r) => {
      const error = relativeError(got.subarray(r * V, (r + 1) * V), row);
      worst = Math.max(worst, error);
      expect(error, `${label}, row ${r}`).toBeLessThan(TOLERANCE);
    });
    return got;
  }

  test('prefill with an image and text, then 10 cached decode steps', async () => {
    const { model, reference, config } = await ready;
    const vision = config.vision!;
    const placeholders = Array<number>(vision.numPatches).fill(vision.imageTokenId);
    const pair: [number, number] = [model.createSequence(), reference.createSequence()];
    const image = tinyImage(vision, 1);
    expect(model.capabilities.images).toBe(true);
    await compare([pair], [{ tokens: [1, 5, ...placeholders, 12, 3, 7], image }], 'all', 'prefill');
    for (let step = 0; step < 10; step++) {
      await compare([pair], [{ tokens: [(step * 13 + 4) % (config.vocabSize - 1)] }], 'last', `step ${step}`);
    }
    expect(model.sequenceLength(pair[0])).toBe(vision.numPatches + 15);
    model.releaseSequence(pair[0]);
  });

  test('a batch: two different images at different offsets, and placeholders without an image', async () => {
    const { model, reference, config } = await ready;
    const vision = config.vision!;
    const placeholders = Array<number>(vision.numPatches).fill(vision.imageTokenId);
    const pairs: [number, number][] = [0, 1, 2].map(() => [
      model.createSequence(),
      reference.createSequence(),
    ]);
    await compare(
      pairs,
      [
        { tokens: [1, ...placeholders, 4], image: tinyImage(vision, 2) },
        { tokens: [...placeholders, 9, 10, 11], image: tinyImage(vision, 3) },
        { tokens: [2, ...placeholders] },
      ],
      'all',
      'batch prefill',
    );
    const decoded = await compare(
      pairs,
      [{ tokens: [7] }, { tokens: [7] }, { tokens: [7] }],
      'last',
      'batch step',
    );
    const V = config.vocabSize;
    // Different images (or none) must make a difference, or the comparison proves little.
    expect(relativeError(decoded.subarray(0, V), decoded.subarray(V, 2 * V))).toBeGreaterThan(1e-3);
    for (const [s] of pairs) model.releaseSequence(s);
  });

  test('fork after the image prefix: each lane continues from the shared image', async () => {
    const { model, reference, config } = await ready;
    const vision = config.vision!;
    const placeholders = Array<number>(vision.numPatches).fill(vision.imageTokenId);
    const source: [number, number] = [model.createSequence(), reference.createSequence()];
    await compare(
      [source],
      [{ tokens: [1, ...placeholders], image: tinyImage(vision, 4) }],
      'last',
      'prefix',
    );
    const lane: [number, number] = [model.fork(source[0]), reference.fork(source[1])];
    await compare([source, lane], [{ tokens: [5, 6] }, { tokens: [8] }], 'last', 'lanes');
    for (const s of [source[0], lane[0]]) model.releaseSequence(s);
  });

  test('the embedding-layer hidden rows of the placeholders are the image embeddings', async () => {
    const { gpu, model, reference, config } = await ready;
    const vision = config.vision!;
    const d = config.hiddenSize;
    const tokens = [3, ...Array<number>(vision.numPatches).fill(vision.imageTokenId), 4];
    const image = tinyImage(vision, 5);
    const capture = { hiddenStates: true };
    const out = await model.forward({
      sequences: [{ sequence: model.createSequence(), tokens, image }],
      logits: 'all',
      capture,
    });
    const ref = reference.forward({
      sequences: [{ sequence: reference.createSequence(), tokens, image }],
      logits: 'all',
      capture,
    });
    const hidden = await readFloat32(gpu, out.hiddenStates!, (config.numLayers + 1) * tokens.length * d);
    ref.hiddenStates!.forEach((layer, j) =>
      layer.forEach((row, r) => {
        const got = hidden.subarray((j * tokens.length + r) * d, (j * tokens.length + r + 1) * d);
        expect(relativeError(got, row), `layer ${j}, row ${r}`).toBeLessThan(TOLERANCE);
      }),
    );
  });

  test('bad images are refused with the counts named, and the model keeps working', async () => {
    const { model, config } = await ready;
    const vision = config.vision!;
    const size = vision.imageSize * vision.imageSize * 3;
    const placeholders = Array<number>(vision.numPatches).fill(vision.imageTokenId);
    const seq = model.createSequence();
    const other = model.createSequence();
    await expect(
      model.forward({
        sequences: [{ sequence: seq, tokens: placeholders, image: new Float32Array(size - 3) }],
      }),
    ).rejects.toThrow(`the image has ${size - 3} values, expected a Float32Array of ${size}`);
    await expect(
      model.forward({
        sequences: [
          { sequence: other, tokens: [1, 2] },
          { sequence: seq, tokens: placeholders.slice(1), image: tinyImage(vision, 6) },
        ],
      }),
    ).rejects.toThrow(
      `sequence ${seq}: an image needs exactly ${vision.numPatches} image tokens (id ${vision.imageTokenId}) ` +
        `among the new tokens, one per patch, but ${vision.numPatches - 1} were given`,
    );
    const nan = tinyImage(vision, 7);
    nan[5] = NaN;
    await expect(
      model.forward({ sequences: [{ sequence: seq, tokens: placeholders, image: nan }] }),
    ).rejects.toThrow(/image value 5 \(pixel y 0, x 1, channel 2\) is NaN/);
    expect([model.sequenceLength(seq), model.sequenceLength(other)]).toEqual([0, 0]);
    const ok = await model.forward({
      sequences: [{ sequence: seq, tokens: placeholders, image: tinyImage(vision, 8) }],
    });
    expect(ok.rows).toEqual([{ sequence: seq, position: vision.numPatches - 1 }]);
    model.releaseSequence(seq);
    model.releaseSequence(other);
  });
});

describe('WGSL vision-language engine, f16 matrices (image encoder included)', () => {
  const ready = loadTinyModel(tinyVlmConfigJson(), 32, 'f16');
  afterAll(async () => (await ready).model.dispose());

  test('prefill with an image matches the reference on f16-rounded weights', async () => {
    const { gpu, model, reference, config } = await ready;
    expect(model.info.dtype).toBe('f16');
    const vision = config.vision!;
    const tokens = [1, ...Array<number>(vision.numPatches).fill(vision.imageTokenId), 6, 7];
    const image = tinyImage(vision, 9);
    const out = await model.forward({
      sequences: [{ sequence: model.createSequence(), tokens, image }],
      logits: 'all',
    });
    const V = config.vocabSize;
    const got = await readFloat32(gpu, out.logits, tokens.length * V);
    const ref = reference.forward({
      sequences: [{ sequence: reference.createSequence(), tokens, image }],
      logits: 'all',
    });
    const errors = ref.logits.map((row, r) => relativeError(got.subarray(r * V, (r + 1) * V), row));
    console.warn(
      `f16 vision-language prefill: worst relative logit error ${Math.max(...errors).toExponential(2)}`,
    );
    errors.forEach((error, r) => expect(error, `row ${r}`).toBeLessThan(TOLERANCE));
  });
});

describe('WGSL engine without vision', () => {
  const ready = loadTinyModel(tinyLlamaConfigJson(), 33);
  afterAll(async () => (await ready).model.dispose());

  test('declares no image capability and refuses an image, naming the fix', async () => {
    const { model } = await ready;
    expect(model.capabilities.images).toBe(false);
    const seq = model.createSequence();
    await expect(
      model.forward({ sequences: [{ sequence: seq, tokens: [1, 2], image: new Float32Array(768) }] }),
    ).rejects.toThrow(
      `sequence ${seq}: an image was given, but this llama model has no vision_config (it reads text only); ` +
        'send the tokens without the image, or load a vision-language model',
    );
    expect(model.sequenceLength(seq)).toBe(0);
  });
});
