// LOL as a Decode lane (tiny seeded 4-layer Llama + a 3-layer amateur): the session's tokens are
// LolStep's on the same models and prompt run directly, token for token (greedy and sampled lanes
// sharing their forwards with a merged lens capture); the records hold the four distributions,
// the combined one and the layers; a lower layer the model does not have is refused up front.
import { afterAll, describe, expect, test } from 'vitest';
import { seedFromNumber } from '../../kernels/random/philox';
import { loadTinyModel } from '../../model/engine/testing';
import { TINY_VOCAB } from '../../model/loading/fixtures/tinyModels';
import { tinyLlamaConfigJson } from '../../model/reference/tiny';
import type { Experiment, LaneConfig, SamplingConfig } from '../../share/experiment';
import { laneTraceSchema } from '../../share/trace-schema';
import type { LolConfig } from '../layers';
import { layerSource, LolStep, pipelineReadbackBytes } from '../layers';
import { componentPromptIds, DecodeSession, DecodeSetupError, laneStream } from '../lanes';
import { laneOf, tokenizer } from './formula-testing';

const SEED = 5;
const PROMPT = 'the cat sat';
const SAMPLED = { greedy: false, temperature: 0.9, topK: 20, topP: 1, minP: 0.01 };
const vocab_size = TINY_VOCAB.length + 1;
const original = loadTinyModel(tinyLlamaConfigJson({ vocab_size, num_hidden_layers: 4 }), 31);
const weak = loadTinyModel(tinyLlamaConfigJson({ vocab_size, num_hidden_layers: 3 }), 32);
afterAll(async () => ((await original).model.dispose(), (await weak).model.dispose()));

function experimentOf(lanes: LaneConfig[], maxTokens: number): Experiment {
  return {
    version: 1,
    models: {
      main: { source: 'default', id: 'tiny', sha256: {} },
      amateur: { source: 'default', id: 'tiny-amateur', sha256: {} },
    },
    prompt: PROMPT,
    image: null,
    seed: SEED,
    maxTokens,
    lanes,
  };
}

async function createSession(lanes: LaneConfig[], maxTokens: number) {
  const [main, amateur] = [await original, await weak];
  return DecodeSession.create({
    gpu: main.gpu,
    models: { main: main.model, amateur: amateur.model },
    tokenizer,
    experiment: experimentOf(lanes, maxTokens),
    image: null,
    eosTokenIds: [],
  });
}

/** LolStep run directly on its own two sequences. */
async function direct(config: LolConfig, sampling: SamplingConfig, laneId: string, steps: number) {
  const [main, amateur] = [await original, await weak];
  const lol = await LolStep.create(main.gpu, { vocab: vocab_size, numLayers: 4, amateurLayers: 3 }, config);
  const sequence = main.model.createSequence();
  const amateurSequence = amateur.model.createSequence();
  const tokens: number[] = [];
  try {
    let input = componentPromptIds(tokenizer, main.config, 'tiny', PROMPT, false);
    for (let step = 0; step < steps; step++) {
      const f = await main.model.forward({ sequences: [{ sequence, tokens: input }], capture: lol.capture });
      const a = await amateur.model.forward({ sequences: [{ sequence: amateurSequence, tokens: input }], capture: lol.amateurCapture }); // prettier-ignore
      const choice = { sampling, seed: seedFromNumber(SEED), stream: laneStream(laneId), counter: step };
      const result = await lol.step(layerSource(f, 0, [config.lowerLayer]), layerSource(a, 0, [lol.amateurLayer]), choice); // prettier-ignore
      tokens.push(result.token);
      input = [result.token];
    }
    return { tokens, amateurLayer: lol.amateurLayer };
  } finally {
    main.model.releaseSequence(sequence);
    amateur.model.releaseSequence(amateurSequence);
    lol.destroy();
  }
}

describe('LOL lanes in a DecodeSession', () => {
  test("greedy and sampled lanes give LolStep's tokens; four distributions per record", async () => {
    const greedyConfig: LolConfig = { alpha: 1, beta: 0.1, lowerLayer: 2, lowerWeight: 0.5 };
    const sampledConfig: LolConfig = { alpha: 0.5, beta: 0.2, lowerLayer: 1, lowerWeight: 2 };
    const steps = 5;
    const session = await createSession(
      [
        laneOf('lol-greedy', { method: 'lol', ...greedyConfig }),
        laneOf('lol-sampled', { method: 'lol', ...sampledConfig }, SAMPLED),
      ],
      steps,
    );
    await session.run();
    const traces = session.laneTraces();
    session.dispose();
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
      ).toEqual(want.tokens);
      expect(laneTraceSchema.safeParse(lane).success).toBe(true);
      expect(lane.inputs.map((i) => [i.model, i.distortion])).toEqual([
        ['main', null],
        ['amateur', null],
        ['main', { kind: 'layer', layer: config.lowerLayer }],
        ['amateur', { kind: 'layer', layer: want.amateurLayer }],
      ]);
      expect(lane.statistics.forwardPasses).toEqual({ main: steps, amateur: steps });
      // The pipeline's 4-input summaries + ranks under 4 rows (+ combined when sampled) + 3 pairs.
      const inspection = (sampling.greedy ? 4 : 5) * 8 + 3 * 48;
      expect(lane.statistics.readbackBytesPerToken).toBe(pipelineReadbackBytes(4) + inspection);
      for (const record of lane.tokens) {
        expect(record.components.map((c) => c.label)).toEqual([
          'final layer',
          'amateur final layer',
          `layer ${config.lowerLayer}`,
          `amateur layer ${want.amateurLayer}`,
        ]);
        expect(record.components.every((c) => c.top.length === 10 && c.chosenRank >= 1)).toBe(true);
        expect(record.divergences.map((d) => [d.a, d.b])).toEqual([[0, 1], [0, 2], [0, 3]]); // prettier-ignore
        expect(record.extra).toMatchObject({
          lowerLayer: config.lowerLayer,
          amateurLayer: want.amateurLayer,
        });
        expect(record.combined.chosenProbability).toBeGreaterThan(0);
        if (sampling.greedy) expect(record.combined.chosenRank).toBe(1);
        expect(record.changedByMethod).toBe(record.id !== record.components[0].top[0][0]);
      }
    }
  });

  test('a lower layer outside 1..L-1 is refused before anything runs', async () => {
    // Above the model's layers: refused by the method, which knows L.
    const high = laneOf('lol', { method: 'lol', alpha: 1, beta: 0.1, lowerLayer: 4, lowerWeight: 0.5 });
    await expect(createSession([high], 2)).rejects.toThrow(DecodeSetupError);
    await expect(createSession([high], 2)).rejects.toThrow(/lane 1 \(lol, LOL\).*lower layer must be an integer in 1\.\.3/); // prettier-ignore
    // 0 (the embeddings) is outside the catalog's range: refused by the experiment schema first.
    const zero = laneOf('lol', { method: 'lol', alpha: 1, beta: 0.1, lowerLayer: 0, lowerWeight: 0.5 });
    await expect(createSession([zero], 2)).rejects.toThrow(DecodeSetupError);
    await expect(createSession([zero], 2)).rejects.toThrow(/lowerLayer: 0 is below the minimum 1/);
  });
});
