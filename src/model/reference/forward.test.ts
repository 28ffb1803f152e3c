import { describe, expect, test } from 'vitest';
import { gelu, layerNorm, linearKN, linearNK, rmsNorm } from './math';
import { ReferenceModel } from './forward';
import { tinyGpt2ConfigJson, tinyLlamaConfigJson, tinyModel } from './tiny';

const MODELS = {
  gpt2: () => tinyModel(tinyGpt2ConfigJson(), 3),
  llama: () => tinyModel(tinyLlamaConfigJson(), 4),
  qwen2: () => tinyModel(tinyLlamaConfigJson({ model_type: 'qwen2', tie_word_embeddings: true }), 5),
};

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe.each(Object.entries(MODELS))('reference forward (%s)', (_name, make) => {
  const prompt = [5, 9, 2, 33, 17, 8, 1];

  test('cached decoding equals running the whole prefix at once, for 20 steps', () => {
    const { config, weights } = make();
    const cached = new ReferenceModel(config, weights);
    const full = new ReferenceModel(config, weights);
    const seq = cached.createSequence();
    const tokens = [...prompt];
    let logits = cached.forward({ sequences: [{ sequence: seq, tokens }] }).logits[0];
    for (let step = 0; step < 20; step++) {
      const next = (tokens[tokens.length - 1] * 7 + step) % config.vocabSize;
      tokens.push(next);
      logits = cached.forward({ sequences: [{ sequence: seq, tokens: [next] }] }).logits[0];
      const fresh = full.createSequence();
      const whole = full.forward({ sequences: [{ sequence: fresh, tokens }] }).logits[0];
      full.releaseSequence(fresh);
      expect(maxAbsDiff(logits, whole)).toBeLessThan(1e-9);
    }
    expect(cached.sequenceLength(seq)).toBe(prompt.length + 20);
  });

  test("a batch equals each sequence alone, and 'all' rows equal 'last' rows of prefixes", () => {
    const { config, weights } = make();
    const model = new ReferenceModel(config, weights);
    const a = model.createSequence();
    const b = model.createSequence();
    const batch = model.forward({
      sequences: [
        { sequence: a, tokens: prompt },
        { sequence: b, tokens: [3, 4] },
      ],
      logits: 'all',
    });
    expect(batch.rows.map((r) => [r.sequence, r.position])).toEqual([
      ...prompt.map((_, i) => [a, i]),
      [b, 0],
      [b, 1],
    ]);
    const alone = new ReferenceModel(config, weights);
    prompt.forEach((_, i) => {
      const s = alone.createSequence();
      const last = alone.forward({ sequences: [{ sequence: s, tokens: prompt.slice(0, i + 1) }] }).logits[0];
      expect(maxAbsDiff(batch.logits[i], last)).toBeLessThan(1e-9);
    });
  });

  test('fork shares the prompt, truncate rolls back exactly', () => {
    const { config, weights } = make();
    const model = new ReferenceModel(config, weights);
    const seq = model.createSequence();
    model.forward({ sequences: [{ sequence: seq, tokens: prompt }] });
    const lane = model.fork(seq);
    const fromFork = model.forward({ sequences: [{ sequence: lane, tokens: [11] }] }).logits[0];
    const fromSource = model.forward({ sequences: [{ sequence: seq, tokens: [11, 12, 13] }] }).logits;
    model.truncate(seq, prompt.length);
    const again = model.forward({ sequences: [{ sequence: seq, tokens: [11] }] }).logits[0];
    expect(maxAbsDiff(fromFork, again)).toBeLessThan(1e-12);
    expect(fromSource).toHaveLength(1);
    expect(model.sequenceLength(lane)).toBe(prompt.length + 1);
    expect(() => model.truncate(seq, 99)).toThrow(/cannot truncate/);
  });

  test('hidden states, logit lens of the last layer, and attention probabilities are consistent', () => {
    const { config, weights } = make();
    const model = new ReferenceModel(config, weights);
    const seq = model.createSequence();
    const out = model.forward({
      sequences: [{ sequence: seq, tokens: prompt }],
      capture: {
        hiddenStates: true,
        logitLensLayers: [1, config.numLayers],
        attention: { layer: 1, head: 2 },
      },
    });
    expect(out.hiddenStates).toHaveLength(config.numLayers + 1);
    expect(maxAbsDiff(out.logitLens![1][0], out.logits[0])).toBeLessThan(1e-12);
    expect(maxAbsDiff(out.logitLens![0][0], out.logits[0])).toBeGreaterThan(1e-3);
    const { probs, queries, keys } = out.attention!;
    expect([queries, keys]).toEqual([prompt.length, prompt.length]);
    for (let q = 0; q < queries; q++) {
      const row = probs.subarray(q * keys, (q + 1) * keys);
      expect(Math.abs(row.reduce((s, p) => s + p, 0) - 1)).toBeLessThan(1e-6);
      for (let k = q + 1; k < keys; k++) expect(row[k]).toBe(0);
    }
    // Attention is far from uniform on these weights, so parity tests have something to compare.
    expect(Math.max(...probs.subarray((queries - 1) * keys))).toBeGreaterThan(1.5 / keys);
  });
});

describe('reference math', () => {
  test('linear layouts agree: [K,N] and its transpose [N,K]', () => {
    const w = Float32Array.from([1, 2, 3, 4, 5, 6]); // [K=2, N=3]
    const wt = Float32Array.from([1, 4, 2, 5, 3, 6]); // [N=3, K=2]
    expect([...linearKN([1, -1], w, 3)]).toEqual([-3, -3, -3]);
    expect([...linearNK([1, -1], wt, 3)]).toEqual([-3, -3, -3]);
  });
  test('norms and GELU on hand-computed values', () => {
    const ln = layerNorm([1, 3], Float32Array.from([1, 1]), Float32Array.from([0, 0]), 0);
    expect([...ln]).toEqual([-1, 1]);
    const rms = rmsNorm([3, 4], Float32Array.from([1, 2]), 0);
    expect(rms[0]).toBeCloseTo(3 / Math.sqrt(12.5), 12);
    expect(rms[1]).toBeCloseTo(8 / Math.sqrt(12.5), 12);
    expect(gelu(0)).toBe(0);
    expect(gelu(1)).toBeCloseTo(0.8411919906, 9);
  });
  test('GPT-2 with zeroed blocks reduces to LN_f(wte + wpe) · wte^T', () => {
    const { config, weights } = tinyModel(tinyGpt2ConfigJson({ n_layer: 1 }), 9);
    for (const [name, w] of weights) if (name.startsWith('h.0.') && /c_proj/.test(name)) w.fill(0);
    const model = new ReferenceModel(config, weights);
    const logits = model.forward({ sequences: [{ sequence: model.createSequence(), tokens: [7] }] })
      .logits[0];
    const d = config.hiddenSize;
    const wte = weights.get('wte.weight')!;
    const wpe = weights.get('wpe.weight')!;
    const x = Array.from({ length: d }, (_, i) => wte[7 * d + i] + wpe[i]);
    const expected = linearNK(
      layerNorm(x, weights.get('ln_f.weight')!, weights.get('ln_f.bias')!, config.normEps),
      wte,
      config.vocabSize,
    );
    expect(maxAbsDiff(logits, expected)).toBeLessThan(1e-5);
  });
});
