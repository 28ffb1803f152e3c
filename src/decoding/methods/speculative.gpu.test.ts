// The speculative Decode lane on the GPU, on the committed Shapes expert (target, main slot) and
// draft (amateur slot): a greedy speculative lane writes exactly a greedy plain lane's tokens beside
// it (greedy speculative decoding is greedy decoding), its records say what the verifier did, a
// sampled speculative lane draws the same tokens from the same experiment twice, and a draft with
// another tokenizer ends the lane with the Speculative tab's message while the other lanes go on.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../../gpu/runtime';
import { WgslModel } from '../../model/engine/model';
import type { LanguageModel } from '../../model/interface';
import { loadModelFolder, urlSource } from '../../model/loading';
import { TextTokenizer } from '../../model/tokenizer';
import type { Experiment, LaneConfig, SamplingConfig, SpeculativeLaneMethod } from '../../share/experiment';
import { defaultMethodConfig, defaultSampling } from '../../share/methods';
import type { LaneTrace } from '../../share/trace';
import { testGpu } from '../../testing/gpu';
import { DecodeSession } from '../lanes';

const TOKENS = 16;
const STATUSES = ['accepted', 'resampled', 'bonus', 'generated'];

async function loadDefault(gpu: Gpu, folder: string) {
  const loaded = await loadModelFolder(urlSource(`${location.origin}/models/${folder}/`, { cache: null }));
  const model = await WgslModel.create(
    gpu,
    loaded.config,
    { get: (name) => loaded.tensors.get(name)!.toFloat32() },
    { name: folder, fileHashes: loaded.fileHashes },
  );
  return { model, tokenizer: TextTokenizer.fromJson(loaded.tokenizerJson, loaded.tokenizerConfig) };
}

const speculative = (edit: Partial<SpeculativeLaneMethod> = {}) => ({
  ...defaultMethodConfig('speculative'),
  ...edit,
});

const laneOf = (id: string, method: LaneConfig['method'], sampling: SamplingConfig = defaultSampling()) => ({
  id,
  method,
  sampling,
});

