// Contrastive search on the GPU (WGSL engine + cosine kernel + row summaries) against the CPU
// reference run of the formula on the reference model with the same weights: the same tokens, the
// same candidates, probabilities, degeneration penalties and scores, step after step.
import { afterAll, describe, expect, test } from 'vitest';
import { loadTinyModel } from '../../model/engine/testing';
import { tinyLlamaConfigJson } from '../../model/reference/tiny';
import type { ContrastiveSearchConfig } from './config';
import { ContrastiveSearch, type ContrastiveStepResult } from './contrastive-search';
import { contrastiveSearchReference, type ReferenceToken } from './reference';

const PROMPT = [5, 9, 2, 33, 17, 8, 1, 40, 9, 2];
const STEPS = 8;

const ready = loadTinyModel(tinyLlamaConfigJson({ num_hidden_layers: 3 }), 41);
afterAll(async () => (await ready).model.dispose());

function expectSameToken(got: ContrastiveStepResult, want: ReferenceToken, step: number): void {
  expect(
    got.candidates.map((c) => c.id),
    `step ${step} candidates`,
  ).toEqual(want.candidates.map((c) => c.id));
  got.candidates.forEach((c, i) => {
    const w = want.candidates[i];
    expect(Math.abs(c.probability - w.probability), `step ${step} p[${i}]`).toBeLessThan(1e-5);
    expect(Math.abs(c.maxCosine - w.maxCosine), `step ${step} cos[${i}]`).toBeLessThan(1e-4);
    expect(c.position, `step ${step} position[${i}]`).toBe(w.position);
    expect(Math.abs(c.score - w.score), `step ${step} score[${i}]`).toBeLessThan(1e-4);
  });
  expect(got.chosen, `step ${step} chosen`).toBe(want.chosen);
  expect(got.token, `step ${step} token`).toBe(want.token);
}

describe('contrastive search vs the CPU reference on a tiny 3-layer Llama', () => {
  test.each<[string, ContrastiveSearchConfig]>([
    ['k 5, alpha 0.6 (the paper)', { k: 5, alpha: 0.6 }],
    ['k 10, alpha 0.9', { k: 10, alpha: 0.9 }],
    ['k 3, alpha 0 (greedy)', { k: 3, alpha: 0 }],
  ])('%s: 8 tokens', async (_name, config) => {
    const { gpu, model, reference, config: modelConfig } = await ready;
    const shape = { vocab: modelConfig.vocabSize, hiddenSize: modelConfig.hiddenSize, numLayers: 3 };
    // Capacity 4 < the prompt: the context grows at begin() and again at the first step.
    const search = await ContrastiveSearch.create(gpu, shape, config, 4);
    const sequence = model.createSequence();
    try {
      const prefill = await model.forward({
        sequences: [{ sequence, tokens: PROMPT }],
        logits: 'all',
        capture: ContrastiveSearch.prefillCapture,
      });
      const first = await search.begin(prefill, 0, PROMPT.length, sequence);
      const want = contrastiveSearchReference(reference, PROMPT, STEPS, config);
      expect(first.top.slice(0, config.k).map((t) => t.id)).toEqual(want[0].candidates.map((c) => c.id));
      const released: number[] = [];
      const ranks: number[] = [];
      for (let step = 0; step < STEPS; step++) {
        const before = search.sequence;
        const got = await search.step(model);
        expectSameToken(got, want[step], step);
        expect(got.readbackBytes).toBe(config.k * 136);
        if (got.sequence !== before) released.push(before);
        if (config.alpha === 0) expect(got.chosen).toBe(0);
        ranks.push(got.chosen + 1);
      }
      console.warn(`contrastive search k ${config.k} alpha ${config.alpha}: chosen ranks ${ranks.join(' ')}`);
      // The penalty matters at the paper's alpha: some token is not the most probable one.
      if (config.alpha >= 0.6) expect(ranks.some((rank) => rank > 1)).toBe(true);
      expect(model.sequenceLength(search.sequence)).toBe(PROMPT.length + STEPS);
      for (const loser of released) expect(() => model.sequenceLength(loser)).toThrow();
      expect(gpu.takeUncapturedErrors()).toEqual([]);
      model.releaseSequence(search.sequence);
    } finally {
      search.destroy();
    }
  });

  test('the lane may share its forwards with other lanes (rows at an offset)', async () => {
    const { gpu, model, reference, config: modelConfig } = await ready;
    const config = { k: 4, alpha: 0.6 };
    const shape = { vocab: modelConfig.vocabSize, hiddenSize: modelConfig.hiddenSize, numLayers: 3 };
    const search = await ContrastiveSearch.create(gpu, shape, config, 64);
    const other = model.createSequence();
    const sequence = model.createSequence();
    try {
      const prefill = await model.forward({
        sequences: [
          { sequence: other, tokens: [3, 4, 5] },
          { sequence, tokens: PROMPT },
        ],
        logits: 'all',
        capture: ContrastiveSearch.prefillCapture,
      });
      await search.begin(prefill, 3, PROMPT.length, sequence);
      const want = contrastiveSearchReference(reference, PROMPT, 4, config);
      for (let step = 0; step < 4; step++) {
        const candidates = search.prepare(model);
        const forward = await model.forward({
          sequences: [{ sequence: other, tokens: [7] }, ...candidates],
          capture: ContrastiveSearch.candidateCapture,
        });
        expectSameToken(await search.finish(model, forward, 1), want[step], step);
      }
      model.releaseSequence(search.sequence);
    } finally {
      model.releaseSequence(other);
      search.destroy();
    }
  });

  test("prefill() works on a fork of the runner's lane sequence, which stays as it was", async () => {
    const { gpu, model, reference, config: modelConfig } = await ready;
    const config = { k: 5, alpha: 0.6 };
    const shape = { vocab: modelConfig.vocabSize, hiddenSize: modelConfig.hiddenSize, numLayers: 3 };
    const search = await ContrastiveSearch.create(gpu, shape, config);
    const laneSequence = model.createSequence();
    try {
      // The runner prefilled the lane's prompt with logits 'last' and no capture.
      await model.forward({ sequences: [{ sequence: laneSequence, tokens: PROMPT }] });
      await search.prefill(model, laneSequence, PROMPT);
      expect(search.sequence).not.toBe(laneSequence);
      const want = contrastiveSearchReference(reference, PROMPT, 3, config);
      for (let step = 0; step < 3; step++) expectSameToken(await search.step(model), want[step], step);
      expect(model.sequenceLength(laneSequence)).toBe(PROMPT.length);
      const chain = search.sequence;
      search.release(model);
      expect(() => model.sequenceLength(chain)).toThrow();
    } finally {
      model.releaseSequence(laneSequence);
      search.destroy();
    }
  });

  test('refuses a prompt forward without every prompt row', async () => {
    const { gpu, model, config: modelConfig } = await ready;
    const shape = { vocab: modelConfig.vocabSize, hiddenSize: modelConfig.hiddenSize, numLayers: 3 };
    const search = await ContrastiveSearch.create(gpu, shape);
    const sequence = model.createSequence();
    try {
      const last = await model.forward({
        sequences: [{ sequence, tokens: PROMPT }],
        capture: ContrastiveSearch.prefillCapture,
      });
      await expect(search.begin(last, 0, PROMPT.length, sequence)).rejects.toThrow(/logits: 'all'/);
    } finally {
      model.releaseSequence(sequence);
      search.destroy();
    }
  });
});
