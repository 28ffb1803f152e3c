// Hand-computed cases for the cosine spec (f64).
import { describe, expect, it } from 'vitest';
import { KernelInputError } from '../../gpu/errors';
import { cosineSimilarity, maxCosineReference, unitVector } from './reference';

describe('unitVector and cosineSimilarity', () => {
  it('normalises; the zero vector stays zero and has cosine 0 with anything', () => {
    expect(Array.from(unitVector([3, 4]))).toEqual([0.6, 0.8]);
    expect(Array.from(unitVector([0, 0, 0]))).toEqual([0, 0, 0]);
    expect(cosineSimilarity([0, 0], [1, 2])).toBe(0);
    expect(cosineSimilarity([1, 0], [0, 5])).toBe(0);
    expect(cosineSimilarity([1, 2], [-2, -4])).toBeCloseTo(-1, 15);
  });

  it('keeps the direction of 1e300 and 1e-300 vectors (no overflow, no underflow)', () => {
    expect(cosineSimilarity([1e300, 1e300], [1, 1])).toBeCloseTo(1, 15);
    expect(cosineSimilarity([1e-300, 0], [1e-300, 1e-300])).toBeCloseTo(Math.SQRT1_2, 15);
  });

  it('rejects non-finite entries and mismatched lengths', () => {
    expect(() => unitVector([1, NaN])).toThrow(KernelInputError);
    expect(() => cosineSimilarity([1, Infinity], [1, 1])).toThrow(/non-finite/);
    expect(() => cosineSimilarity([1], [1, 1])).toThrow(KernelInputError);
  });
});

describe('maxCosineReference', () => {
  const context = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 2, 0], // same direction as row 1: a tie
    [0, 0, 0],
  ];

  it('takes the largest cosine and the lowest row among ties', () => {
    const [a, b, c] = maxCosineReference(
      [
        [0, 3, 0],
        [1, 1, 0],
        [0, 0, -1],
      ],
      context,
    );
    expect(a).toEqual({ maxCosine: 1, position: 1 });
    expect(b.position).toBe(0);
    expect(b.maxCosine).toBeCloseTo(Math.SQRT1_2, 15);
    // Every cosine is 0 (orthogonal or zero rows): the maximum 0 at the first row.
    expect(c).toEqual({ maxCosine: 0, position: 0 });
  });

  it('has no penalty and no position without context', () => {
    expect(maxCosineReference([[1, 2, 3]], [])).toEqual([{ maxCosine: 0, position: null }]);
  });
});
