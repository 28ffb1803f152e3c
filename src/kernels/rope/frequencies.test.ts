import { describe, expect, test } from 'vitest';
import { ropeInverseFrequencies, ropeTurnTable } from './frequencies';

describe('RoPE inverse frequencies (as transformers computes them, in f32)', () => {
  test('head dim 64, theta 10000: the known values', () => {
    const inv = ropeInverseFrequencies(64, 10_000);
    expect(inv.length).toBe(32);
    expect(inv[0]).toBe(1);
    // 10000^(-1/32) = 0.7498942093324559, 10000^(-31/32) = 1.3335214321633240e-4
    expect(Math.abs(inv[1] - 0.7498942093324559)).toBeLessThan(6e-8);
    expect(Math.abs(inv[31] - 1.333521432163324e-4) / 1.333521432163324e-4).toBeLessThan(2e-7);
    for (const value of inv) expect(value).toBe(Math.fround(value));
  });
  test('theta 1e6, head dim 128 (Qwen2.5): decreasing, last = 1e6^(-126/128) within f32 rounding', () => {
    const inv = ropeInverseFrequencies(128, 1e6);
    for (let i = 1; i < inv.length; i++) expect(inv[i]).toBeLessThan(inv[i - 1]);
    const exact = 1e6 ** (-126 / 128);
    expect(Math.abs(inv[63] - exact) / exact).toBeLessThan(4e-7);
  });
  test('bad arguments name the value', () => {
    expect(() => ropeInverseFrequencies(63, 1e4)).toThrow(/headDim must be an even integer >= 2, got 63/);
    expect(() => ropeInverseFrequencies(64, 1)).toThrow(
      /theta \(rope_theta\) must be a finite number > 1, got 1/,
    );
    expect(() => ropeTurnTable(new Float32Array([1, NaN]))).toThrow(/inverse frequency 1 must be finite/);
  });
  test('the turn table holds inv_freq / (2 pi) to 2^-52', () => {
    const inv = ropeInverseFrequencies(64, 10_000);
    const table = ropeTurnTable(inv);
    inv.forEach((f, i) => {
      const turns = table[2 * i] / 2 ** 32 + table[2 * i + 1] / 2 ** 64;
      expect(Math.abs(turns - f / (2 * Math.PI))).toBeLessThan(2 ** -52);
    });
  });
});
