// Parity of the WGSL engine with the CPU reference on tiny random models of both architectures,
// written as real safetensors files and loaded through the real loader (local files source).
import { afterAll, describe, expect, test } from 'vitest';
import { readFloat32 } from '../../gpu/readback';
import { tinyGpt2ConfigJson, tinyLlamaConfigJson } from '../reference/tiny';
import { loadTinyModel as load, relativeError, TOLERANCE } from './testing';

const CASES: [string, Record<string, unknown>][] = [
  ['gpt2', tinyGpt2ConfigJson()],
  ['llama (GQA, untied head)', tinyLlamaConfigJson()],
  [
    'qwen2 (q/k/v biases, tied head)',
    tinyLlamaConfigJson({ model_type: 'qwen2', tie_word_embeddings: true }),
  ],
];

describe.each(CASES)('WGSL engine vs reference: %s', (_name, configJson) => {
  const ready = load(configJson, 21);
  afterAll(async () => (await ready).model.dispose());
  const prompt = [5, 9, 2, 33, 17, 8, 1, 40, 3, 3, 12, 7, 19, 23, 29, 31, 37, 41, 43, 47]; // 20 > 16: prefill path

  test('prefill logits for every position', async () => {
    const { gpu, model, reference, config } = await ready;
    const seq = model.createSequence();
    const out = await model.forward({ sequences: [{ sequence: seq, tokens: prompt }], logits: 'all' });
    const logits = await readFloat32(gpu, out.logits, prompt.length * config.vocabSize);
    const ref = reference.forward({
      sequences: [{ sequence: reference.createSequence(), tokens: prompt }],
      logits: 'all',
    });
    ref.logits.forEach((row, r) => {
      const err = relativeError(logits.subarray(r * config.vocabSize, (r + 1) * config.vocabSize), row);
      expect(err, `position ${r}`).toBeLessThan(TOLERANCE);
    });
    expect(out.rows.map((r) => r.position)).toEqual(prompt.map((_, i) => i));
    model.releaseSequence(seq);
  });

  test('20 cached decode steps equal the uncached forward', async () => {
    const { gpu, model, reference, config } = await ready;
    const seq = model.createSequence();
    const tokens = prompt.slice(0, 5);
    await model.forward({ sequences: [{ sequence: seq, tokens }] });
    for (let step = 0; step < 20; step++) {
      const next = (tokens[tokens.length - 1] * 7 + step) % config.vocabSize;
      tokens.push(next);
      const out = await model.forward({ sequences: [{ sequence: seq, tokens: [next] }] });
      const cached = await readFloat32(gpu, out.logits, config.vocabSize);
      const ref = reference.forward({ sequences: [{ sequence: reference.createSequence(), tokens }] })
        .logits[0];
      expect(relativeError(cached, ref), `step ${step}`).toBeLessThan(TOLERANCE);
    }
    expect(model.sequenceLength(seq)).toBe(25);
    model.releaseSequence(seq);
  });

  test('a batch of sequences equals each sequence alone; fork and truncate', async () => {
    const { gpu, model, config } = await ready;
    const V = config.vocabSize;
    const a = model.createSequence();
    const b = model.createSequence();
    await model.forward({ sequences: [{ sequence: a, tokens: prompt.slice(0, 6) }] });
    const lane = model.fork(a);
    const batch = await model.forward({
      sequences: [
        { sequence: a, tokens: [4, 5] },
        { sequence: b, tokens: prompt.slice(0, 3) },
        { sequence: lane, tokens: [6] },
      ],
    });
    const batched = await readFloat32(gpu, batch.logits, 3 * V);
    const alone = model.createSequence();
    await model.forward({ sequences: [{ sequence: alone, tokens: prompt.slice(0, 6) }] });
    const single = await readFloat32(
      gpu,
      (await model.forward({ sequences: [{ sequence: alone, tokens: [4, 5] }] })).logits,
      V,
    );
    expect(relativeError(batched.subarray(0, V), single)).toBeLessThan(TOLERANCE);
    model.truncate(alone, 6);
    const forked = await readFloat32(
      gpu,
      (await model.forward({ sequences: [{ sequence: alone, tokens: [6] }] })).logits,
      V,
    );
    expect(relativeError(batched.subarray(2 * V, 3 * V), forked)).toBeLessThan(TOLERANCE);
    for (const s of [a, b, lane, alone]) model.releaseSequence(s);
  });

  test('hidden states, logit lens and attention probabilities equal the reference', async () => {
    const { gpu, model, reference, config } = await ready;
    const d = config.hiddenSize;
    const V = config.vocabSize;
    const tokens = prompt.slice(0, 9);
    const capture = { hiddenStates: true, logitLensLayers: [1], attention: { layer: 1, head: 3 } };
    const out = await model.forward({ sequences: [{ sequence: model.createSequence(), tokens }], capture });
    const ref = reference.forward({ sequences: [{ sequence: reference.createSequence(), tokens }], capture });
    const hidden = await readFloat32(gpu, out.hiddenStates!, (config.numLayers + 1) * d);
    ref.hiddenStates!.forEach((layer, j) =>
      expect(relativeError(hidden.subarray(j * d, (j + 1) * d), layer[0]), `layer ${j}`).toBeLessThan(
        TOLERANCE,
      ),
    );
    const lens = await readFloat32(gpu, out.logitLens!, V);
    expect(relativeError(lens, ref.logitLens![0][0])).toBeLessThan(TOLERANCE);
    const { queries, keys } = out.attention!;
    expect([queries, keys]).toEqual([9, 9]);
    const probs = await readFloat32(gpu, out.attention!.buffer, queries * keys);
    expect(relativeError(probs, ref.attention!.probs)).toBeLessThan(TOLERANCE);
  });

  test('bad requests are refused with the value named, and the model keeps working', async () => {
    const { model, config } = await ready;
    const seq = model.createSequence();
    await expect(
      model.forward({ sequences: [{ sequence: seq, tokens: [config.vocabSize] }] }),
    ).rejects.toThrow(String(config.vocabSize));
    await expect(model.forward({ sequences: [{ sequence: 999, tokens: [1] }] })).rejects.toThrow(
      /unknown sequence 999/,
    );
    await expect(
      model.forward({ sequences: [{ sequence: seq, tokens: [1] }], capture: { logitLensLayers: [9] } }),
    ).rejects.toThrow(/logit-lens layer must be in 1..2, got 9/);
    const ok = await model.forward({ sequences: [{ sequence: seq, tokens: [1, 2] }] });
    expect(ok.rows).toEqual([{ sequence: seq, position: 1 }]);
    model.releaseSequence(seq);
  });
});

