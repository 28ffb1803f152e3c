import { describe, expect, test } from 'vitest';
import {
  chunkWeightData,
  packF16Chunk,
  splitF16RowsForLimit,
  splitRowsForLimit,
  weightChunkBytes,
} from './chunks';

describe('splitRowsForLimit', () => {
  test('uneven chunks covering N, rounded to multiples of 4 rows', () => {
    // K=255 f32 rows are 1020 bytes: 50 kB holds 49 rows, rounded down to 48.
    expect(splitRowsForLimit(257, 255, 4, 50_000)).toEqual([
      { start: 0, end: 48 },
      { start: 48, end: 96 },
      { start: 96, end: 144 },
      { start: 144, end: 192 },
      { start: 192, end: 240 },
      { start: 240, end: 257 },
    ]);
  });
  test("Qwen2.5-0.5B's head: 151,936 x 896 f32 under a 128 MiB and a 2 GiB binding limit", () => {
    const small = splitRowsForLimit(151_936, 896, 4, 128 * 2 ** 20);
    expect(small.map((r) => r.end - r.start)).toEqual([37_448, 37_448, 37_448, 37_448, 2_144]);
    for (const { start, end } of small) expect((end - start) * 896 * 4).toBeLessThanOrEqual(128 * 2 ** 20);
    expect(splitRowsForLimit(151_936, 896, 4, 2 ** 31 - 4)).toEqual([{ start: 0, end: 151_936 }]);
  });
  test('fewer than 4 rows per chunk are not rounded; f16 halves the bytes', () => {
    expect(splitRowsForLimit(5, 10, 4, 120).map((r) => r.end - r.start)).toEqual([3, 2]);
    expect(splitRowsForLimit(8, 10, 2, 80)).toEqual([
      { start: 0, end: 4 },
      { start: 4, end: 8 },
    ]);
  });
  test('errors name the value', () => {
    expect(() => splitRowsForLimit(10, 1000, 4, 3999)).toThrow(
      /one row of 1000 elements is 4000 bytes, over the limit of 3999 bytes/,
    );
    expect(() => splitRowsForLimit(0, 10, 4, 100)).toThrow(
      /N \(rows to split\) must be a positive integer, got 0/,
    );
    expect(() => splitRowsForLimit(10, 2.5, 4, 100)).toThrow(
      /K \(elements per row\) must be a positive integer, got 2\.5/,
    );
  });
});

describe('chunkWeightData', () => {
  // W(k, n) = 10 k + n for K = 2, N = 3.
  const kn = Float32Array.from([0, 1, 2, 10, 11, 12]);
  const nk = Float32Array.from([0, 10, 1, 11, 2, 12]);
  const ranges = [
    { start: 0, end: 2 },
    { start: 2, end: 3 },
  ];
  test('"nk" slices rows, "kn" gathers columns into [K, width]', () => {
    expect(chunkWeightData(nk, 'nk', 3, 2, ranges).map((a) => Array.from(a))).toEqual([
      [0, 10, 1, 11],
      [2, 12],
    ]);
    expect(chunkWeightData(kn, 'kn', 3, 2, ranges).map((a) => Array.from(a))).toEqual([
      [0, 1, 10, 11],
      [2, 12],
    ]);
  });
  test('a length that is not N*K is refused', () => {
    expect(() => chunkWeightData(kn, 'kn', 4, 2, ranges)).toThrow(/data has 6 elements, N\*K = 4\*2 = 8/);
  });
});

describe('f16 chunks: rows padded to whole u32 words', () => {
  test('"nk" counts the padding half of odd K; "kn" splits whole column pairs', () => {
    // K = 5: rows of 3 words = 12 bytes, so 40 bytes hold 3 rows.
    expect(splitF16RowsForLimit(7, 5, 'nk', 40)).toEqual([
      { start: 0, end: 3 },
      { start: 3, end: 6 },
      { start: 6, end: 7 },
    ]);
    // K = 3: a column pair is 3 words = 12 bytes; 100 bytes hold 8 pairs (a multiple of 4).
    const kn = splitF16RowsForLimit(21, 3, 'kn', 100);
    expect(kn).toEqual([
      { start: 0, end: 16 },
      { start: 16, end: 21 },
    ]);
    for (const { start, end } of kn)
      expect(weightChunkBytes('f16', 'kn', 3, end - start)).toBeLessThanOrEqual(100);
    expect(weightChunkBytes('f16', 'kn', 3, 5)).toBe(3 * 3 * 4);
    expect(weightChunkBytes('f16', 'nk', 5, 2)).toBe(2 * 3 * 4);
    expect(weightChunkBytes('f32', 'nk', 5, 2)).toBe(40);
    expect(() => splitF16RowsForLimit(3, 5, 'nk', 11)).toThrow(/one row of 6 elements is 12 bytes/);
  });
  test('packF16Chunk: element 2i in the low half of word i, zero padding at each row end', () => {
    // W(k, n) = 10 k + n + 1 for K = 3, N = 3, as (made-up) half bits.
    const nk = Uint16Array.from([1, 11, 21, 2, 12, 22, 3, 13, 23]);
    const kn = Uint16Array.from([1, 2, 3, 11, 12, 13, 21, 22, 23]);
    const out = new Uint16Array(8);
    packF16Chunk(nk, 'nk', 3, 3, { start: 1, end: 3 }, out);
    expect(Array.from(out)).toEqual([2, 12, 22, 0, 3, 13, 23, 0]);
    expect(Array.from(new Uint32Array(out.buffer))).toEqual([2 + (12 << 16), 22, 3 + (13 << 16), 23]);
    const knOut = new Uint16Array(6);
    packF16Chunk(kn, 'kn', 3, 3, { start: 2, end: 3 }, knOut);
    expect(Array.from(knOut)).toEqual([3, 0, 13, 0, 23, 0]);
    const knPair = new Uint16Array(6);
    packF16Chunk(kn, 'kn', 3, 3, { start: 0, end: 2 }, knPair);
    expect(Array.from(knPair)).toEqual([1, 2, 11, 12, 21, 22]);
  });
});
