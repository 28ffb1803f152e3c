// Hand-computed cases for the divergence spec (f64, so tolerances are at rounding level).
import { describe, expect, it } from 'vitest';
import { EmptyDistributionError, KernelInputError } from '../../gpu/errors';
import { argmax, entropy, jsDivergence, kl, logSoftmax, rowDivergence, totalVariation } from './reference';

const LN2 = Math.log(2);
const NEG = -Infinity;

/** Logits whose softmax is `probs` (0 -> -Infinity). */
function logitsOf(probs: number[]): Float32Array {
  return Float32Array.from(probs, (p) => (p === 0 ? NEG : Math.log(p)));
}

function uniform(n: number): Float32Array {
  return new Float32Array(n);
}

function oneHot(n: number, at: number): Float32Array {
  const row = new Float32Array(n).fill(NEG);
  row[at] = 3.5;
  return row;
}

describe('logSoftmax', () => {
  it('normalises and keeps -Infinity as probability 0', () => {
    const logp = logSoftmax([1, NEG, 1, 1 + Math.log(2)]);
    expect(logp[1]).toBe(NEG);
    expect(logp[0]).toBeCloseTo(Math.log(0.25), 14);
    expect(logp[3]).toBeCloseTo(Math.log(0.5), 14);
    const total = logp.reduce((sum, lp) => sum + Math.exp(lp), 0);
    expect(total).toBeCloseTo(1, 14);
  });

  it('is shift-invariant at magnitude 1e4 (max subtraction)', () => {
    const shifted = logSoftmax([1e4, 1e4 - 1, 1e4 - 2]);
    const plain = logSoftmax([0, -1, -2]);
    for (let i = 0; i < 3; i++) expect(shifted[i]).toBeCloseTo(plain[i], 12);
  });

  it('rejects NaN and +Infinity with the count, and empty rows with the row index', () => {
    expect(() => logSoftmax([0, NaN, NaN], 3)).toThrow(/row 3 contains 2 NaN logits/);
    expect(() => logSoftmax([0, Infinity])).toThrow(KernelInputError);
    expect(() => logSoftmax([NEG, NEG], 5)).toThrow(EmptyDistributionError);
    let caught: unknown = null;
    try {
      logSoftmax([NEG], 5);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EmptyDistributionError);
    expect((caught as EmptyDistributionError).rows).toEqual([5]);
  });
});

describe('entropy', () => {
  it.each([1, 2, 7, 50_257])('of the uniform distribution over %i tokens is ln n', (n) => {
    expect(entropy(uniform(n))).toBeCloseTo(Math.log(n), 10);
  });

  it('of a one-hot row is 0, and -Infinity entries do not count', () => {
    expect(entropy(oneHot(10, 4))).toBe(0);
    expect(entropy([0, NEG, 0, NEG])).toBeCloseTo(LN2, 14);
  });

  it('of a two-token distribution (1/4, 3/4)', () => {
    const expected = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75));
    expect(entropy(logitsOf([0.25, 0.75]))).toBeCloseTo(expected, 7);
  });
});

describe('kl', () => {
  // P = (1/2, 1/2), Q = (1/4, 3/4).
  const p = logitsOf([0.5, 0.5]);
  const q = logitsOf([0.25, 0.75]);

  it('matches hand computation on two tokens, both directions', () => {
    expect(kl(p, q)).toBeCloseTo(0.5 * Math.log(4 / 3), 7);
    expect(kl(q, p)).toBeCloseTo(0.25 * Math.log(0.5) + 0.75 * Math.log(1.5), 7);
  });

  it('one-hot vs uniform over n is ln n; the reverse is +Infinity', () => {
    expect(kl(oneHot(8, 2), uniform(8))).toBeCloseTo(Math.log(8), 12);
    expect(kl(uniform(8), oneHot(8, 2))).toBe(Infinity);
  });

  it('is +Infinity on support mismatch, 0 for identical rows, and ignores shared -Infinity', () => {
    expect(kl([0, 0], [0, NEG])).toBe(Infinity);
    expect(kl([0, NEG], [0, 0])).toBeCloseTo(LN2, 14);
    expect(kl([1, 2, NEG], [1, 2, NEG])).toBe(0);
  });

  it('rejects rows of different lengths', () => {
    expect(() => kl([0, 0], [0, 0, 0])).toThrow(/P has 2 logits but Q has 3/);
  });
});