describe.each(CASES)(
  'WGSL engine with f16 layer matrices vs reference on f16-rounded weights: %s',
  (_name, configJson) => {
    const ready = load(configJson, 22, 'f16');
    afterAll(async () => (await ready).model.dispose());

    test('prefill and 5 cached decode steps match; the model reports f16', async () => {
      const { gpu, model, reference, config } = await ready;
      expect(model.info.dtype).toBe('f16');
      const V = config.vocabSize;
      const tokens = [5, 9, 2, 33, 17, 8, 1, 40, 3, 3, 12, 7, 19, 23, 29, 31, 37, 41];
      const seq = model.createSequence();
      const refSeq = reference.createSequence();
      const out = await model.forward({ sequences: [{ sequence: seq, tokens }], logits: 'all' });
      const logits = await readFloat32(gpu, out.logits, tokens.length * V);
      reference
        .forward({ sequences: [{ sequence: refSeq, tokens }], logits: 'all' })
        .logits.forEach((row, r) =>
          expect(relativeError(logits.subarray(r * V, (r + 1) * V), row), `position ${r}`).toBeLessThan(
            TOLERANCE,
          ),
        );
      for (let step = 0; step < 5; step++) {
        const next = (step * 11 + 4) % V;
        const got = await readFloat32(
          gpu,
          (await model.forward({ sequences: [{ sequence: seq, tokens: [next] }] })).logits,
          V,
        );
        const want = reference.forward({ sequences: [{ sequence: refSeq, tokens: [next] }] }).logits[0];
        expect(relativeError(got, want), `step ${step}`).toBeLessThan(TOLERANCE);
      }
    });
  },
);
