// The Shapes world's seeded generator: a cursor over the project's counter-based Philox stream
// (src/kernels/random/philox.ts). Draw k of a WorldRandom is philoxBits(seed, stream, k), so a
// sampler's output is a pure function of (seed, stream) and the sequence of calls, identical in
// Node, the page and a Worker. Give each scene its own stream (sampleScenes does) and scene i can be
// rebuilt without replaying scenes 0..i-1.
//
// Every conversion is exact integer or IEEE arithmetic (no Math.sin/exp/log, whose last bits may
// differ between engines): int(n) = floor(bits * n / 2^32) is exact for n ≤ 2^21, uniform() is a
// 24-bit integer over 2^24.
import { philoxBits, seedFromNumber, type Seed } from '../kernels/random/philox';

const TWO_POW_32 = 0x1_0000_0000;
const MAX_RANGE = 1 << 21;

export class WorldRandom {
  private counter = 0;

  constructor(
    readonly seed: Seed,
    readonly stream = 0,
  ) {
    if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) {
      throw new RangeError(`WorldRandom: stream must be an integer in 0..2^32-1, got ${String(stream)}`);
    }
  }

  /** A generator from a whole-number seed (0..2^53-1) and a stream. */
  static fromNumber(seed: number, stream = 0): WorldRandom {
    return new WorldRandom(seedFromNumber(seed), stream);
  }

  /** A generator on another stream of the same seed, starting at draw 0. */
  fork(stream: number): WorldRandom {
    return new WorldRandom(this.seed, stream);
  }

  /** How many draws this generator has made. */
  get draws(): number {
    return this.counter;
  }

  private bits(): number {
    if (this.counter > 0xffffffff) {
      throw new RangeError('WorldRandom: 2^32 draws used on one stream; fork a new stream instead');
    }
    return philoxBits(this.seed, this.stream, this.counter++);
  }

  /** A uniform integer in 0..n-1 (n a whole number in 1..2^21). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > MAX_RANGE) {
      throw new RangeError(`WorldRandom.int: n must be an integer in 1..${MAX_RANGE}, got ${String(n)}`);
    }
    return Math.floor((this.bits() * n) / TWO_POW_32);
  }

  /** Uniform in [0, 1), a multiple of 2^-24. */
  uniform(): number {
    return (this.bits() >>> 8) / 16777216;
  }

  /** True with probability p (p ≤ 0 never, p ≥ 1 always; one draw either way). */
  chance(p: number): boolean {
    return this.uniform() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('WorldRandom.pick: cannot pick from an empty list');
    return items[this.int(items.length)];
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** An index drawn with probability weights[i] / sum(weights). Weights must be ≥ 0, not all 0. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) {
      if (!(w >= 0) || !Number.isFinite(w)) {
        throw new RangeError(`WorldRandom.weighted: weights must be finite and ≥ 0, got ${String(w)}`);
      }
      total += w;
    }
    if (total === 0) throw new RangeError('WorldRandom.weighted: all weights are 0');
    const target = this.uniform() * total;
    let running = 0;
    for (let i = 0; i < weights.length; i++) {
      running += weights[i];
      if (target < running) return i;
    }
    // Rounding can leave target equal to the sum; give it to the last positive weight.
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
    return weights.length - 1;
  }
}
