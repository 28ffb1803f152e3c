// Half-precision conversions: exact decoding, round-to-nearest-even encoding, and the special
// values (subnormals, ±0, ±Infinity, NaN) that checkpoints do contain.
import { describe, expect, test } from 'vitest';
import {
  bf16ArrayToF32, bf16BitsToF32, f16ArrayToF32, f16BitsToF32, f32ArrayToBf16, f32ArrayToF16, f32ToBf16Bits,
  f32ToF16Bits,
} from './float16'; // prettier-ignore

describe('F16', () => {
  test.each([
    [0x0000, 0],
    [0x3c00, 1],
    [0xc000, -2],
    [0x7bff, 65504], // largest finite
    [0x0400, 2 ** -14], // smallest normal
    [0x0001, 2 ** -24], // smallest subnormal
    [0x03ff, 1023 * 2 ** -24], // largest subnormal
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
    [0x3555, 0.333251953125],
  ])('bits %s decode to %s and encode back', (bits, value) => {
    expect(f16BitsToF32(bits)).toBe(value);
    expect(f32ToF16Bits(value)).toBe(bits);
  });

  test('negative zero and NaN survive both ways', () => {
    expect(Object.is(f16BitsToF32(0x8000), -0)).toBe(true);
    expect(f32ToF16Bits(-0)).toBe(0x8000);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
    const nanBits = f32ToF16Bits(NaN);
    expect(nanBits & 0x7c00).toBe(0x7c00);
    expect(nanBits & 0x03ff).not.toBe(0);
  });

  test('rounds to nearest, ties to even, including into subnormals, and overflows to Infinity', () => {
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even (down)
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(f32ToF16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // above the tie
    expect(f32ToF16Bits(2 ** -25)).toBe(0x0000); // half the smallest subnormal: tie → 0
    expect(f32ToF16Bits(1.5 * 2 ** -25)).toBe(0x0001);
    expect(f32ToF16Bits(3 * 2 ** -25)).toBe(0x0002); // 1.5 subnormal steps: tie → even
    expect(f32ToF16Bits(2 ** -26)).toBe(0x0000);
    expect(f32ToF16Bits(-(2 ** -24))).toBe(0x8001);
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // rounds past the largest finite
    expect(f32ToF16Bits(65519)).toBe(0x7bff);
    expect(f32ToF16Bits(1e10)).toBe(0x7c00);
    expect(f32ToF16Bits(1023.5 * 2 ** -24)).toBe(0x0400); // carry from subnormal into the smallest normal
  });

  test('every finite F16 value round-trips exactly', () => {
    const bits = new Uint16Array(65536).map((_, i) => i);
    const values = f16ArrayToF32(bits);
    const back = f32ArrayToF16(values);
    for (let i = 0; i < 65536; i++) {
      if ((i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0) continue; // NaN payloads are not kept
      if (back[i] !== i) throw new Error(`F16 bits ${i.toString(16)} came back as ${back[i].toString(16)}`);
    }
  });
});

describe('BF16', () => {
  test.each([
    [0x3f80, 1],
    [0xc040, -3],
    [0x7f80, Infinity],
    [0xff80, -Infinity],
    [0x0001, 2 ** -133], // smallest subnormal
    [0x7f7f, 3.3895313892515355e38], // largest finite
  ])('bits %s decode to %s and encode back', (bits, value) => {
    expect(bf16BitsToF32(bits)).toBe(value);
    expect(f32ToBf16Bits(value)).toBe(bits);
  });

  test('rounds to nearest even, keeps NaN quiet and overflows to Infinity', () => {
    expect(f32ToBf16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie → even (down)
    expect(f32ToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie → even (up)
    expect(f32ToBf16Bits(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81);
    expect(bf16BitsToF32(f32ToBf16Bits(NaN))).toBeNaN();
    expect(f32ToBf16Bits(3.4e38)).toBe(0x7f80);
    expect(f32ToBf16Bits(-0)).toBe(0x8000);
  });

  test('array conversion is the bit shift it should be', () => {
    const values = new Float32Array([1, -2.5, 0.15625, -0, Infinity, 2 ** -130]);
    const round = bf16ArrayToF32(f32ArrayToBf16(values));
    expect([...round]).toEqual([1, -2.5, 0.15625, -0, Infinity, 2 ** -130]);
  });
});
