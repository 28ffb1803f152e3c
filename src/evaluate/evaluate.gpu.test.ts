// The Evaluate engine on the committed default VLM (public/models/shapes-vlm, served by the test
// page): a tiny evaluation (greedy and VCD lanes, POPE on 2 scenes per split, CHAIR on 2 scenes)
// runs end to end through DecodeSession, its greedy lane gives exactly the model card evaluator's
// numbers on the same scenes and questions (src/defaults/evaluate-vlm.ts: same tokens, same
// metrics), and cancelling stops the run with every sequence released.
import { afterAll, describe, expect, test } from 'vitest';
import {
  evaluateChair,
  evaluatePope,
  POPE_ANSWER_TOKENS,
  DEFAULT_CAPTION_TOKENS,
} from '../defaults/evaluate';
import type { LanguageModel } from '../model/interface';
import { defaultLane } from '../share/methods';
import { testGpu } from '../testing/gpu';
import { ModelHost } from '../worker/modelHost';
import { POPE_SPLITS } from '../world';
import { defaultEvaluationConfig, EVALUATION_DEFAULTS, type EvaluationConfig } from './config';
import { POPE_METRICS } from './counts';
import { EvaluationCancelledError, runEvaluation } from './runner';

const host = new ModelHost();
afterAll(() => host.reset());

async function loadVlm() {
  const gpu = await testGpu();
  if (!host.loadedModel()) {
    await host.load(
      gpu,
      0,
      { kind: 'url', url: `${location.origin}/models/shapes-vlm/`, useCache: false },
      () => undefined,
    );
  }
  const loaded = host.loadedModel()!;
  return { gpu, model: loaded.model, tokenizer: loaded.tokenizer };
}

/** The model, counting the sequences it holds (to see that a cancelled run released them). */
function counting(model: LanguageModel) {
  const live = new Set<number>();
  const wrapped: LanguageModel = {
    info: model.info,
    capabilities: model.capabilities,
    createSequence: () => {
      const s = model.createSequence();
      live.add(s);
      return s;
    },
    fork: (s) => {
      const f = model.fork(s);
      live.add(f);
      return f;
    },
    releaseSequence: (s) => {
      live.delete(s);
      model.releaseSequence(s);
    },
    sequenceLength: (s) => model.sequenceLength(s),
    truncate: (s, length) => model.truncate(s, length),
    forward: (request) => model.forward(request),
    dispose: () => model.dispose(),
  };
  return { wrapped, live };
}

const SCENES = 2;
const CAPTION_TOKENS = 12;

const config = (): EvaluationConfig => ({
  ...defaultEvaluationConfig(),
  lanes: [defaultLane('plain', 'greedy'), defaultLane('vcd', 'vcd')],
  benchmarks: {
    pope: { splits: [...POPE_SPLITS], scenes: SCENES, questionsPerScene: 3, maxTokens: POPE_ANSWER_TOKENS },
    chair: { scenes: SCENES, maxTokens: CAPTION_TOKENS, prompt: 'the picture shows' },
  },
  bootstrap: { resamples: 100, seed: 0, confidence: 0.95 },
});

describe('evaluation on the default VLM', () => {
  test("greedy vs VCD end to end; the greedy lane equals the model card's evaluator", async () => {
    const { gpu, model, tokenizer } = await loadVlm();
    expect(EVALUATION_DEFAULTS.pope.maxTokens).toBe(POPE_ANSWER_TOKENS);
    expect(EVALUATION_DEFAULTS.chair.maxTokens).toBe(DEFAULT_CAPTION_TOKENS);
    const progress: number[] = [];
    const result = await runEvaluation(
      config(),
      { gpu, models: { main: model }, tokenizer },
      { onProgress: (p) => progress.push(p.done) },
    );
    expect(progress.at(-1)).toBe(result.examplesRun);
    const seed = result.config.seed;
    const pope = await evaluatePope(gpu, model, { seed, scenes: SCENES });
    const [greedy, vcd] = result.lanes;
    greedy.pope!.forEach((summary) => {
      const card = pope[summary.split];
      expect(summary.questions).toBe(card.questions);
      expect(summary.unparsed).toBe(card.unparsed);
      for (const m of POPE_METRICS)
        expect(summary.metrics[m].value, `${summary.split} ${m}`).toBeCloseTo(card[m], 12);
    });
    const chair = await evaluateChair(gpu, model, { seed, scenes: SCENES, maxTokens: CAPTION_TOKENS });
    expect(result.chair!.answers[0].map((a) => a.text)).toEqual(chair.examples.map((e) => e.caption));
    expect(greedy.chair!.metrics.chairI.value).toBeCloseTo(chair.chairI, 12);
    expect(greedy.chair!.metrics.chairS.value).toBeCloseTo(chair.chairS, 12);
    expect(greedy.chair!.metrics.recall.value).toBeCloseTo(chair.recall, 12);
    expect(greedy.chair!.metrics.meanLength.value).toBeCloseTo(chair.meanLength, 12);
    // VCD ran on every example, with its differences to greedy.
    expect(result.pope!.answers[1].every((a) => a.tokens > 0 && a.error === undefined)).toBe(true);
    expect(
      vcd.pope!.every((s) => s.difference !== null && s.metrics.accuracy.low <= s.metrics.accuracy.high),
    ).toBe(true);
    expect(vcd.chair!.captions).toBe(SCENES);
    // 2-3 minutes alone on a loaded 2-core SwiftShader machine (compiling the VLM pipelines included).
  }, 400_000);

  test('cancelling stops at once and releases every sequence; the model runs again afterwards', async () => {
    const { gpu, model, tokenizer } = await loadVlm();
    const { wrapped, live } = counting(model);
    const controller = new AbortController();
    let reports = 0;
    const run = runEvaluation(
      config(),
      { gpu, models: { main: wrapped }, tokenizer },
      {
        signal: controller.signal,
        onProgress: () => {
          reports++;
          controller.abort();
        },
      },
    );
    await expect(run).rejects.toBeInstanceOf(EvaluationCancelledError);
    expect(reports).toBe(1);
    expect(live.size).toBe(0);
    const small = {
      ...config(),
      benchmarks: { pope: { splits: ['random' as const], scenes: 1, questionsPerScene: 1, maxTokens: 2 } },
    };
    const again = await runEvaluation(small, { gpu, models: { main: wrapped }, tokenizer });
    expect(again.pope!.answers[0]).toHaveLength(2);
    expect(live.size).toBe(0);
  });
});