describe('the speculative Decode lane on the Shapes expert and draft', () => {
  const ready = testGpu().then(async (gpu) => {
    const expert = await loadDefault(gpu, 'shapes-expert');
    const draft = await loadDefault(gpu, 'shapes-draft');
    return { gpu, expert, draft };
  });
  afterAll(async () => {
    const { expert, draft } = await ready;
    expert.model.dispose();
    draft.model.dispose();
  });

  async function run(lanes: LaneConfig[], seed = 3, draftModel?: LanguageModel): Promise<LaneTrace[]> {
    const { gpu, expert, draft } = await ready;
    const experiment: Experiment = {
      version: 1,
      models: {
        main: { source: 'default', id: 'shapes-expert', sha256: {} },
        amateur: { source: 'default', id: 'shapes-draft', sha256: {} },
      },
      prompt: 'the picture shows',
      image: null,
      seed,
      maxTokens: TOKENS,
      lanes,
    };
    const session = await DecodeSession.create({
      gpu,
      models: { main: expert.model, amateur: draftModel ?? draft.model },
      tokenizer: expert.tokenizer,
      experiment,
      image: null,
      eosTokenIds: [],
    });
    try {
      await session.run();
      return session.laneTraces();
    } finally {
      session.dispose();
    }
  }

  // Compiling the models' pipelines takes minutes on a loaded SwiftShader: done here, once.
  beforeAll(async () => void (await run([laneOf('warm', speculative({ draftLength: 2 }))])), 600_000);

  test("greedy: the speculative lanes write the plain lane's tokens, with records of the rounds", async () => {
    const [plain, spec, spectr, lookup] = await run([
      laneOf('plain', { method: 'plain' }),
      laneOf('spec', speculative({ draftLength: 4 })),
      laneOf('spectr', speculative({ variant: 'spectr', draftLength: 3, candidates: 2 })),
      laneOf('lookup', speculative({ variant: 'prompt-lookup', draftLength: 4 })),
    ]);
    const ids = (lane: LaneTrace) => lane.tokens.map((t) => t.id);
    expect(plain.tokens).toHaveLength(TOKENS);
    for (const lane of [spec, spectr, lookup]) {
      expect(lane.error, lane.laneId).toBeUndefined();
      expect(ids(lane), lane.laneId).toEqual(ids(plain));
      expect(lane.stopReason).toBe('max-tokens');
      expect(lane.inputs).toEqual([]);
    }

    const extras = spec.tokens.map((t) => t.extra!);
    const rounds = extras.map((e) => e.round as number);
    rounds.forEach((round, i) => i > 0 && expect(round).toBeGreaterThanOrEqual(rounds[i - 1]));
    expect(rounds[0]).toBe(0);
    for (const extra of extras) {
      expect(STATUSES).toContain(extra.status);
      for (const key of ['p', 'q', 'lane.acceptanceRate'] as const) {
        if (extra[key] === undefined) continue;
        expect(extra[key]).toBeGreaterThanOrEqual(0);
        expect(extra[key]).toBeLessThanOrEqual(1);
      }
      if (extra.status === 'accepted') expect(typeof extra.p).toBe('number');
      expect(extra.roundToken1).toMatch(/^\d+:[a-z]+:(draft|target|lookup):/);
    }
    // The Shapes draft agrees with the expert often: some drafts are kept, so fewer rounds than tokens.
    expect(extras.some((e) => e.status === 'accepted')).toBe(true);
    expect(new Set(rounds).size).toBeLessThan(TOKENS);
    const last = extras[extras.length - 1];
    expect(last['lane.targetCallsPerToken']).toBeLessThan(1);
    expect(last['lane.meanAcceptedLength']).toBeGreaterThan(0);
    // Every greedy token is the target's argmax.
    expect(spec.tokens.every((t) => t.combined.chosenRank === 1)).toBe(true);
    // Forwards are counted against the lane: the shared prefill and the engine's rounds.
    expect(spec.statistics.forwardPasses.main).toBeLessThan(plain.statistics.forwardPasses.main);
    expect(spec.statistics.forwardPasses.amateur).toBeGreaterThan(0);
    expect(lookup.statistics.forwardPasses.amateur).toBeUndefined();
    expect(spec.statistics.readbackBytes).toBeGreaterThan(0);
    expect(spectr.tokens.some((t) => t.extra?.variant === 'spectr')).toBe(true);
  });

  test('sampled: the same experiment gives the same tokens twice; another lane id draws differently', async () => {
    const sampling = { ...defaultSampling(), greedy: false, temperature: 1 };
    const lanes = [
      laneOf('s1', speculative({ draftLength: 3 }), sampling),
      laneOf('s2', speculative({ draftLength: 3 }), sampling),
    ];
    const first = await run(lanes);
    const again = await run(lanes);
    const ids = (traces: LaneTrace[]) => traces.map((lane) => lane.tokens.map((t) => t.id));
    expect(first.every((lane) => lane.error === undefined && lane.tokens.length === TOKENS)).toBe(true);
    expect(ids(again)).toEqual(ids(first));
    expect(ids(first)[0]).not.toEqual(ids(first)[1]);
    for (const token of first[0].tokens) {
      expect(STATUSES).toContain(token.extra!.status);
      const p = token.combined.chosenProbability;
      if (!Number.isNaN(p)) expect(p).toBeGreaterThan(0);
    }
  });

  test("a draft with another tokenizer ends the speculative lane with the engine's message; others go on", async () => {
    const { draft } = await ready;
    const info = { ...draft.model.info, fileHashes: { ...draft.model.info.fileHashes, 'tokenizer.json': 'f'.repeat(64) } }; // prettier-ignore
    const stranger: LanguageModel = Object.create(draft.model, { info: { value: info } });
    const [plain, spec] = await run([laneOf('plain', { method: 'plain' }), laneOf('spec', speculative())], 3, stranger); // prettier-ignore
    expect(plain.tokens).toHaveLength(TOKENS);
    expect(spec.stopReason).toBe('error');
    expect(spec.tokens).toEqual([]);
    expect(spec.error).toMatch(
      /come with different tokenizers .*load a draft that shares the target tokenizer/,
    );
  });
});
