// The speculative Decode method without a GPU: the catalog agrees with the engine (variants, ranges,
// the engine's messages), the lane's sampling and seed map onto the engine's deterministically,
// the plan refuses what cannot run with a clear message, records carry the round, and a
// speculative lane round-trips through a share link and a trace file.
import { describe, expect, test, vi } from 'vitest';
import { TINY_VOCAB, tinyTokenizerJson } from '../../model/loading/fixtures/tinyModels';
import { tinyLlamaConfigJson } from '../../model/reference/tiny';
import { parseModelConfig } from '../../model/config';
import { TextTokenizer } from '../../model/tokenizer';
import { decodeLink, encodeLink } from '../../share/codec';
import type { Experiment, SpeculativeLaneMethod } from '../../share/experiment';
import {
  METHODS,
  SPECULATIVE_VARIANTS,
  defaultExperiment,
  defaultLane,
  defaultMethodConfig,
  defaultSampling,
} from '../../share/methods';
import { exportTrace, importTrace } from '../../share/trace-file';
import type { LaneTrace, Trace } from '../../share/trace';
import { METHOD_DEFAULTS } from '../../speculative/defaults';
import type { RoundRecord } from '../../speculative/types';
import { MAX_CANDIDATES, MAX_DRAFT_LENGTH, MAX_NGRAM, MAX_WINDOW } from '../../speculative/validate';
import {
  laneSeed,
  samplingFilterProblems,
  speculativeConfigProblems,
  speculativeMethodOf,
  speculativeSamplingOf,
} from './speculative-config';
import { addRound, emittedRoundTokens, roundDecisions } from './speculative-record';

// The engine's modules read WebGPU's constants at load time; Node has none.
vi.hoisted(() => {
  Object.assign(globalThis, {
    GPUBufferUsage: { MAP_READ: 1, MAP_WRITE: 2, COPY_SRC: 4, COPY_DST: 8, INDEX: 16, VERTEX: 32, UNIFORM: 64, STORAGE: 128 }, // prettier-ignore
    GPUMapMode: { READ: 1, WRITE: 2 },
  });
});
const { DecodeSetupError } = await import('../lanes');
const { planLanes } = await import('../lanes/plan');

const config = (edit: Partial<SpeculativeLaneMethod> = {}): SpeculativeLaneMethod => ({
  ...defaultMethodConfig('speculative'),
  ...edit,
});

