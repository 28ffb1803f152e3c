// DoLa on the GPU (WGSL engine + divergence kernel + fused pipeline) against a CPU evaluation of the
// paper's formula on the CPU reference model (same weights): the premature layer, JS per layer,
// the combined distribution's top-10 and |V_head|, and the token, over several decoding steps.
import { afterAll, describe, expect, test } from 'vitest';
import { KernelInputError } from '../../gpu/errors';
import { seedFromNumber } from '../../kernels/random/philox';
import { loadTinyModel } from '../../model/engine/testing';
import { tinyLlamaConfigJson } from '../../model/reference/tiny';
import type { SamplingConfig } from '../../share/experiment';
import type { TokenChoice } from './choice';
import type { DolaConfig } from './config';
import { DolaStep } from './dola';
import { dolaReference, type DolaReference } from './reference';
import { layerSource } from './source';
import { expectSameStep } from './testing';

const LAYERS = 4;
const GREEDY: SamplingConfig = { greedy: true, temperature: 1, topK: 0, topP: 1, minP: 0 };
const SAMPLED: SamplingConfig = { greedy: false, temperature: 0.8, topK: 0, topP: 0.9, minP: 0 };
const PROMPT = [5, 9, 2, 33, 17, 8, 1, 40];

const ready = loadTinyModel(tinyLlamaConfigJson({ num_hidden_layers: LAYERS }), 31);
afterAll(async () => (await ready).model.dispose());

function choiceAt(sampling: SamplingConfig, counter: number): TokenChoice {
  return { sampling, seed: seedFromNumber(77), stream: 3, counter };
}

function expectSameLayer(gpu: Awaited<ReturnType<DolaStep['step']>>, cpu: DolaReference): void {
  expect(gpu.jsByLayer.map((j) => j.layer)).toEqual(cpu.jsByLayer.map((j) => j.layer));
  gpu.jsByLayer.forEach(({ js }, k) => expect(Math.abs(js - cpu.jsByLayer[k].js)).toBeLessThan(1e-4));
  expect(gpu.prematureLayer).toBe(cpu.prematureLayer);
}

describe('DoLa vs the CPU formula on a tiny 4-layer Llama', () => {
  test.each<[string, DolaConfig, SamplingConfig]>([
    ['all layers, greedy', { alpha: 1, beta: 0.1, layers: 'all' }, GREEDY],
    ['high bucket, top-p sampling', { alpha: 1, beta: 0.1, layers: 'high' }, SAMPLED],
    ['alpha 0.5, no mask, greedy', { alpha: 0.5, beta: 0, layers: 'all' }, GREEDY],
  ])('%s: 6 steps', async (_name, config, sampling) => {
    const { gpu, model, reference, config: modelConfig } = await ready;
    const dola = await DolaStep.create(gpu, { vocab: modelConfig.vocabSize, numLayers: LAYERS }, config);
    const sequence = model.createSequence();
    const referenceSequence = reference.createSequence();
    const layersSeen = new Set<number>();
    try {
      let input = PROMPT;
      for (let step = 0; step < 6; step++) {
        const forward = await model.forward({
          sequences: [{ sequence, tokens: input }],
          capture: dola.capture,
        });
        const cpuForward = reference.forward({
          sequences: [{ sequence: referenceSequence, tokens: input }],
          capture: dola.capture,
        });
        const choice = choiceAt(sampling, step);
        const got = await dola.step(layerSource(forward, 0, dola.candidateLayers), choice);
        const lens = new Map(dola.candidateLayers.map((layer, i) => [layer, cpuForward.logitLens![i][0]]));
        const want = dolaReference(cpuForward.logits[0], lens, dola.candidateLayers, config, choice);
        expectSameLayer(got, want);
        expectSameStep(got.row, got.token, want);
        expect(got.readbackBytes).toBe(16 * dola.candidateLayers.length + 424);
        expect(got.extra.prematureLayer).toBe(got.prematureLayer);
        layersSeen.add(got.prematureLayer);
        input = [got.token];
      }
      expect(gpu.takeUncapturedErrors()).toEqual([]);
    } finally {
      model.releaseSequence(sequence);
      dola.destroy();
    }
    console.warn(`DoLa ${config.layers}: premature layers used ${[...layersSeen].join(', ')}`);
  });

  test('the lane may sit at any row of a batched forward with a merged capture', async () => {
    const { gpu, model, reference, config: modelConfig } = await ready;
    const config: DolaConfig = { alpha: 1, beta: 0.1, layers: 'high' };
    const dola = await DolaStep.create(gpu, { vocab: modelConfig.vocabSize, numLayers: LAYERS }, config);
    const other = model.createSequence();
    const sequence = model.createSequence();
    try {
      // Another lane's sequence first, and a capture listing more layers in another order.
      const lensLayers = [3, 1, 2];
      const forward = await model.forward({
        sequences: [
          { sequence: other, tokens: [4, 4, 4] },
          { sequence, tokens: PROMPT },
        ],
        capture: { logitLensLayers: lensLayers },
      });
      const choice = choiceAt(SAMPLED, 11);
      const got = await dola.step(layerSource(forward, 1, lensLayers), choice);
      const cpuForward = reference.forward({
        sequences: [{ sequence: reference.createSequence(), tokens: PROMPT }],
        capture: { logitLensLayers: lensLayers },
      });
      const lens = new Map(lensLayers.map((layer, i) => [layer, cpuForward.logitLens![i][0]]));
      const want = dolaReference(cpuForward.logits[0], lens, dola.candidateLayers, config, choice);
      expectSameLayer(got, want);
      expectSameStep(got.row, got.token, want);
    } finally {
      model.releaseSequence(other);
      model.releaseSequence(sequence);
      dola.destroy();
    }
  });

  test('a forward without the candidate layers is refused with the layers it has', async () => {
    const { gpu, model, config: modelConfig } = await ready;
    const dola = await DolaStep.create(
      gpu,
      { vocab: modelConfig.vocabSize, numLayers: LAYERS },
      {
        alpha: 1,
        beta: 0.1,
        layers: 'all',
      },
    );
    const sequence = model.createSequence();
    try {
      const plain = await model.forward({ sequences: [{ sequence, tokens: PROMPT }] });
      await expect(dola.step(layerSource(plain, 0), choiceAt(GREEDY, 0))).rejects.toThrow(KernelInputError);
      const partial = await model.forward({
        sequences: [{ sequence, tokens: [3] }],
        capture: { logitLensLayers: [1, 2] },
      });
      await expect(dola.step(layerSource(partial, 0, [1, 2]), choiceAt(GREEDY, 1))).rejects.toThrow(
        /no logit lens of layer 3 .*\[1, 2\]/,
      );
    } finally {
      model.releaseSequence(sequence);
      dola.destroy();
    }
  });
});
