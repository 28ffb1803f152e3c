// The workgroup sizes the row kernels pick, and the claim that lets them pick small ones: no sum
// on the GPU gets deeper (more roundings per term) than with the former one partial per thread
// and 256 threads, ceil(d / 256) + 8, so the error bounds of the parity tests only tighten.
import { describe, expect, test } from 'vitest';
import { MAX_NORM_DIM, normSumDepth, normWorkgroupSize } from './norm';
import { rowWorkgroupSize } from './row-workgroup';

describe('rowWorkgroupSize', () => {
  test.each([
    [1, 8, 32],
    [256, 8, 32],
    [257, 8, 64],
    [512, 8, 64],
    [1000, 8, 128],
    [2048, 8, 256],
    [1_000_000, 8, 256],
  ])('length %d, %d per thread: %d threads', (length, perThread, size) => {
    expect(rowWorkgroupSize(length, perThread)).toBe(size);
  });
});

describe('norm workgroup sizes', () => {
  test.each([
    [16, 32],
    [64, 32],
    [320, 32],
    [768, 32],
    [769, 64],
    [1024, 64],
    [2048, 128],
    [4096, 256],
    [MAX_NORM_DIM, 256],
  ])('d %d: %d threads', (dim, size) => expect(normWorkgroupSize(dim)).toBe(size));

  test('no row sum is deeper than the 256-thread one-partial sums, for every d', () => {
    const deeper: number[] = [];
    for (let dim = 1; dim <= MAX_NORM_DIM; dim++) {
      if (normSumDepth(dim) > Math.ceil(dim / 256) + 8) deeper.push(dim);
    }
    expect(deeper.slice(0, 5)).toEqual([]);
  });
});
