// Contrastive search as a Decode lane: on a tiny seeded Llama its tokens, candidates and scores are
// the CPU reference's (Hugging Face's algorithm on the reference model); on a tiny VLM, beside a
// greedy lane and a VCD lane in one session, every lane keeps its tokens (greedy = generate(), VCD =
// its formula on the CPU, contrastive search = the step module run directly); and the default
// experiment (greedy, VCD, contrastive search on the committed Shapes VLM) runs through the worker.
import { afterAll, describe, expect, test } from 'vitest';
import { LogitPipeline } from '../../kernels/logits/fused';
import { loadTinyModel } from '../../model/engine/testing';
import { TINY_VOCAB } from '../../model/loading/fixtures/tinyModels';
import { tinyLlamaConfigJson } from '../../model/reference/tiny';
import { defaultExperiment } from '../../share/methods';
import { laneTraceSchema } from '../../share/trace-schema';
import { testGpu } from '../../testing/gpu';
import { WorkerClient } from '../../worker/client';
import { DecodeHost } from '../../worker/decodeHost';
import { GpuHost } from '../../worker/host';
import { ModelHost } from '../../worker/modelHost';
import { ShapesHost } from '../../worker/shapesHost';
import { hostEndpoint } from '../../worker/test-fakes';
import { ContrastiveSearch } from '../contrastive-search';
import { contrastiveSearchReference } from '../contrastive-search/reference';
import { generate, pipelineChooser } from '../generate';
import { diffusionNoise } from '../inputs';
import { componentPromptIds, DecodeSession } from '../lanes';
import { SEED, checkLane, contrastive, harness, laneOf, tokenizer } from './formula-testing';

const CONFIG = { k: 5, alpha: 0.6 };

