// Hand-computed cases for the token-rank spec.
import { describe, expect, it } from 'vitest';
import { tokenRankReference } from './reference';

const NEG = -Infinity;

describe('tokenRankReference', () => {
  const row = Float32Array.from([1, 3, 3, NEG, 2, -0, 0, NaN, NEG]);
  const rank = (token: number) => tokenRankReference(row, row.length, [{ row: 0, token }])[0];

  it('is 1 + the number of strictly greater entries; ties share the best rank', () => {
    expect(rank(1).rank).toBe(1);
    expect(rank(2).rank).toBe(1);
    expect(rank(4).rank).toBe(3);
    expect(rank(0).rank).toBe(4);
  });

  it('treats -0 and +0 as equal and never counts NaN', () => {
    expect(rank(5).rank).toBe(5);
    expect(rank(6).rank).toBe(5);
    expect(Object.is(rank(5).logit, -0)).toBe(true);
  });

  it('ranks -Infinity after every entry above it, and gives a NaN token rank 0', () => {
    expect(rank(3)).toEqual({ rank: 7, logit: NEG });
    expect(rank(8).rank).toBe(7);
    expect(rank(7).rank).toBe(0);
  });

  it('reads the named row of a row-major batch', () => {
    const batch = Float32Array.from([0, 1, 2, 5, 4, 3]);
    expect(
      tokenRankReference(batch, 3, [
        { row: 0, token: 0 },
        { row: 1, token: 0 },
      ]),
    ).toEqual([
      { rank: 3, logit: 0 },
      { rank: 1, logit: 5 },
    ]);
  });
});
