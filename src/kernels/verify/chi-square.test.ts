// The chi-square p-value against closed forms and published critical values.
import { describe, expect, it } from 'vitest';
import { chiSquarePValue, chiSquareTest, logGamma, regularizedGammaQ } from './chi-square';

describe('logGamma', () => {
  it('matches factorials and Gamma(1/2) = sqrt(pi)', () => {
    expect(logGamma(1)).toBeCloseTo(0, 14);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13);
    expect(logGamma(101)).toBeCloseTo(363.73937555556347, 9); // ln(100!)
  });
});

describe('chiSquarePValue', () => {
  it('equals the closed forms for even degrees of freedom', () => {
    // df = 2: exp(-x/2); df = 4: exp(-x/2)(1 + x/2); df = 6: exp(-x/2)(1 + x/2 + (x/2)^2/2).
    for (const x of [0.1, 1, 3, 7.5, 20, 60]) {
      const h = x / 2;
      expect(chiSquarePValue(x, 2)).toBeCloseTo(Math.exp(-h), 14);
      expect(chiSquarePValue(x, 4) / (Math.exp(-h) * (1 + h))).toBeCloseTo(1, 12);
      expect(chiSquarePValue(x, 6) / (Math.exp(-h) * (1 + h + (h * h) / 2))).toBeCloseTo(1, 12);
    }
    // Far in the tail (the continued fraction): 1301 e^-50 = 2.5094e-19.
    expect(chiSquarePValue(100, 6) / (1301 * Math.exp(-50))).toBeCloseTo(1, 11);
  });

  it('gives the tabulated significance at the critical values', () => {
    const table: [number, number, number][] = [
      [3.841458820694124, 1, 0.05],
      [10.827566170662733, 1, 0.001],
      [11.070497693516351, 5, 0.05],
      [23.209251158954356, 10, 0.01],
      [60.27477090478099, 35, 0.005],
      [124.34211340400408, 100, 0.05],
    ];
    for (const [x, df, p] of table) expect(chiSquarePValue(x, df) / p).toBeCloseTo(1, 6);
  });

  it('is 1 at 0 and decreases to 0', () => {
    expect(regularizedGammaQ(2.5, 0)).toBe(1);
    expect(chiSquarePValue(Infinity, 3)).toBe(0);
    expect(chiSquarePValue(4, 3)).toBeGreaterThan(chiSquarePValue(5, 3));
  });
});

describe('chiSquareTest', () => {
  it('computes Pearson X^2 and skips zero-probability cells with zero counts', () => {
    const result = chiSquareTest([30, 50, 20, 0], [0.25, 0.5, 0.25, 0]);
    // expected 25, 50, 25: (25 + 0 + 25) / 25 = 2 with df 2.
    expect(result.statistic).toBeCloseTo(2, 12);
    expect(result.df).toBe(2);
    expect(result.pValue).toBeCloseTo(Math.exp(-1), 12);
    expect(result.minExpected).toBe(25);
  });

  it('rejects outright when a zero-probability cell is hit', () => {
    expect(chiSquareTest([10, 1], [1, 0]).pValue).toBe(0);
  });
});