describe('contrastive search lanes in a DecodeSession', () => {
  test('a lane on a tiny Llama gives the CPU reference tokens, candidates and scores', async () => {
    const { gpu, model, reference, config } = await loadTinyModel(
      tinyLlamaConfigJson({ vocab_size: TINY_VOCAB.length + 1, num_hidden_layers: 3 }),
      41,
    );
    const steps = 8;
    const experiment = {
      version: 1 as const,
      models: { main: { source: 'default' as const, id: 'tiny', sha256: {} } },
      prompt: 'the cat sat',
      image: null,
      seed: 1,
      maxTokens: steps,
      lanes: [laneOf('cs', { method: 'contrastive-search', ...CONFIG })],
    };
    const mapAsync = GPUBuffer.prototype.mapAsync;
    let mapped = 0;
    GPUBuffer.prototype.mapAsync = function (this: GPUBuffer, mode, offset = 0, size?: number) {
      mapped += size ?? this.size - offset;
      return mapAsync.call(this, mode, offset, size);
    };
    const session = await DecodeSession.create({ gpu, models: { main: model }, tokenizer, experiment, image: null, eosTokenIds: [] }); // prettier-ignore
    try {
      await session.run();
    } finally {
      GPUBuffer.prototype.mapAsync = mapAsync;
    }
    const [lane] = session.laneTraces();
    session.dispose();
    expect(lane.stopReason, lane.error).toBe('max-tokens');
    const ids = componentPromptIds(tokenizer, config, 'tiny', experiment.prompt, false);
    const want = contrastiveSearchReference(reference, ids, steps, CONFIG);
    expect(lane.tokens.map((t) => t.id)).toEqual(want.map((w) => w.token));
    expect(want.some((w) => w.chosen > 0)).toBe(true);
    expect(laneTraceSchema.safeParse(lane).success).toBe(true);
    lane.tokens.forEach((record, step) => {
      const { candidates, chosen } = want[step];
      expect(record.components).toHaveLength(1);
      expect(record.components[0].top.slice(0, CONFIG.k).map(([id]) => id)).toEqual(
        candidates.map((c) => c.id),
      );
      expect(record.components[0].chosenProbability).toBeCloseTo(candidates[chosen].probability, 5);
      expect(record.combined.top.map(([id]) => id)).toEqual(candidates.map((c) => c.id));
      expect(record.combined.top.reduce((s, [, p]) => s + p, 0)).toBeCloseTo(1, 5);
      expect(record.plausibleCount).toBe(CONFIG.k);
      expect(record.changedByMethod).toBe(chosen > 0);
      expect(record.extra).toMatchObject({ candidates: CONFIG.k, chosenRank: chosen + 1 });
      expect(Number(record.extra?.score)).toBeCloseTo(candidates[chosen].score, 4);
      candidates.forEach((c, i) => {
        const [id, p, cos, score] = String(record.extra?.[`cand${i + 1}`])
          .split(':')
          .map(Number);
        expect(id).toBe(c.id);
        expect(Math.abs(p - c.probability) + Math.abs(cos - c.maxCosine) + Math.abs(score - c.score)).toBeLessThan(1e-3); // prettier-ignore
      });
    });
    // The shared prompt prefill, the lane's own prompt forward (all rows, hidden states), 1 per token.
    expect(lane.statistics.forwardPasses).toEqual({ main: 2 + steps });
    expect(lane.statistics.readbackBytes).toBe(128 + steps * CONFIG.k * 136);
    expect(mapped).toBe(lane.statistics.readbackBytes);
    expect(gpu.takeUncapturedErrors()).toEqual([]);
    model.dispose();
  });

  describe('beside a greedy lane and a VCD lane on a tiny VLM', () => {
    const ready = harness('vlm');
    afterAll(async () => (await ready).dispose());

    test('every lane keeps its own tokens', async () => {
      const h = await ready;
      const steps = 6;
      const [greedy, vcd, cs] = await h.run(
        [
          laneOf('greedy', { method: 'plain' }),
          laneOf('vcd', { method: 'vcd', alpha: 1, beta: 0.1, noiseStep: 500 }),
          laneOf('cs', { method: 'contrastive-search', ...CONFIG }),
        ],
        steps,
      );
      for (const lane of [greedy, vcd, cs]) expect(lane.stopReason, lane.error).toBe('max-tokens');
      const prompt = h.ids(h.prompt, true);
      const { gpu, model, config } = h.main;
      const pipeline = await LogitPipeline.create(gpu, { rows: 1, vocab: config.vocabSize }, 1);
      try {
        const settings = { greedy: true, temperature: 1, topK: 0, topP: 1, minP: 0, seed: 0 };
        const result = await generate({ model, tokenizer, choose: pipelineChooser(pipeline, settings), prompt, image: h.image!, maxTokens: steps, eosTokenIds: [] }); // prettier-ignore
        expect(greedy.tokens.map((t) => t.id)).toEqual(result.tokens.map((t) => t.id));
      } finally {
        pipeline.destroy();
      }
      const views = [h.image!, diffusionNoise(h.image!, 500, SEED)].map((image) => ({ model: 'main' as const, ids: prompt, image })); // prettier-ignore
      checkLane(h, vcd, views, ([o, n]) => contrastive([o, n], [2, -1], 0.1), { greedy: true, temperature: 1, topK: 0, topP: 1, minP: 0 }); // prettier-ignore
      const shape = { vocab: config.vocabSize, hiddenSize: config.hiddenSize, numLayers: config.numLayers };
      const search = await ContrastiveSearch.create(gpu, shape, CONFIG);
      const source = model.createSequence();
      try {
        await search.prefill(model, source, prompt, h.image!);
        const direct: number[] = [];
        for (let step = 0; step < steps; step++) direct.push((await search.step(model)).token);
        expect(cs.tokens.map((t) => t.id)).toEqual(direct);
        search.release(model);
      } finally {
        model.releaseSequence(source);
        search.destroy();
      }
      expect(cs.statistics.forwardPasses).toEqual({ main: 2 + steps });
      expect(greedy.statistics.forwardPasses).toEqual({ main: steps });
    });
  });

  test('the default experiment (greedy, VCD, contrastive search on the Shapes VLM) through the worker', async () => {
    const shapes = new ShapesHost(() => new ModelHost());
    const client = new WorkerClient(
      hostEndpoint(
        (post) =>
          new GpuHost({
            checks: [],
            post,
            createGpu: testGpu,
            shapes,
            decode: new DecodeHost({
              slots: {
                workbench: null,
                shapes: (name) => shapes.host(name),
                shapesFolderUrl: (name) => `${location.origin}/models/${name}/`,
              },
              createSession: (options) => DecodeSession.create(options),
            }),
          }),
      ),
    );
    await client.request({ type: 'init' });
    const experiment = defaultExperiment();
    const { trace } = await client.request({ type: 'startDecode', experiment, paused: false });
    const report = trace.lanes.map(
      (l) =>
        `${l.laneId} (${experiment.lanes.find((c) => c.id === l.laneId)?.method.method}): ` +
        `[${l.tokens.map((t) => t.id).join(' ')}] "${l.text}" ${l.stopReason}, ` +
        `forwards ${JSON.stringify(l.statistics.forwardPasses)}, ${l.statistics.readbackBytesPerToken.toFixed(0)} B/token`,
    );
    console.warn(`default experiment:\n${report.join('\n')}`);
    expect(trace.lanes).toHaveLength(3);
    for (const lane of trace.lanes) {
      expect(lane.stopReason, lane.error).not.toBe('error');
      expect(lane.tokens.length).toBeGreaterThan(0);
      expect(laneTraceSchema.safeParse(lane).success).toBe(true);
    }
    const cs = trace.lanes[2];
    expect(cs.statistics.forwardPasses).toEqual({ main: 2 + cs.tokens.length });
  });
});
