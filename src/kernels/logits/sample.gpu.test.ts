import { describe, expect, test } from 'vitest';
import { uploadStorage } from '../../gpu/readback';
import { testGpu } from '../../testing/gpu';
import { makeBatch, rowOf, type LogitKind } from '../../testing/logits';
import { runAndRead, storage } from '../../testing/run';
import { seedFromNumber, type Seed } from '../random/philox';
import { FilterKernel, type FilterParams } from './filter';
import { DECISION_WORDS, NO_TOKEN, parseDecision, parseSummary, SUMMARY_WORDS } from './layout';
import { sampleReference } from './reference';
import { SampleKernel } from './sample';
import { RowStatsKernel } from './stats';

interface Sampled {
  tokens: Uint32Array; // [rows, draws]
  lse: number[];
  thresholdKey: number[];
  keptMass: number[];
  keptCount: number[];
}

async function gpuSample(
  data: Float32Array,
  rows: number,
  vocab: number,
  filter: FilterParams,
  seed: Seed,
  streamBase: number,
  counter: number,
  draws: number,
): Promise<Sampled> {
  const gpu = await testGpu();
  const logits = uploadStorage(gpu, data, 'sample-input');
  const summary = storage(gpu, rows * SUMMARY_WORDS * 4, 'sample-summary');
  const decision = storage(gpu, rows * DECISION_WORDS * 4, 'sample-decision');
  const tokens = storage(gpu, rows * draws * 8, 'sample-tokens');
  const [stats, filterKernel, sample] = await Promise.all([
    RowStatsKernel.create(gpu),
    FilterKernel.create(gpu),
    SampleKernel.create(gpu),
  ]);
  try {
    const shape = { rows, vocab };
    const pairs = await runAndRead(
      gpu,
      'sample',
      (pass) => {
        stats.encode(pass, logits, summary, rows, vocab);
        filterKernel.encode(pass, logits, summary, decision, shape, filter);
        sample.encode(pass, logits, summary, decision, tokens, shape, { seed, streamBase, counter, draws });
      },
      tokens,
      rows * draws * 2,
    );
    const summaries = await runAndRead(gpu, 'noop', () => {}, summary, rows * SUMMARY_WORDS);
    const decisions = await runAndRead(gpu, 'noop', () => {}, decision, rows * DECISION_WORDS);
    const rowsRange = Array.from({ length: rows }, (_, r) => r);
    return {
      tokens: Uint32Array.from({ length: rows * draws }, (_, k) => pairs[2 * k]),
      lse: rowsRange.map((r) => parseSummary(summaries, r).lse),
      thresholdKey: rowsRange.map((r) => parseDecision(decisions, r).thresholdKey),
      keptMass: rowsRange.map((r) => parseDecision(decisions, r).keptMass),
      keptCount: rowsRange.map((r) => parseDecision(decisions, r).keptCount),
    };
  } finally {
    for (const b of [logits, summary, decision, tokens]) b.destroy();
    stats.destroy();
    filterKernel.destroy();
    sample.destroy();
  }
}

const ALL: FilterParams = { topK: 0, topP: 1, minP: 0 };

