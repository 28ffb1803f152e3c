// LOL on the GPU against a CPU evaluation of its formula on the reference models: with a separate
// amateur model of another depth (two forwards), and with the same model on a distorted prompt in
// the same batched forward.
import { afterAll, describe, expect, test } from 'vitest';
import { seedFromNumber } from '../../kernels/random/philox';
import { loadTinyModel } from '../../model/engine/testing';
import { tinyLlamaConfigJson } from '../../model/reference/tiny';
import type { SamplingConfig } from '../../share/experiment';
import type { TokenChoice } from './choice';
import type { LolConfig } from './config';
import { LolStep } from './lol';
import { lolReference } from './reference';
import { layerSource } from './source';
import { expectSameStep } from './testing';

const GREEDY: SamplingConfig = { greedy: true, temperature: 1, topK: 0, topP: 1, minP: 0 };
const SAMPLED: SamplingConfig = { greedy: false, temperature: 0.7, topK: 20, topP: 1, minP: 0.01 };
const PROMPT = [5, 9, 2, 33, 17, 8, 1, 40];
const DISTORTED = [5, 9, 2, 60, 61, 8, 1, 40];

const original = loadTinyModel(tinyLlamaConfigJson({ num_hidden_layers: 4 }), 31);
const amateur = loadTinyModel(tinyLlamaConfigJson({ num_hidden_layers: 3 }), 32);
afterAll(async () => {
  (await original).model.dispose();
  (await amateur).model.dispose();
});

const choiceAt = (sampling: SamplingConfig, counter: number): TokenChoice => ({
  sampling,
  seed: seedFromNumber(5),
  stream: 1,
  counter,
});

describe('LOL vs the CPU formula', () => {
  test.each<[string, LolConfig, SamplingConfig]>([
    ['greedy, alpha 1, omega 0.5', { alpha: 1, beta: 0.1, lowerLayer: 2, lowerWeight: 0.5 }, GREEDY],
    ['sampled, alpha 0.5, omega 2', { alpha: 0.5, beta: 0.2, lowerLayer: 1, lowerWeight: 2 }, SAMPLED],
  ])('amateur model (3 layers vs 4), %s: 5 steps', async (_name, config, sampling) => {
    const main = await original;
    const weak = await amateur;
    const { gpu } = main;
    const lol = await LolStep.create(
      gpu,
      { vocab: main.config.vocabSize, numLayers: 4, amateurLayers: 3 },
      config,
    );
    expect(lol.amateurLayer).toBe(config.lowerLayer === 2 ? 2 : 1);
    const sequence = main.model.createSequence();
    const weakSequence = weak.model.createSequence();
    const ref = main.reference.createSequence();
    const weakRef = weak.reference.createSequence();
    try {
      let input = PROMPT;
      for (let step = 0; step < 5; step++) {
        const forward = await main.model.forward({
          sequences: [{ sequence, tokens: input }],
          capture: lol.capture,
        });
        const weakForward = await weak.model.forward({
          sequences: [{ sequence: weakSequence, tokens: input }],
          capture: lol.amateurCapture,
        });
        const choice = choiceAt(sampling, step);
        const got = await lol.step(
          layerSource(forward, 0, [config.lowerLayer]),
          layerSource(weakForward, 0, [lol.amateurLayer]),
          choice,
        );
        const cpu = main.reference.forward({
          sequences: [{ sequence: ref, tokens: input }],
          capture: lol.capture,
        });
        const weakCpu = weak.reference.forward({
          sequences: [{ sequence: weakRef, tokens: input }],
          capture: lol.amateurCapture,
        });
        const want = lolReference(
          {
            final: cpu.logits[0],
            amateurFinal: weakCpu.logits[0],
            lower: cpu.logitLens![0][0],
            amateurLower: weakCpu.logitLens![0][0],
          },
          config,
          choice,
        );
        expectSameStep(got.row, got.token, want);
        expect(got.row.inputs).toHaveLength(4);
        expect(got.readbackBytes).toBe(680);
        input = [got.token];
      }
      expect(gpu.takeUncapturedErrors()).toEqual([]);
    } finally {
      main.model.releaseSequence(sequence);
      weak.model.releaseSequence(weakSequence);
      lol.destroy();
    }
  });

  test('the amateur as a distorted prompt to the same model, in one batched forward', async () => {
    const { gpu, model, reference, config: modelConfig } = await original;
    const config: LolConfig = { alpha: 1, beta: 0.1, lowerLayer: 1, lowerWeight: 1 };
    const lol = await LolStep.create(gpu, { vocab: modelConfig.vocabSize, numLayers: 4 }, config);
    expect(lol.amateurCapture).toEqual(lol.capture);
    const clean = model.createSequence();
    const distorted = model.createSequence();
    try {
      const forward = await model.forward({
        sequences: [
          { sequence: clean, tokens: PROMPT },
          { sequence: distorted, tokens: DISTORTED },
        ],
        capture: lol.capture,
      });
      const choice = choiceAt(GREEDY, 0);
      const lens = [config.lowerLayer];
      const got = await lol.step(layerSource(forward, 0, lens), layerSource(forward, 1, lens), choice);
      const cpu = reference.forward({
        sequences: [
          { sequence: reference.createSequence(), tokens: PROMPT },
          { sequence: reference.createSequence(), tokens: DISTORTED },
        ],
        capture: lol.capture,
      });
      const want = lolReference(
        {
          final: cpu.logits[0],
          amateurFinal: cpu.logits[1],
          lower: cpu.logitLens![0][0],
          amateurLower: cpu.logitLens![0][1],
        },
        config,
        choice,
      );
      expectSameStep(got.row, got.token, want);
    } finally {
      model.releaseSequence(clean);
      model.releaseSequence(distorted);
      lol.destroy();
    }
  });

  test('refuses a lower layer that is not below the final layer', async () => {
    const { gpu, config: modelConfig } = await original;
    await expect(
      LolStep.create(
        gpu,
        { vocab: modelConfig.vocabSize, numLayers: 4 },
        {
          alpha: 1,
          beta: 0.1,
          lowerLayer: 4,
          lowerWeight: 0.5,
        },
      ),
    ).rejects.toThrow(/lower layer must be an integer in 1\.\.3/);
  });
});
