// The layer buckets of DoLa and LOL's amateur layer for models of every depth we meet.
import { describe, expect, it } from 'vitest';
import { KernelInputError } from '../../gpu/errors';
import { dolaCandidateLayers, lolAmateurLayer } from './buckets';

const range = (start: number, end: number, stride = 1) =>
  Array.from({ length: Math.ceil((end - start) / stride) }, (_, i) => start + i * stride);

describe('dolaCandidateLayers', () => {
  it.each([
    [2, [1], [1], [1]],
    [3, [1], [1, 2], [1, 2]],
    [4, [1], [2, 3], [1, 2, 3]],
    [12, range(1, 6), range(6, 12), range(1, 12)],
    [28, range(1, 14), range(14, 28), range(1, 28)],
  ])('L = %i (every layer): low %j, high %j, all %j', (layers, low, high, all) => {
    expect(dolaCandidateLayers(layers, 'low')).toEqual(low);
    expect(dolaCandidateLayers(layers, 'high')).toEqual(high);
    expect(dolaCandidateLayers(layers, 'all')).toEqual(all);
  });

  it("follows the paper's even-layer buckets from 32 layers (layer 0 excluded)", () => {
    // LLaMA-7B: [0, 16) and [16, 32), even layers.
    expect(dolaCandidateLayers(32, 'low')).toEqual(range(2, 16, 2));
    expect(dolaCandidateLayers(32, 'high')).toEqual(range(16, 32, 2));
    // LLaMA-13B: [0, 20) and [20, 40).
    expect(dolaCandidateLayers(40, 'low')).toEqual(range(2, 20, 2));
    expect(dolaCandidateLayers(40, 'high')).toEqual(range(20, 40, 2));
    // Deeper than 40: the first and the last 20 layers (Hugging Face's rule).
    expect(dolaCandidateLayers(80, 'low')).toEqual(range(2, 20, 2));
    expect(dolaCandidateLayers(80, 'high')).toEqual(range(60, 80, 2));
    expect(dolaCandidateLayers(80, 'all')).toEqual(range(2, 80, 2));
  });

  it('never offers the final layer and refuses a 1-layer model', () => {
    for (const L of [2, 3, 4, 5, 31, 32, 33, 41, 64]) {
      for (const bucket of ['low', 'high', 'all'] as const) {
        const layers = dolaCandidateLayers(L, bucket);
        expect(layers.length).toBeGreaterThan(0);
        expect(Math.max(...layers)).toBeLessThan(L);
        expect(Math.min(...layers)).toBeGreaterThanOrEqual(1);
      }
    }
    expect(() => dolaCandidateLayers(1, 'all')).toThrow(/at least 2 layers/);
    expect(() => dolaCandidateLayers(4, 'middle' as 'low')).toThrow(KernelInputError);
  });
});

describe('lolAmateurLayer', () => {
  it('keeps the layer for an amateur of the same depth, else the same relative depth', () => {
    expect(lolAmateurLayer(2, 4, 4)).toBe(2);
    expect(lolAmateurLayer(2, 4, 3)).toBe(2);
    expect(lolAmateurLayer(1, 4, 3)).toBe(1);
    expect(lolAmateurLayer(16, 32, 24)).toBe(12);
    expect(lolAmateurLayer(31, 32, 2)).toBe(1);
  });

  it('refuses lower layers that are not below the final layer', () => {
    expect(() => lolAmateurLayer(4, 4, 4)).toThrow(/1\.\.3/);
    expect(() => lolAmateurLayer(0, 4, 4)).toThrow(KernelInputError);
    expect(() => lolAmateurLayer(1, 4, 1)).toThrow(/amateur with at least 2 layers/);
  });
});