describe('jsDivergence', () => {
  it('matches hand computation on two tokens', () => {
    // M = (3/8, 5/8).
    const expected =
      0.5 * (0.5 * Math.log(0.5 / 0.375) + 0.5 * Math.log(0.5 / 0.625)) +
      0.5 * (0.25 * Math.log(0.25 / 0.375) + 0.75 * Math.log(0.75 / 0.625));
    expect(jsDivergence(logitsOf([0.5, 0.5]), logitsOf([0.25, 0.75]))).toBeCloseTo(expected, 7);
  });

  it('one-hot vs uniform over n', () => {
    const n = 4;
    const expected =
      0.5 * Math.log((2 * n) / (n + 1)) + 0.5 * ((1 / n) * Math.log(2 / (n + 1)) + ((n - 1) / n) * LN2);
    expect(jsDivergence(oneHot(n, 0), uniform(n))).toBeCloseTo(expected, 12);
  });

  it('is symmetric, within [0, ln 2], ln 2 for disjoint supports and 0 for identical rows', () => {
    const a = [0.3, -1.2, 2.5, NEG, 0.1];
    const b = [1.1, NEG, -0.4, 0.7, 0.2];
    const ab = jsDivergence(a, b);
    expect(ab).toBeCloseTo(jsDivergence(b, a), 14);
    expect(ab).toBeGreaterThan(0);
    expect(ab).toBeLessThanOrEqual(LN2);
    expect(jsDivergence([0, 0, NEG, NEG], [NEG, NEG, 1, 5])).toBeCloseTo(LN2, 14);
    expect(jsDivergence(a, a)).toBe(0);
  });

  it('stays finite on support mismatch where KL is +Infinity', () => {
    const js = jsDivergence([0, 0], [0, NEG]);
    // P = (1/2, 1/2), Q = (1, 0), M = (3/4, 1/4).
    const expected = 0.5 * (0.5 * Math.log(0.5 / 0.75) + 0.5 * Math.log(2)) + 0.5 * Math.log(1 / 0.75);
    expect(js).toBeCloseTo(expected, 14);
  });
});

describe('totalVariation', () => {
  it('matches hand computation and equals 1 - sum min(p, q)', () => {
    // P = (1/2, 1/4, 1/4), Q = (1/8, 1/8, 3/4): 1/2 (3/8 + 1/8 + 1/2) = 1/2; sum min = 1/8 + 1/8 + 1/4.
    const p = logitsOf([0.5, 0.25, 0.25]);
    const q = logitsOf([0.125, 0.125, 0.75]);
    expect(totalVariation(p, q)).toBeCloseTo(0.5, 7);
    expect(totalVariation(q, p)).toBeCloseTo(0.5, 7);
  });

  it('is 0 for identical rows and shifted logits, 1 for disjoint supports', () => {
    const a = [0.3, -1.2, 2.5, NEG, 0.1];
    expect(totalVariation(a, a)).toBe(0);
    expect(
      totalVariation(
        a,
        a.map((x) => x + 7),
      ),
    ).toBeCloseTo(0, 14);
    expect(totalVariation([0, 0, NEG, NEG], [NEG, NEG, 1, 5])).toBeCloseTo(1, 14);
  });

  it('one-hot vs uniform over n is 1 - 1/n', () => {
    expect(totalVariation(oneHot(8, 2), uniform(8))).toBeCloseTo(1 - 1 / 8, 14);
  });
});

describe('argmax', () => {
  it('takes the lowest index among ties, skips -Infinity, and is -1 without a finite entry', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax([NEG, NEG, -5])).toBe(2);
    expect(argmax([NEG, NEG])).toBe(-1);
    expect(argmax([NaN, 1])).toBe(1);
  });
});

describe('rowDivergence', () => {
  it('agrees with the single-quantity functions and names the failing row', () => {
    const p = [0.5, -2, 1.5, NEG];
    const q = [1, 0, NEG, -1];
    const all = rowDivergence(p, q);
    expect(all.entropyP).toBe(entropy(p));
    expect(all.entropyQ).toBe(entropy(q));
    expect(all.klPQ).toBe(Infinity);
    expect(all.klQP).toBe(Infinity);
    expect(all.js).toBe(jsDivergence(p, q));
    expect(all.totalVariation).toBe(totalVariation(p, q));
    expect([all.argmaxP, all.argmaxQ]).toEqual([2, 0]);
    expect(all.pOfArgmaxQ).toBeCloseTo(Math.exp(logSoftmax(p)[0]), 14);
    expect(() => rowDivergence(p, [NEG, NEG, NEG, NEG], 0, 6)).toThrow(/row 6 has no finite logit/);
  });
});
