// The world's seeded generator: reproducible per (seed, stream), exact integer draws, and errors
// that name the bad argument.
import { describe, expect, it } from 'vitest';
import { WorldRandom } from './random';

const draws = (rng: WorldRandom, n: number) => Array.from({ length: n }, () => rng.int(1000));

describe('WorldRandom', () => {
  it('is a pure function of (seed, stream) and the calls made', () => {
    expect(draws(WorldRandom.fromNumber(5, 2), 50)).toEqual(draws(WorldRandom.fromNumber(5, 2), 50));
    expect(draws(WorldRandom.fromNumber(5, 2), 50)).not.toEqual(draws(WorldRandom.fromNumber(5, 3), 50));
    expect(draws(WorldRandom.fromNumber(5, 2), 50)).not.toEqual(draws(WorldRandom.fromNumber(6, 2), 50));
    const rng = WorldRandom.fromNumber(5, 2);
    rng.int(10);
    expect(rng.draws).toBe(1);
    expect(draws(rng.fork(2), 5)).toEqual(draws(WorldRandom.fromNumber(5, 2), 5));
  });

  it('draws integers in range, close to uniform', () => {
    const rng = WorldRandom.fromNumber(1);
    const bins = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) bins[rng.int(6)]++;
    for (const count of bins) expect(Math.abs(count - 10_000)).toBeLessThan(400);
    for (let i = 0; i < 1000; i++) {
      const u = rng.uniform();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      expect(u * 2 ** 24).toBe(Math.floor(u * 2 ** 24));
    }
  });

  it('weighted draws follow the weights and never pick a zero weight', () => {
    const rng = WorldRandom.fromNumber(9);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[rng.weighted([1, 0, 3])]++;
    expect(counts[1]).toBe(0);
    expect(counts[2] / counts[0]).toBeCloseTo(3, 0);
  });

  it('shuffles to a permutation', () => {
    const rng = WorldRandom.fromNumber(3);
    const items = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const shuffled = rng.shuffle(items);
    expect([...shuffled].sort()).toEqual(items);
    expect(items).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('rejects bad arguments with the value', () => {
    const rng = WorldRandom.fromNumber(0);
    expect(() => rng.int(0)).toThrow('n must be an integer in 1..2097152, got 0');
    expect(() => rng.int(2.5)).toThrow('got 2.5');
    expect(() => rng.weighted([0, 0])).toThrow('all weights are 0');
    expect(() => rng.weighted([1, -1])).toThrow('got -1');
    expect(() => rng.pick([])).toThrow('empty list');
    expect(() => WorldRandom.fromNumber(-1)).toThrow('seed must be an integer');
    expect(() => new WorldRandom({ lo: 0, hi: 0 }, -1)).toThrow('stream must be an integer');
  });
});
