// The lane runner on the GPU (tiny seeded VLM): a greedy plain lane gives generate()'s tokens, the
// same experiment gives the same ids twice (sampling lanes included), lanes that share a prompt
// prefill it once and fork it, and every mapped byte is counted against a lane.
import { afterAll, describe, expect, test } from 'vitest';
import { LogitPipeline } from '../../kernels/logits/fused';
import type { LaneTrace } from '../../share/trace';
import { generate, pipelineChooser } from '../generate';
import { harness, laneOf, tokenizer } from '../methods/formula-testing';
import { DecodeSession } from './session';

const SAMPLING = { greedy: false, temperature: 1.2, topK: 0, topP: 0.95, minP: 0 };

describe('DecodeSession on the WGSL engine', () => {
  const ready = harness('vlm');
  afterAll(async () => (await ready).dispose());

  test("a greedy plain lane gives generate()'s greedy tokens", async () => {
    const h = await ready;
    const [lane] = await h.run([laneOf('greedy', { method: 'plain' })], 8);
    const pipeline = await LogitPipeline.create(h.main.gpu, { rows: 1, vocab: h.main.config.vocabSize }, 1);
    try {
      const result = await generate({
        model: h.main.model,
        tokenizer,
        choose: pipelineChooser(pipeline, {
          greedy: true,
          temperature: 1,
          topK: 0,
          topP: 1,
          minP: 0,
          seed: 0,
        }),
        prompt: h.ids(h.prompt, true),
        image: h.image!,
        maxTokens: 8,
        eosTokenIds: [],
      });
      expect(lane.tokens.map((t) => t.id)).toEqual(result.tokens.map((t) => t.id));
      lane.tokens.forEach((t, i) =>
        expect(t.combined.chosenProbability).toBeCloseTo(result.tokens[i].probability, 5),
      );
    } finally {
      pipeline.destroy();
    }
  });

  test('the same experiment twice gives identical ids in every lane; different lane ids draw differently', async () => {
    const h = await ready;
    const lanes = [
      laneOf('s1', { method: 'plain' }, SAMPLING),
      laneOf('s2', { method: 'plain' }, SAMPLING),
      laneOf('vcd', { method: 'vcd', alpha: 1, beta: 0.1, noiseStep: 500 }, SAMPLING),
      laneOf('ritual', { method: 'ritual', alphaPos: 3, alphaNeg: 1, beta: 0.1, noiseStep: 500 }),
    ];
    const ids = (traces: LaneTrace[]) => traces.map((t) => t.tokens.map((r) => r.id));
    const first = ids(await h.run(lanes, 10));
    expect(ids(await h.run(lanes, 10))).toEqual(first);
    // s1 and s2 differ only in their id, so in their Philox stream.
    expect(first[0]).not.toEqual(first[1]);
  });

  test('lanes that share a prompt prefill it once and fork it; readback is counted byte for byte', async () => {
    const h = await ready;
    const experiment = {
      version: 1 as const,
      models: { main: { source: 'default' as const, id: 'tiny-main', sha256: {} } },
      prompt: h.prompt,
      image: { kind: 'scene' as const, seed: 1, index: 0 },
      seed: 3,
      maxTokens: 3,
      lanes: [
        laneOf('greedy', { method: 'plain' }),
        laneOf('vcd', { method: 'vcd', alpha: 1, beta: 0.1, noiseStep: 500 }),
        laneOf('vcd-2', { method: 'vcd', alpha: 2, beta: 0.1, noiseStep: 500 }),
        laneOf('sampled', { method: 'plain' }, SAMPLING),
      ],
    };
    const session = await DecodeSession.create({ gpu: h.main.gpu, models: { main: h.main.model }, tokenizer, experiment, image: h.image, eosTokenIds: [] }); // prettier-ignore
    const mapAsync = GPUBuffer.prototype.mapAsync;
    let mapped = 0;
    GPUBuffer.prototype.mapAsync = function (this: GPUBuffer, mode, offset = 0, size?: number) {
      mapped += size ?? this.size - offset;
      return mapAsync.call(this, mode, offset, size);
    };
    try {
      await session.run();
    } finally {
      GPUBuffer.prototype.mapAsync = mapAsync;
    }
    // Two distinct prompts (the original view, read by 4 components; the noised view, by 2).
    expect(session.counts.prefillSequences.main).toBe(2);
    expect(session.counts.prefillTokens.main).toBe(2 * h.ids(h.prompt, true).length);
    expect(session.counts.forks).toBe(4);
    expect(session.counts.forwards.main).toBe(3);
    const traces = session.laneTraces();
    expect(traces.map((t) => t.statistics.forwardPasses)).toEqual(Array(4).fill({ main: 3 }));
    expect(traces.reduce((sum, t) => sum + t.statistics.readbackBytes, 0)).toBe(mapped);
    // (C + 1) x 128 + 40 (fused step) + (C + 1) x 8 + (C - 1) x 48 (inspection), minus 8 when greedy.
    const perToken = (c: number, greedy: boolean) => (c + 1) * 136 + 40 + (c - 1) * 48 - (greedy ? 8 : 0);
    expect(traces.map((t) => t.statistics.readbackBytesPerToken)).toEqual([
      perToken(1, true),
      perToken(2, true),
      perToken(2, true),
      perToken(1, false),
    ]);
    session.dispose();
  });
});