describe('the catalog entry agrees with the engine', () => {
  test('every engine method is a variant, and each variant maps to its engine defaults', () => {
    expect([...SPECULATIVE_VARIANTS]).toEqual(Object.keys(METHOD_DEFAULTS));
    expect(METHODS.speculative.label).toBe('Speculative (draft → verify)');
    expect(speculativeMethodOf(config())).toEqual(METHOD_DEFAULTS.speculative);
    expect(speculativeMethodOf(config({ variant: 'spectr' }))).toEqual(METHOD_DEFAULTS.spectr);
    expect(speculativeMethodOf(config({ variant: 'specdecpp', draftLength: 8 }))).toEqual(
      METHOD_DEFAULTS.specdecpp,
    );
    expect(speculativeMethodOf(config({ variant: 'prompt-lookup', draftLength: 10 }))).toEqual(
      METHOD_DEFAULTS['prompt-lookup'],
    );
    for (const variant of ['entropy-switch', 'foreal'] as const)
      expect(speculativeMethodOf(config({ variant }))).toEqual(METHOD_DEFAULTS[variant]);
    expect(speculativeMethodOf(config({ variant: 'judge', learningRate: 0.5 }))).toEqual(
      METHOD_DEFAULTS.judge,
    );
    // A rho floor above 1 reaches the kernel; 1 is the paper's rho* (unset).
    expect(speculativeMethodOf(config({ variant: 'spectr', rho: 1.5 }))).toMatchObject({ rho: 1.5 });
  });

  test("the catalog's ranges are the engine's", () => {
    const p = METHODS.speculative.parameters;
    expect([p.draftLength.min, p.draftLength.max, p.draftLength.integer]).toEqual([
      1,
      MAX_DRAFT_LENGTH,
      true,
    ]);
    expect([p.candidates.min, p.candidates.max]).toEqual([1, MAX_CANDIDATES]);
    expect([p.rho.min, p.rho.max]).toEqual([1, MAX_CANDIDATES]);
    expect([p.maxNgram.max, p.minNgram.max]).toEqual([MAX_NGRAM, MAX_NGRAM]);
    expect([p.window.max, p.leaderTokens.max]).toEqual([MAX_WINDOW, MAX_WINDOW]);
    for (const unit of [p.stopThreshold, p.judgeThreshold, p.gate])
      expect([unit.min, unit.max]).toEqual([0, 1]);
    expect(p.learningRate.minExclusive).toBe(true);
    for (const variant of SPECULATIVE_VARIANTS)
      expect(speculativeConfigProblems(config({ variant }))).toEqual([]);
  });

  test('the lane editor shows the variant and its own parameters only', () => {
    const active = METHODS.speculative.activeParameters!;
    expect(active(config())).toEqual(['variant', 'draftLength']);
    expect(active(config({ variant: 'spectr' }))).toEqual(['variant', 'draftLength', 'candidates', 'rho']);
    expect(active(config({ variant: 'entropy-switch' }))).toEqual(['variant', 'window', 'entropyThreshold']);
    expect(METHODS.speculative.choiceLabels?.variant?.judge).toMatch(/not exact/);
  });

  test("bad values are refused in the Speculative tab's words, for the chosen variant only", () => {
    expect(speculativeConfigProblems(config({ draftLength: 17 }))).toEqual([
      'speculative draft length K must be an integer in 1..16, got 17',
    ]);
    expect(speculativeConfigProblems(config({ variant: 'spectr', candidates: 2, rho: 3 }))).toEqual([
      "spectr rho must be in [1, candidates = 2] (or unset for the paper's rho*), got 3",
    ]);
    expect(speculativeConfigProblems(config({ variant: 'prompt-lookup', maxNgram: 2, minNgram: 3 }))).toEqual(
      ['prompt-lookup min n-gram 3 exceeds max n-gram 2'],
    );
    expect(speculativeConfigProblems(config({ variant: 'judge', judgeThreshold: 1.5 }))).toEqual([
      'judge threshold must be in [0, 1], got 1.5',
    ]);
    // SpecTr's rho is not read by speculative sampling, so it is not refused there.
    expect(speculativeConfigProblems(config({ rho: 7, candidates: 2 }))).toEqual([]);
  });
});

describe('sampling and seed', () => {
  test('greedy stays greedy; sampling uses the lane temperature for target and draft', () => {
    expect(speculativeSamplingOf(defaultSampling())).toEqual({
      greedy: true,
      temperature: 1,
      draftTemperature: 1,
    });
    const sampled = { ...defaultSampling(), greedy: false, temperature: 0.7 };
    expect(speculativeSamplingOf(sampled)).toEqual({
      greedy: false,
      temperature: 0.7,
      draftTemperature: 0.7,
    });
  });

  test('top-k, top-p and min-p are refused when sampling, ignored when greedy', () => {
    const filtered = { ...defaultSampling(), greedy: false, topK: 5, topP: 0.9 };
    expect(samplingFilterProblems(filtered)).toEqual([
      "top-k is 5, but speculative verification draws from the target's whole distribution at temperature T (the filters would change p and q): set it to 0 (off) for this lane, or decode greedily",
      "top-p is 0.9, but speculative verification draws from the target's whole distribution at temperature T (the filters would change p and q): set it to 1 (off) for this lane, or decode greedily",
    ]);
    expect(() => speculativeSamplingOf(filtered)).toThrow(/top-k is 5/);
    expect(samplingFilterProblems({ ...filtered, greedy: true })).toEqual([]);
  });

  test('the lane seed is a safe integer, a function of (seed, stream), different per stream', () => {
    const seeds = [
      { lo: 0, hi: 0 },
      { lo: 7, hi: 0 },
      { lo: 0xffffffff, hi: 0x1fffff },
    ];
    const values = seeds.flatMap((seed) => [1, 2, 0xffffffff].map((stream) => laneSeed(seed, stream)));
    for (const value of values) expect(Number.isSafeInteger(value) && value >= 0).toBe(true);
    expect(new Set(values).size).toBe(values.length);
    expect(laneSeed({ lo: 7, hi: 0 }, 2)).toBe(laneSeed({ lo: 7, hi: 0 }, 2));
  });
});

