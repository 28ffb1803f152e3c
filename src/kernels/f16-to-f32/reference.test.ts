// The f16 spec against hand-computed values and against the loader's table decoder
// (src/model/loading/float16.ts) on all 65,536 bit patterns.
import { describe, expect, it } from 'vitest';
import { f16BitsToF32, f32ToF16Bits } from '../../model/loading/float16';
import { halfToNumber, halfToSingleReference } from './reference';

describe('halfToNumber', () => {
  it.each([
    [0x0000, 0],
    [0x8000, -0],
    [0x3c00, 1],
    [0xc000, -2],
    [0x7bff, 65504],
    [0xfbff, -65504],
    [0x0001, 2 ** -24],
    [0x8001, -(2 ** -24)],
    [0x03ff, 1023 * 2 ** -24],
    [0x0400, 2 ** -14],
    [0x3555, 0.333251953125],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ])('0x%s', (bits, value) => {
    expect(Object.is(halfToNumber(bits), value)).toBe(true);
  });

  it('every exponent-31 pattern with a mantissa is NaN, signalling or quiet, either sign', () => {
    for (const bits of [0x7c01, 0x7e00, 0x7fff, 0xfc01, 0xfe00, 0xffff]) expect(halfToNumber(bits)).toBeNaN();
  });

  it('agrees with the loader table on all 65,536 patterns, and round-trips through f32ToF16Bits', () => {
    const disagreements: string[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = halfToNumber(bits);
      const table = f16BitsToF32(bits);
      const same = Object.is(value, table) || (Number.isNaN(value) && Number.isNaN(table));
      const roundTrips = Number.isNaN(value) || f32ToF16Bits(value) === bits;
      if (!same || !roundTrips) disagreements.push(`0x${bits.toString(16)}: ${value} vs table ${table}`);
    }
    expect(disagreements.slice(0, 5)).toEqual([]);
  });
});

describe('halfToSingleReference', () => {
  it('takes count elements from an offset, odd ones included', () => {
    const halves = Uint16Array.of(0x3c00, 0x4000, 0x4200, 0x8000, 0x7c00);
    expect(Array.from(halfToSingleReference(halves, 3, 1))).toEqual([2, 3, -0]);
    expect(() => halfToSingleReference(halves, 3, 3)).toThrow(/elements 3\.\.5 of a 5-element tensor/);
  });
});
