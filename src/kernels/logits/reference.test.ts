// Hand-computed cases for the logit spec (reference.ts) and the float keys it shares with the
// shaders (layout.ts). The GPU parity tests trust these functions, so these tests pin them down.
import { describe, expect, test } from 'vitest';
import { philoxBits24, seedFromNumber } from '../random/philox';
import type { CombineParams } from './combine';
import { NO_FILTER, type FilterParams } from './filter';
import { MASS_SCALE, orderedKey } from './layout';
import {
  combineReference,
  isKept,
  logSoftmaxReference,
  massOf,
  rowStatsReference,
  sampleReference,
  scaleBy24,
  thresholdsReference,
  topIndices,
} from './reference';

const LN2 = Math.log(2);
const NEG = -Infinity;

/** Logits whose softmax is `probs` (0 -> -Infinity). */
const logitsOf = (probs: number[]): number[] => probs.map((p) => (p === 0 ? NEG : Math.log(p)));

function softmax(scores: ArrayLike<number>): number[] {
  const values = Array.from(scores);
  const max = Math.max(...values.filter((x) => x !== NEG));
  const exps = values.map((x) => (x === NEG ? 0 : Math.exp(x - max)));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

const combine = (overrides: Partial<CombineParams>): CombineParams => ({
  weights: [1],
  baseInput: 0,
  beta: 0,
  temperature: 1,
  ...overrides,
});

const filter = (overrides: Partial<FilterParams>): FilterParams => ({ ...NO_FILTER, ...overrides });

/** Token ids kept by a row's thresholds. */
function keptIds(row: number[], params: FilterParams): number[] {
  const { lse } = rowStatsReference(row);
  const { thresholdKey } = thresholdsReference(row, lse, params);
  return row.flatMap((x, id) => (isKept(x, thresholdKey) ? [id] : []));
}

describe('rowStatsReference', () => {
  test('[0, 0]: lse = entropy = ln 2, argmax 0, both tokens at probability 1/2', () => {
    const s = rowStatsReference([0, 0]);
    expect(s.max).toBe(0);
    expect(s.lse).toBeCloseTo(LN2, 15);
    expect(s.entropy).toBeCloseTo(LN2, 15);
    expect(s).toMatchObject({ argmax: 0, finiteCount: 2, invalidCount: 0 });
    expect(s.top.map((t) => t.id)).toEqual([0, 1]);
    for (const t of s.top) expect(t.prob).toBeCloseTo(0.5, 15);
  });

  test('-Infinity entries are probability zero and take part in nothing', () => {
    // softmax = [1/4, 0, 3/4]: lse = ln 4, entropy = ln 4 - (3/4) ln 3.
    const s = rowStatsReference([0, NEG, Math.log(3)]);
    expect(s.max).toBe(Math.log(3));
    expect(s.lse).toBeCloseTo(Math.log(4), 14);
    expect(s.entropy).toBeCloseTo(Math.log(4) - 0.75 * Math.log(3), 14);
    expect(s).toMatchObject({ argmax: 2, finiteCount: 2, invalidCount: 0 });
    expect(s.top.map((t) => [t.id, t.prob])).toEqual([
      [2, expect.closeTo(0.75, 14)],
      [0, expect.closeTo(0.25, 14)],
    ]);
  });

  test('NaN and +Infinity are counted as invalid and otherwise ignored', () => {
    const s = rowStatsReference([NaN, 1, Infinity, 1, NEG]);
    expect(s).toMatchObject({ invalidCount: 2, finiteCount: 2, argmax: 1, max: 1 });
    expect(s.lse).toBeCloseTo(1 + LN2, 14);
    expect(s.top.map((t) => t.id)).toEqual([1, 3]);
  });

  test('a row with no finite entry has no argmax, lse -Infinity, entropy 0', () => {
    expect(rowStatsReference([NEG, NaN, NEG])).toEqual({
      max: NEG,
      lse: NEG,
      entropy: 0,
      argmax: null,
      invalidCount: 1,
      finiteCount: 0,
      top: [],
    });
  });

  test('ties: argmax is the lowest index among the maxima', () => {
    expect(rowStatsReference([1, 3, 2, 3, 3]).argmax).toBe(1);
    expect(rowStatsReference([NEG, 7, 7]).argmax).toBe(1);
  });

  test('top-10: logit descending, ties by index ascending, only 10 entries, finite only', () => {
    //           0  1  2  3  4  5   6  7  8    9  10 11  12 13
    const row = [5, 1, 9, 5, 7, 5, NEG, 2, 9, NaN, 0, 3, -1, 5];
    expect(rowStatsReference(row).top.map((t) => t.id)).toEqual([2, 8, 4, 0, 3, 5, 13, 11, 7, 1]);
    expect(topIndices(row, 20)).toEqual([2, 8, 4, 0, 3, 5, 13, 11, 7, 1, 10, 12]);
  });

  test('huge magnitudes do not overflow (max subtraction)', () => {
    const s = rowStatsReference([1e30, 1e30]);
    expect(s.lse).toBe(1e30);
    expect(s.entropy).toBeCloseTo(LN2, 15);
  });
});

describe('logSoftmaxReference', () => {
  test('exp of the result sums to 1; -Infinity and NaN pass through', () => {
    const row = [3.25, -1, NEG, 0.5, 12, -7.75, NaN];
    const logp = logSoftmaxReference(row);
    expect(logp[2]).toBe(NEG);
    expect(logp[6]).toBeNaN();
    const total = Array.from(logp).reduce((sum, lp) => (Number.isFinite(lp) ? sum + Math.exp(lp) : sum), 0);
    expect(total).toBeCloseTo(1, 6);
    expect(logp[4]).toBeCloseTo(12 - rowStatsReference(row).lse, 6);
  });

  test('[0, 0] gives -ln 2 twice', () => {
    expect(Array.from(logSoftmaxReference([0, 0]))).toEqual([Math.fround(-LN2), Math.fround(-LN2)]);
  });
});

describe('combineReference', () => {
  const l1 = [2.5, -1, 0.75, 4, -3];
  const l2 = [1, 0.5, -2, 3.5, 0];

  test('weights [1], T = 1, no mask is log-softmax', () => {
    expect(combineReference([l1], combine({}))).toEqual(logSoftmaxReference(l1));
  });

  test('temperature divides the score', () => {
    const plain = combineReference([l1], combine({}));
    const hot = combineReference([l1], combine({ temperature: 2 }));
    hot.forEach((x, y) => expect(x).toBeCloseTo(plain[y] / 2, 6));
  });

  test('VCD weights [1 + a, -a] give softmax((1 + a) l1 - a l2) (shift invariance)', () => {
    const a = 0.5;
    const got = softmax(combineReference([l1, l2], combine({ weights: [1 + a, -a] })));
    const want = softmax(l1.map((x, y) => (1 + a) * x - a * l2[y]));
    got.forEach((p, y) => expect(p, `token ${y}`).toBeCloseTo(want[y], 6));
  });

  test('plausibility beta = 0.5 keeps p_base(y) >= 0.5 max p_base, by hand', () => {
    // Base probabilities [0.5, 0.3, 0.15, 0.05]: the bar is 0.25, so tokens 0 and 1 stay.
    const base = logitsOf([0.5, 0.3, 0.15, 0.05]);
    const out = combineReference([base], combine({ beta: 0.5 }));
    expect(out[2]).toBe(NEG);
    expect(out[3]).toBe(NEG);
    expect(out[0]).toBeCloseTo(Math.log(0.5), 6);
    expect(out[1]).toBeCloseTo(Math.log(0.3), 6);
  });

  test('the mask is inclusive at exactly beta * max', () => {
    const logBeta = Math.log(0.5);
    const out = combineReference([[0, logBeta, logBeta - 1e-6]], combine({ beta: 0.5 }));
    expect(Number.isFinite(out[1])).toBe(true);
    expect(out[2]).toBe(NEG);
  });

  test('the mask comes from the base input even when its weight is 0', () => {
    // Input 0 only masks (weight 0); input 1 scores. Input 0 keeps tokens 0 and 2 at beta 0.5.
    const base = logitsOf([0.4, 0.1, 0.3, 0.15]);
    const scorer = [0, 1, 2, 3];
    const out = combineReference([base, scorer], combine({ weights: [0, 1], beta: 0.5 }));
    const lse = rowStatsReference(scorer).lse;
    expect(Array.from(out)).toEqual([Math.fround(0 - lse), NEG, Math.fround(2 - lse), NEG]);
  });

  test('-Infinity in an input with a non-zero weight excludes the token (no +Infinity)', () => {
    const out = combineReference(
      [
        [0, 0, 0],
        [0, NEG, 0],
      ],
      combine({ weights: [2, -1] }),
    );
    expect(out[1]).toBe(NEG);
    // 2 (0 - ln 3) - (0 - ln 2) for the others.
    expect(out[0]).toBeCloseTo(-2 * Math.log(3) + LN2, 6);
    expect(out[2]).toBe(out[0]);
  });

  test('an input with weight 0 is ignored, -Infinity entries included', () => {
    const out = combineReference([l1, [0, NEG, 0, NEG, 0]], combine({ weights: [1, 0] }));
    expect(out).toEqual(logSoftmaxReference(l1));
  });

  test('an invalid entry in any input gives NaN for that token', () => {
    const out = combineReference([l1, [0, 0, NaN, 0, Infinity]], combine({ weights: [1, 1] }));
    expect(out[2]).toBeNaN();
    expect(out[4]).toBeNaN();
    expect(Number.isFinite(out[0])).toBe(true);
  });
});

describe('thresholdsReference', () => {
  test('all filters off keep every finite token', () => {
    const row = [1, NEG, 0, 3];
    expect(thresholdsReference(row, rowStatsReference(row).lse, NO_FILTER).thresholdKey).toBe(0);
    expect(keptIds(row, NO_FILTER)).toEqual([0, 2, 3]);
  });

  test('top-k keeps every tie at the boundary', () => {
    const row = [3, 2, 2, 1, 2, 0];
    expect(keptIds(row, filter({ topK: 2 }))).toEqual([0, 1, 2, 4]);
    expect(keptIds(row, filter({ topK: 1 }))).toEqual([0]);
    expect(thresholdsReference(row, 0, filter({ topK: 2 })).topKKey).toBe(orderedKey(2));
  });

  test('top-k at or above the number of finite tokens is a no-op', () => {
    const row = [3, NEG, 1];
    expect(thresholdsReference(row, 0, filter({ topK: 2 })).topKKey).toBe(0);
    expect(keptIds(row, filter({ topK: 5 }))).toEqual([0, 2]);
  });

  test('top-p over [0.5, 0.3, 0.2]: p = 0.6 keeps two tokens, p = 0.5 keeps one', () => {
    const row = logitsOf([0.5, 0.3, 0.2]);
    expect(keptIds(row, filter({ topP: 0.6 }))).toEqual([0, 1]);
    expect(keptIds(row, filter({ topP: 0.5 }))).toEqual([0]);
    expect(keptIds(row, filter({ topP: 0.81 }))).toEqual([0, 1, 2]);
    const t = thresholdsReference(row, rowStatsReference(row).lse, filter({ topP: 0.6 }));
    // Mass is counted in units of 2^-31 from f32 exp, so the total is 2^31 up to f32 rounding.
    expect(Math.abs(t.topPTotal - MASS_SCALE)).toBeLessThan(MASS_SCALE * 2 ** -20);
    expect(t.topPNeeded).toBe(Math.ceil(Math.fround(Math.fround(t.topPTotal) * Math.fround(0.6))));
  });

  test('top-p is renormalised over the top-k survivors', () => {
    // Top-2 leaves mass 0.75: p = 0.6 of it needs both, p = 0.5 needs one (it would need two of 1.0).
    const row = logitsOf([0.4, 0.35, 0.25]);
    expect(keptIds(row, filter({ topK: 2, topP: 0.6 }))).toEqual([0, 1]);
    expect(keptIds(row, filter({ topK: 2, topP: 0.5 }))).toEqual([0]);
  });

  test('min-p keeps p(y) >= min_p * max p', () => {
    const row = logitsOf([0.5, 0.3, 0.15, 0.05]);
    expect(keptIds(row, filter({ minP: 0.2 }))).toEqual([0, 1, 2]);
    expect(keptIds(row, filter({ minP: 0.5 }))).toEqual([0, 1]);
    expect(keptIds(row, filter({ minP: 1 }))).toEqual([0]);
  });

  test('the final threshold is the strictest of the three', () => {
    const row = logitsOf([0.5, 0.3, 0.15, 0.05]);
    const t = thresholdsReference(row, rowStatsReference(row).lse, { topK: 3, topP: 0.6, minP: 0.05 });
    expect(t.thresholdKey).toBe(Math.max(t.topKKey, t.topPKey, t.minPKey));
    expect(t.thresholdKey).toBe(t.topPKey);
    expect(keptIds(row, { topK: 3, topP: 0.6, minP: 0.05 })).toEqual([0, 1]);
  });

  test('a row with no finite entry keeps nothing', () => {
    const t = thresholdsReference([NEG, NEG], NEG, NO_FILTER);
    expect(t.thresholdKey).toBe(0xffffffff);
    expect(isKept(0, t.thresholdKey)).toBe(false);
  });
});

describe('sampleReference', () => {
  test('a one-hot kept set always returns that token', () => {
    const row = [1, 4, 4 - 1e-3, 0, NEG];
    const { lse } = rowStatsReference(row);
    const { thresholdKey } = thresholdsReference(row, lse, filter({ topK: 1 }));
    for (let counter = 0; counter < 200; counter++) {
      const got = sampleReference(
        row,
        lse,
        thresholdKey,
        seedFromNumber(counter * 7919),
        counter % 5,
        counter,
      );
      expect(got.token, `counter ${counter}`).toBe(1);
      expect(got.keptCount).toBe(1);
      expect(got.keptMass).toBe(massOf(4, lse));
    }
  });

  test('returns null for an empty row and for a threshold that keeps nothing', () => {
    const seed = seedFromNumber(42);
    expect(sampleReference([NEG, NEG, NEG], NEG, 0, seed, 0, 0)).toEqual({
      token: null,
      keptCount: 0,
      keptMass: 0,
    });
    const row = [0, 1];
    expect(sampleReference(row, rowStatsReference(row).lse, 0xffffffff, seed, 0, 0).token).toBeNull();
  });

  test('is the inverse CDF of the kept masses at the Philox draw', () => {
    const row = logitsOf([0.25, 0.5, 0.25]);
    const { lse } = rowStatsReference(row);
    const seed = seedFromNumber(7);
    const masses = row.map((x) => massOf(x, lse));
    const total = masses.reduce((a, b) => a + b, 0);
    for (let counter = 0; counter < 50; counter++) {
      const target = scaleBy24(philoxBits24(seed, 3, counter), total);
      const want = target < masses[0] ? 0 : target < masses[0] + masses[1] ? 1 : 2;
      expect(sampleReference(row, lse, 0, seed, 3, counter).token, `counter ${counter}`).toBe(want);
    }
  });

  test('draw frequencies follow the kept distribution (fixed seed, 4000 draws)', () => {
    const row = logitsOf([0.75, 0.25]);
    const { lse } = rowStatsReference(row);
    const seed = seedFromNumber(2024);
    let zeros = 0;
    for (let counter = 0; counter < 4000; counter++) {
      if (sampleReference(row, lse, 0, seed, 0, counter).token === 0) zeros++;
    }
    // 4 standard deviations of a binomial(4000, 0.75) is about 0.027.
    expect(Math.abs(zeros / 4000 - 0.75)).toBeLessThan(0.03);
  });
});
