// The workgroup size cross-entropy picks per vocabulary, and that its sums (a chain of
// ceil(V / WG) + WG terms) are never longer than with 256 threads, so the bounds only tighten.
import { describe, expect, test } from 'vitest';
import { crossEntropyWorkgroupSize, MAX_CROSS_ENTROPY_VOCAB } from './cross-entropy';

describe('cross-entropy workgroup sizes', () => {
  test.each([
    [1, 32],
    [50, 32],
    [1000, 32],
    [1024, 32],
    [1025, 64],
    [4096, 128],
    [50_257, 256],
    [151_936, 256],
    [MAX_CROSS_ENTROPY_VOCAB, 256],
  ])('V %d: %d threads', (vocab, size) => expect(crossEntropyWorkgroupSize(vocab)).toBe(size));

  test('no sum chain is longer than with 256 threads, for every V up to 2^18', () => {
    const longer: number[] = [];
    for (let vocab = 1; vocab <= 2 ** 18; vocab++) {
      const size = crossEntropyWorkgroupSize(vocab);
      if (Math.ceil(vocab / size) + size > Math.ceil(vocab / 256) + 256) longer.push(vocab);
    }
    expect(longer.slice(0, 5)).toEqual([]);
  });
});
