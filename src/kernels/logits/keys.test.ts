// Exact integer helpers of the logit spec: scaleBy24 and the order-preserving float keys.

import { describe, expect, test } from 'vitest';
import { philoxBits24, seedFromNumber } from '../random/philox';
import { keyToFloat, MASS_SCALE, orderedKey } from './layout';
import { scaleBy24 } from './reference';

const NEG = -Infinity;

describe('scaleBy24 is floor(u * total / 2^24) exactly', () => {
  const exact = (u: number, total: number) => Number((BigInt(u) * BigInt(total)) / 2n ** 24n);
  const U_MAX = 2 ** 24 - 1;
  const T_MAX = 2 ** 32 - 1;

  test.each([
    [0, 0],
    [0, T_MAX],
    [U_MAX, 0],
    [U_MAX, 1],
    [1, 2 ** 24],
    [U_MAX, 2 ** 24],
    [2 ** 23, T_MAX],
    [U_MAX, T_MAX],
    [U_MAX, 0xff000001],
    [12_345_678, 2 ** 31],
  ])('u = %i, total = %i', (u, total) => {
    expect(scaleBy24(u, total)).toBe(exact(u, total));
  });

  test('hand values at the edges', () => {
    expect(scaleBy24(U_MAX, T_MAX)).toBe(2 ** 32 - 257);
    expect(scaleBy24(U_MAX, 2 ** 24)).toBe(U_MAX);
    expect(scaleBy24(2 ** 23, T_MAX)).toBe(2 ** 31 - 1);
    expect(scaleBy24(U_MAX, MASS_SCALE)).toBe(MASS_SCALE - 2 ** 7);
  });

  test('is below total for every u < 2^24 (the inverse CDF never runs off the end)', () => {
    for (const total of [1, 3, 255, 2 ** 31, T_MAX]) expect(scaleBy24(U_MAX, total)).toBeLessThan(total);
  });

  test('where f64 arithmetic would round up across an integer, it does not', () => {
    // (2^24 - 1)(2^32 - 2^24 + 1) = 2^56 - 2^48 - 2^32 + 2^25 - 1 rounds to a multiple of 2^24 in f64.
    const u = U_MAX;
    const total = 0xff000001;
    expect(Math.floor((u * total) / 2 ** 24)).toBe(exact(u, total) + 1);
    expect(scaleBy24(u, total)).toBe(2 ** 32 - 2 ** 24 - 2 ** 8 + 1);
  });
});

describe('orderedKey / keyToFloat (layout.ts)', () => {
  const ascending = [
    NEG,
    -3.4028234663852886e38,
    -1.5,
    -1,
    -1.401298464324817e-45,
    -0,
    0,
    1.401298464324817e-45,
    1,
    1.5,
    3.4028234663852886e38,
    Infinity,
  ];

  test('keys are unsigned and strictly increasing along ascending floats (-0 below +0)', () => {
    const keys = ascending.map(orderedKey);
    for (const key of keys) expect(Number.isInteger(key) && key >= 0 && key <= 0xffffffff).toBe(true);
    for (let i = 1; i < keys.length; i++) {
      expect(keys[i], `${ascending[i - 1]} < ${ascending[i]}`).toBeGreaterThan(keys[i - 1]);
    }
  });

  test('fixed points: +0, -0, -Infinity, 1', () => {
    expect(orderedKey(0)).toBe(0x80000000);
    expect(orderedKey(-0)).toBe(0x7fffffff);
    expect(orderedKey(NEG)).toBe(0x007fffff);
    expect(orderedKey(1)).toBe(0xbf800000);
  });

  test('keyToFloat inverts orderedKey, sign of zero included', () => {
    for (const x of ascending) expect(Object.is(keyToFloat(orderedKey(x)), x), `${x}`).toBe(true);
    expect(keyToFloat(orderedKey(0.1))).toBe(Math.fround(0.1));
  });

  test('sorting by key equals sorting by value on seeded f32 values', () => {
    const values = Array.from({ length: 2000 }, (_, i) => {
      const u = philoxBits24(seedFromNumber(5), 0, i) / 2 ** 24;
      return Math.fround((u - 0.5) * 10 ** ((i % 12) - 4));
    });
    const byValue = [...values].sort((a, b) => a - b);
    const byKey = [...values].sort((a, b) => orderedKey(a) - orderedKey(b));
    expect(byKey).toEqual(byValue);
  });
});