describe('seeded sampling on the GPU draws the same tokens as the reference', () => {
  test.each<[string, number, number, LogitKind[], FilterParams, number]>([
    ['vocab 1000, no filter', 1000, 4, ['normal', 'ties', 'neg-inf', 'flat'], ALL, 1024],
    ['vocab 50,257, top-p 0.9', 50_257, 2, ['normal', 'peaked'], { topK: 0, topP: 0.9, minP: 0 }, 256],
    ['vocab 151,936, top-k 50 + min-p 0.02', 151_936, 1, ['ties'], { topK: 50, topP: 1, minP: 0.02 }, 256],
    [
      'vocab 257, huge logits, top-p 0.99',
      257,
      3,
      ['huge', 'normal', 'flat'],
      { topK: 0, topP: 0.99, minP: 0 },
      1024,
    ],
  ])('%s', async (_name, vocab, rows, kinds, filter, draws) => {
    const data = makeBatch(vocab + rows, rows, vocab, kinds);
    const seed = seedFromNumber(0x1234_5678_9abc);
    const got = await gpuSample(data, rows, vocab, filter, seed, 7, 1000, draws);
    let mismatches = 0;
    for (let r = 0; r < rows; r++) {
      const row = rowOf(data, vocab, r);
      for (let d = 0; d < draws; d++) {
        const want = sampleReference(row, got.lse[r], got.thresholdKey[r], seed, 7 + r, 1000 + d);
        if (d === 0) {
          expect(got.keptCount[r]).toBe(want.keptCount);
          expect(Math.abs(got.keptMass[r] - want.keptMass)).toBeLessThanOrEqual(2e-6 * want.keptMass + 1);
        }
        if (got.tokens[r * draws + d] !== want.token) mismatches++;
      }
    }
    // A mismatch needs the uniform to land within exp's rounding (~1e-7) of a CDF step.
    expect(mismatches, `${mismatches} of ${rows * draws} draws differ`).toBe(0);
  });

  test('4096 draws of a 10-token distribution match the probabilities (chi-square)', async () => {
    const probs = [0.3, 0.2, 0.15, 0.1, 0.08, 0.07, 0.05, 0.03, 0.015, 0.005];
    const data = Float32Array.from(probs, Math.log);
    const draws = 4096;
    const got = await gpuSample(data, 1, probs.length, ALL, seedFromNumber(99), 0, 0, draws);
    const counts = new Array<number>(probs.length).fill(0);
    for (const t of got.tokens) counts[t]++;
    const chi2 = probs.reduce((sum, p, i) => sum + (counts[i] - draws * p) ** 2 / (draws * p), 0);
    // 9 degrees of freedom, p = 0.001 critical value 27.877.
    expect(chi2, `counts ${counts.join(',')}`).toBeLessThan(27.877);
  });

  test('a deliberately wrong distribution fails the same chi-square test', async () => {
    const probs = [0.3, 0.2, 0.15, 0.1, 0.08, 0.07, 0.05, 0.03, 0.015, 0.005];
    const skewed = probs.map((p, i) => (i === 0 ? p * 1.3 : p));
    const data = Float32Array.from(skewed, Math.log);
    const draws = 4096;
    const got = await gpuSample(data, 1, probs.length, ALL, seedFromNumber(99), 0, 0, draws);
    const counts = new Array<number>(probs.length).fill(0);
    for (const t of got.tokens) counts[t]++;
    const chi2 = probs.reduce((sum, p, i) => sum + (counts[i] - draws * p) ** 2 / (draws * p), 0);
    expect(chi2).toBeGreaterThan(27.877);
  });

  test('filtered sampling never draws outside the kept set and respects its renormalisation', async () => {
    const probs = [0.5, 0.25, 0.125, 0.0625, 0.0625];
    const data = Float32Array.from(probs, Math.log);
    const draws = 4096;
    const got = await gpuSample(
      data,
      1,
      probs.length,
      { topK: 2, topP: 1, minP: 0 },
      seedFromNumber(5),
      3,
      0,
      draws,
    );
    const counts = [0, 0];
    for (const t of got.tokens) {
      expect(t).toBeLessThan(2);
      counts[t]++;
    }
    const expected = [draws * (2 / 3), draws * (1 / 3)];
    const chi2 = counts.reduce((sum, c, i) => sum + (c - expected[i]) ** 2 / expected[i], 0);
    expect(chi2).toBeLessThan(10.828); // 1 degree of freedom, p = 0.001
  });

  test('an all -Infinity row yields no token, never garbage', async () => {
    const got = await gpuSample(new Float32Array(64).fill(-Infinity), 1, 64, ALL, seedFromNumber(1), 0, 0, 4);
    expect([...got.tokens]).toEqual([NO_TOKEN, NO_TOKEN, NO_TOKEN, NO_TOKEN]);
  });

  test('bad sampling parameters throw errors that name the value', async () => {
    const gpu = await testGpu();
    const sample = await SampleKernel.create(gpu);
    const buffer = storage(gpu, 1024, 'dummy');
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    const call = (over: Partial<{ draws: number; counter: number; streamBase: number }>) => () =>
      sample.encode(
        pass,
        buffer,
        buffer,
        buffer,
        buffer,
        { rows: 1, vocab: 4 },
        { seed: seedFromNumber(1), streamBase: 0, counter: 0, draws: 1, ...over },
      );
    expect(call({ draws: 0 })).toThrow(/draws .* got 0/);
    expect(call({ counter: -1 })).toThrow(/counter .* got -1/);
    expect(call({ streamBase: 1.5 })).toThrow(/stream .* got 1.5/);
    expect(call({ counter: 2 ** 32 - 1, draws: 2 })).toThrow(/counter of the last draw/);
    pass.end();
    buffer.destroy();
    sample.destroy();
  });
});
