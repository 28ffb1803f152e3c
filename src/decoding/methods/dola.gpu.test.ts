// DoLa as a Decode lane (tiny seeded 4-layer Llama): the session's tokens are DolaStep's on the
// same model and prompt run directly, token for token (greedy and sampled, two lanes sharing one
// forward with a merged lens capture); the records are complete (final layer + the chosen premature
// layer, combined, JS per candidate layer, divergences) and valid trace records; every mapped byte
// is counted against a lane.
import { afterAll, describe, expect, test } from 'vitest';
import { seedFromNumber } from '../../kernels/random/philox';
import { loadTinyModel } from '../../model/engine/testing';
import { TINY_VOCAB } from '../../model/loading/fixtures/tinyModels';
import { tinyLlamaConfigJson } from '../../model/reference/tiny';
import type { DolaConfig } from '../layers';
import { DolaStep, layerSource, pipelineReadbackBytes } from '../layers';
import { componentPromptIds, DecodeSession, laneStream } from '../lanes';
import type { LaneConfig, SamplingConfig } from '../../share/experiment';
import { laneTraceSchema } from '../../share/trace-schema';
import { laneOf, tokenizer } from './formula-testing';

const SEED = 7;
const LAYERS = 4;
const PROMPT = 'the cat sat';
const SAMPLED = { greedy: false, temperature: 1.2, topK: 0, topP: 0.95, minP: 0 };
const ready = loadTinyModel(tinyLlamaConfigJson({ vocab_size: TINY_VOCAB.length + 1, num_hidden_layers: LAYERS }), 21); // prettier-ignore
afterAll(async () => (await ready).model.dispose());

async function runLanes(lanes: LaneConfig[], maxTokens: number) {
  const { gpu, model } = await ready;
  const experiment = {
    version: 1 as const,
    models: { main: { source: 'default' as const, id: 'tiny', sha256: {} } },
    prompt: PROMPT,
    image: null,
    seed: SEED,
    maxTokens,
    lanes,
  };
  const session = await DecodeSession.create({ gpu, models: { main: model }, tokenizer, experiment, image: null, eosTokenIds: [] }); // prettier-ignore
  const mapAsync = GPUBuffer.prototype.mapAsync;
  let mapped = 0;
  GPUBuffer.prototype.mapAsync = function (this: GPUBuffer, mode, offset = 0, size?: number) {
    mapped += size ?? this.size - offset;
    return mapAsync.call(this, mode, offset, size);
  };
  try {
    await session.run();
    return { traces: session.laneTraces(), mapped };
  } finally {
    GPUBuffer.prototype.mapAsync = mapAsync;
    session.dispose();
  }
}

/** DolaStep run directly on its own sequence: the tokens and premature layers of `steps` steps. */
async function direct(config: DolaConfig, sampling: SamplingConfig, laneId: string, steps: number) {
  const { gpu, model, config: modelConfig } = await ready;
  const dola = await DolaStep.create(gpu, { vocab: modelConfig.vocabSize, numLayers: LAYERS }, config);
  const sequence = model.createSequence();
  const out: { token: number; layer: number; probability: number }[] = [];
  try {
    let input = componentPromptIds(tokenizer, modelConfig, 'tiny', PROMPT, false);
    for (let step = 0; step < steps; step++) {
      const forward = await model.forward({
        sequences: [{ sequence, tokens: input }],
        capture: dola.capture,
      });
      const choice = { sampling, seed: seedFromNumber(SEED), stream: laneStream(laneId), counter: step };
      const result = await dola.step(layerSource(forward, 0, dola.candidateLayers), choice);
      out.push({ token: result.token, layer: result.prematureLayer, probability: result.probability });
      input = [result.token];
    }
    return { out, candidates: [...dola.candidateLayers], readback: dola.readbackBytes };
  } finally {
    model.releaseSequence(sequence);
    dola.destroy();
  }
}

describe('DoLa lanes in a DecodeSession', () => {
  test("greedy (all layers) and sampled (high bucket) lanes give DolaStep's tokens; full records", async () => {
    const greedyConfig: DolaConfig = { alpha: 1, beta: 0.1, layers: 'all' };
    const sampledConfig: DolaConfig = { alpha: 0.5, beta: 0.05, layers: 'high' };
    const steps = 6;
    const { traces, mapped } = await runLanes(
      [
        laneOf('dola-greedy', { method: 'dola', ...greedyConfig }),
        laneOf('dola-sampled', { method: 'dola', ...sampledConfig }, SAMPLED),
      ],
      steps,
    );
    const cases = [
      [traces[0], greedyConfig, { ...SAMPLED, greedy: true }],
      [traces[1], sampledConfig, SAMPLED],
    ] as const;
    for (const [lane, config, sampling] of cases) {
      expect(lane.stopReason, lane.error).toBe('max-tokens');
      const want = await direct(config, sampling, lane.laneId, steps);
      expect(
        lane.tokens.map((t) => t.id),
        lane.laneId,
      ).toEqual(want.out.map((w) => w.token));
      expect(laneTraceSchema.safeParse(lane).success).toBe(true);
      expect(lane.inputs.map((i) => i.distortion?.kind ?? null)).toEqual([null, 'layer']);
      expect(lane.statistics.forwardPasses).toEqual({ main: steps });
      // DolaStep's bytes + ranks under 2 rows (and the combined scores when sampled) + 1 divergence.
      const inspection = (sampling.greedy ? 2 : 3) * 8 + 48;
      expect(want.readback).toBe(16 * want.candidates.length + pipelineReadbackBytes(2));
      expect(lane.statistics.readbackBytesPerToken).toBe(want.readback + inspection);
      lane.tokens.forEach((record, step) => {
        const where = `${lane.laneId} step ${step}`;
        const layer = want.out[step].layer;
        expect(record.extra?.prematureLayer, where).toBe(layer);
        for (const candidate of want.candidates)
          expect(typeof record.extra?.[`js@${candidate}`]).toBe('number');
        expect(record.components.map((c) => c.label)).toEqual(['final layer', `layer ${layer} (premature)`]);
        record.components.forEach((c) => {
          expect(c.top.length, where).toBe(10);
          expect(c.chosenRank).toBeGreaterThanOrEqual(1);
          expect(c.chosenProbability).toBeGreaterThan(0);
        });
        expect(record.combined.chosenProbability, where).toBeCloseTo(want.out[step].probability, 5);
        if (sampling.greedy) expect(record.combined.chosenRank).toBe(1);
        else expect(record.combined.chosenRank).toBeGreaterThanOrEqual(1);
        expect(record.plausibleCount).toBeGreaterThan(0);
        expect(record.divergences).toHaveLength(1);
        // The inspector's JS(final || premature) is the JS DoLa chose the layer by.
        expect(Math.abs(record.divergences[0].js - Number(record.extra?.[`js@${layer}`])), where).toBeLessThan(1e-4); // prettier-ignore
        expect(record.changedByMethod).toBe(record.id !== record.components[0].top[0][0]);
      });
    }
    expect(mapped).toBe(traces.reduce((sum, t) => sum + t.statistics.readbackBytes, 0));
    expect((await ready).gpu.takeUncapturedErrors()).toEqual([]);
  });
});
