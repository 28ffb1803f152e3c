// Kernel check for the token-rank family: GPU vs the reference on hard rows at both large
// vocabularies. Ranks and logits are compared exactly (both sides compare the same f32 bits).
import { uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass } from '../../gpu/timing';
import type { KernelCheck, KernelCheckResult } from '../check';
import { seededRandom } from '../../testing/logits';
import { tokenRankReference, type RankQuery, type TokenRankResult } from './reference';
import { TokenRank } from './token-rank';

/**
 * [4, vocab] rows: 0 seeded gaussian-ish with 30% -Infinity; 1 every entry equal (ties); 2 a few
 * distinct levels with many ties, ±0 and NaN entries; 3 magnitudes near ±1e30 and +Infinity.
 */
export function hardRankRows(seed: number, vocab: number): Float32Array {
  const random = seededRandom(seed);
  const data = new Float32Array(4 * vocab);
  for (let i = 0; i < vocab; i++) {
    data[i] = random() < 0.3 ? -Infinity : (random() + random() + random() - 1.5) * 4;
    data[vocab + i] = 0.25;
    const level = Math.floor(random() * 5);
    data[2 * vocab + i] = level === 0 ? -0 : level === 1 ? 0 : level === 4 && random() < 0.1 ? NaN : level;
    data[3 * vocab + i] = random() < 0.001 ? Infinity : (random() - 0.5) * 2e30;
  }
  return data;
}

/** Queries that hit the interesting entries: the maximum, ties, -Infinity, ±0, NaN, +Infinity. */
export function hardRankQueries(data: Float32Array, vocab: number, count: number, seed: number): RankQuery[] {
  const random = seededRandom(seed);
  const find = (row: number, test: (x: number) => boolean) => {
    for (let i = 0; i < vocab; i++) if (test(data[row * vocab + i])) return i;
    return 0;
  };
  const fixed: RankQuery[] = [
    { row: 0, token: find(0, (x) => x === -Infinity) },
    { row: 1, token: vocab - 1 },
    { row: 2, token: find(2, (x) => Object.is(x, -0)) },
    { row: 2, token: find(2, (x) => Number.isNaN(x)) },
    { row: 3, token: find(3, (x) => x === Infinity) },
  ];
  const randomQueries = Array.from({ length: Math.max(0, count - fixed.length) }, () => ({
    row: Math.floor(random() * 4),
    token: Math.floor(random() * vocab),
  }));
  return [...fixed, ...randomQueries];
}

/** Null when every rank and logit bit pattern matches, else the first mismatch. */
export function compareRanks(actual: TokenRankResult[], expected: TokenRankResult[]): string | null {
  for (let q = 0; q < expected.length; q++) {
    const a = actual[q];
    const e = expected[q];
    const sameLogit = Object.is(a.logit, e.logit) || (Number.isNaN(a.logit) && Number.isNaN(e.logit));
    if (a.rank !== e.rank || !sameLogit) {
      return `query ${q}: gpu rank ${a.rank} logit ${a.logit}, ref rank ${e.rank} logit ${e.logit}`;
    }
  }
  return null;
}

async function rankCheck(gpu: Gpu): Promise<KernelCheckResult> {
  let gpuMs = 0;
  let cpuMs = 0;
  let timing: KernelCheckResult['timing'] = 'wall-clock';
  const details: string[] = [];
  for (const vocab of [50_257, 151_936]) {
    const data = hardRankRows(vocab, vocab);
    const queries = hardRankQueries(data, vocab, 37, vocab + 1);
    const logits = uploadStorage(gpu, data, `token-rank-check:${vocab}`);
    const kernel = await TokenRank.create(gpu, { maxQueries: queries.length, label: 'token-rank-check' });
    try {
      const args = { logits, vocab, rows: 4, queries };
      const actual = await kernel.compute(args);
      const timed = await timeComputePass(gpu, 'token-rank-check', (pass) => kernel.encode(pass, args));
      gpuMs += timed.ms;
      timing = timed.source;
      const start = performance.now();
      const expected = tokenRankReference(data, vocab, queries);
      cpuMs += performance.now() - start;
      const mismatch = compareRanks(actual, expected);
      if (mismatch) return { pass: false, detail: `V=${vocab}: ${mismatch}`, gpuMs, timing, cpuMs };
      details.push(`V=${vocab}: ${queries.length} queries exact`);
    } finally {
      kernel.destroy();
      logits.destroy();
    }
  }
  const errors = gpu.takeUncapturedErrors();
  const detail = `${details.join('; ')} (ties, -Infinity, ±0, NaN, +Infinity, 1e30 magnitudes)`;
  return {
    pass: errors.length === 0,
    detail: errors.length > 0 ? `${detail}; WebGPU errors: ${errors.join('; ')}` : detail,
    gpuMs,
    timing,
    cpuMs,
  };
}

export const checks: KernelCheck[] = [
  {
    id: 'token-rank/rank',
    family: 'token-rank',
    description:
      'Rank (1 + #greater, ties share the best rank) and logit of 37 chosen tokens in 4 hard rows at V=50,257 ' +
      'and V=151,936 (-Infinity, ties, ±0, NaN, +Infinity, 1e30 magnitudes) against the reference, exactly',
    run: rankCheck,
  },
];