describe('planning refuses what cannot run, with the lane named', () => {
  const tokenizer = TextTokenizer.fromJson(tinyTokenizerJson(), { bos_token: '<s>', eos_token: '</s>' });
  const info = (name: string) => ({
    name,
    config: parseModelConfig(tinyLlamaConfigJson({ vocab_size: TINY_VOCAB.length })),
    parameterCount: 0,
    dtype: 'f32' as const,
    fileHashes: {},
    gpuBytes: 0,
    readsImages: false,
  });
  const experiment = (method: SpeculativeLaneMethod): Experiment => ({
    ...defaultExperiment(),
    models: { main: { source: 'default', id: 'shapes-expert', sha256: {} } },
    prompt: 'the cat sat',
    image: null,
    lanes: [{ ...defaultLane('speculative', 'spec'), method }],
  });
  const plan = (method: SpeculativeLaneMethod, amateur: boolean) =>
    planLanes({
      experiment: experiment(method),
      image: null,
      tokenizer,
      models: { main: info('expert'), ...(amateur ? { amateur: info('draft') } : {}) },
    });

  test('a drafting variant without a draft model; model-free variants need none', () => {
    expect(() => plan(config(), false)).toThrow(DecodeSetupError);
    expect(() => plan(config(), false)).toThrow(
      /lane 1 \(spec, Speculative \(draft → verify\)\): the speculative variant drafts with the model in the amateur slot, which is empty/,
    );
    const [lane] = plan(config({ variant: 'aded' }), false);
    expect(lane.components.map((c) => [c.label, c.model])).toEqual([['target', 'main']]);
    const [drafted] = plan(config(), true);
    expect(drafted.components.map((c) => [c.label, c.model])).toEqual([
      ['target', 'main'],
      ['draft', 'amateur'],
    ]);
    expect(drafted.components[0].ids).toEqual(drafted.components[1].ids);
  });

  test('an engine problem is the lane setup error', () => {
    expect(() => plan(config({ variant: 'prompt-lookup', maxNgram: 1, minNgram: 2 }), false)).toThrow(
      'prompt-lookup min n-gram 2 exceeds max n-gram 1',
    );
  });
});

const ROUND: RoundRecord = {
  round: 3,
  draftLength: 3,
  tokens: [
    { id: 5, status: 'accepted', source: 'draft', p: 0.9, q: 0.8 },
    { id: 6, status: 'rejected', source: 'draft', p: 0.01, q: 0.7 },
    { id: 7, status: 'discarded', source: 'draft', p: null, q: null },
    { id: 8, status: 'resampled', source: 'target', p: null, q: null },
  ],
  emitted: [5, 8],
  accepted: 1,
  targetCalls: 1,
  draftCalls: 3,
  exact: true,
  extra: { predictedReject: [0.1, 0.2] },
  ms: 3,
};

describe('records', () => {
  // Two rounds before this one (5 drafted, 3 kept, 2 target calls) wrote 4 tokens.
  const totals = addRound({ drafted: 5, accepted: 3, draftingRounds: 2, targetCalls: 2 }, ROUND);
  const context = { variant: 'speculative' as const, exact: true, greedy: false, vocab: 62, totals, tokensBefore: 4, theoreticalTokensPerCall: 1.9, summary: { headUpdates: 4 } }; // prettier-ignore

  test('one record per emitted token: status, p and q, the round and its drafted tokens', () => {
    expect(emittedRoundTokens(ROUND).map((t) => t.id)).toEqual([5, 8]);
    const [kept, resampled] = roundDecisions(ROUND, context);
    expect(kept.token).toBe(5);
    expect(kept.record.extra).toMatchObject({ round: 3, status: 'accepted', source: 'draft', p: 0.9, q: 0.8, position: 1 }); // prettier-ignore
    expect(kept.record.combined).toMatchObject({ top: [[5, 0.9]], chosenProbability: 0.9, chosenRank: 0 });
    expect(resampled.token).toBe(8);
    expect(resampled.record.extra).toMatchObject({ status: 'resampled', source: 'target', position: 2 });
    expect(resampled.record.extra).not.toHaveProperty('p');
    expect(Number.isNaN(resampled.record.combined.chosenProbability)).toBe(true);
    expect(resampled.record.extra).toMatchObject({
      roundToken1: '5:accepted:draft:0.9:0.8',
      roundToken2: '6:rejected:draft:0.01:0.7',
      roundToken3: '7:discarded:draft:-:-',
      roundToken4: '8:resampled:target:-:-',
      drafted: 3,
      accepted: 1,
      emitted: 2,
      exact: 'exact',
      'round.predictedReject': '0.1 0.2',
      targetCalls: 1,
      draftCalls: 3,
      'lane.acceptanceRate': 0.5,
      'lane.meanAcceptedLength': 4 / 3,
      'lane.theoreticalTokensPerCall': 1.9,
      'lane.targetCallsPerToken': 3 / 6,
      'lane.headUpdates': 4,
    });
    expect(kept.record).toMatchObject({ components: [], divergences: [], plausibleCount: 62, changedByMethod: false }); // prettier-ignore
  });

  test('greedy tokens are the target argmax (rank 1); a cut round records only what it emitted', () => {
    const greedy = roundDecisions({ ...ROUND, emitted: [5] }, { ...context, greedy: true });
    expect(greedy).toHaveLength(1);
    expect(greedy[0].record.combined.chosenRank).toBe(1);
  });

  test('a speculative lane and its records round-trip through a link and a trace file', () => {
    const experiment = defaultExperiment();
    experiment.models = {
      main: { source: 'default', id: 'shapes-expert', sha256: {} },
      amateur: { source: 'default', id: 'shapes-draft', sha256: {} },
    };
    experiment.image = null;
    experiment.lanes = [
      defaultLane('plain', 'greedy'),
      { ...defaultLane('speculative', 'spec'), method: config({ variant: 'spectr', draftLength: 3, candidates: 3, rho: 2.5 }) }, // prettier-ignore
      { ...defaultLane('speculative', 'lookup'), method: config({ variant: 'prompt-lookup', maxNgram: 4 }), sampling: { ...defaultSampling(), greedy: false, temperature: 0.8 } }, // prettier-ignore
    ];
    expect(decodeLink(encodeLink(experiment))).toEqual({ ok: true, experiment });

    const tokens = roundDecisions(ROUND, context).map(({ token, record }, step) => ({ step, id: token, piece: `t${token}`, ...record })); // prettier-ignore
    const lane: LaneTrace = {
      laneId: 'spec',
      inputs: [],
      tokens,
      text: 't5t8',
      stopReason: 'max-tokens',
      statistics: { tokens: 2, forwardPasses: { main: 2, amateur: 4 }, tokensPerSecond: 3, meanEntropy: NaN, readbackBytes: 900, readbackBytesPerToken: 450 }, // prettier-ignore
    };
    const trace: Trace = {
      version: 1,
      experiment,
      promptTokens: [1, 2, 3],
      lanes: [lane],
      environment: { adapter: 'test', userAgent: 'test', createdAt: '2025-01-31T12:00:00.000Z' },
    };
    const imported = importTrace(exportTrace(trace));
    expect(imported).toEqual({ ok: true, trace });
  });
});
