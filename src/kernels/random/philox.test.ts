import { describe, expect, it } from 'vitest';
import { KernelInputError } from '../../gpu/errors';
import {
  philox4x32_10,
  philoxBits,
  philoxBits24,
  philoxUniform,
  philoxUniform4,
  philoxWords4,
  seedFromNumber,
  type Seed,
} from './philox';
import { fillBitsReference, fillUniforms4Reference, fillUniformsReference } from './reference';

// Known-answer vectors: the three "philox4x32 10" lines of Random123's tests/kat_vectors
// (github.com/DEShawResearch/random123, commit 9545ff6413f2), columns CTR[4] KEY[2] EXPECTED[4]:
//   philox4x32 10 00000000 00000000 00000000 00000000 00000000 00000000   6627e8d5 e169c58d bc57ac4c 9b00dbd8
//   philox4x32 10 ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff   408f276d 41c83b0e a20bc7c6 6d5451fd
//   philox4x32 10 243f6a88 85a308d3 13198a2e 03707344 a4093822 299f31d0   d16cfe09 94fdcceb 5001e420 24126ea1
const KAT: { name: string; counter: number[]; key: number[]; expected: number[] }[] = [
  {
    name: 'zeros',
    counter: [0, 0, 0, 0],
    key: [0, 0],
    expected: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
  },
  {
    name: 'all ones',
    counter: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    expected: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  },
  {
    name: 'pi digits',
    counter: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    expected: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  },
];

/** Textbook Philox4x32-10 with BigInt products: an independent second implementation. */
function philoxBigInt(counter: number[], key: number[]): number[] {
  const mask = 0xffffffffn;
  let x = counter.map(BigInt);
  let k = key.map(BigInt);
  for (let round = 0; round < 10; round++) {
    if (round > 0) k = [(k[0] + 0x9e3779b9n) & mask, (k[1] + 0xbb67ae85n) & mask];
    const p0 = 0xd2511f53n * x[0];
    const p1 = 0xcd9e8d57n * x[2];
    x = [(p1 >> 32n) ^ x[1] ^ k[0], p1 & mask, (p0 >> 32n) ^ x[3] ^ k[1], p0 & mask];
  }
  return x.map(Number);
}

/** Deterministic u32 stream for test inputs (xorshift32), so failures reproduce. */
function xorshift32(state: number): () => number {
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
}

const hex = (words: ArrayLike<number>) => Array.from(words, (w) => w.toString(16).padStart(8, '0'));

describe('philox4x32_10', () => {
  it.each(KAT)('matches the Random123 known-answer vector ($name)', ({ counter, key, expected }) => {
    expect(hex(philox4x32_10(counter, key))).toEqual(hex(expected));
    expect(hex(philoxBigInt(counter, key))).toEqual(hex(expected));
  });

  it('agrees with a BigInt implementation on 2000 random counters and keys', () => {
    const next = xorshift32(0x12345678);
    const out = new Uint32Array(4);
    for (let i = 0; i < 2000; i++) {
      const counter = [next(), next(), next(), next()];
      const key = [next(), next()];
      expect(hex(philox4x32_10(counter, key, out))).toEqual(hex(philoxBigInt(counter, key)));
    }
  });

  it('rejects wrong lengths and non-u32 words', () => {
    expect(() => philox4x32_10([0, 0, 0], [0, 0])).toThrow(/4 counter words and 2 key words, got 3 and 2/);
    expect(() => philox4x32_10([0, 0, 0, 2 ** 32], [0, 0])).toThrow(/counter\[3\].*4294967296/);
    expect(() => philox4x32_10([0, 0, 0, 0], [-1, 0])).toThrow(/key\[0\].*-1/);
  });
});

describe('(seed, stream, counter) mapping', () => {
  it('words = philox4x32_10([counter, stream, 0, 0], [seed.lo, seed.hi])', () => {
    const seed: Seed = { lo: 0xa4093822, hi: 0x299f31d0 };
    const words = philoxWords4(seed, 0x85a308d3, 0x243f6a88);
    expect(hex(words)).toEqual(hex(philoxBigInt([0x243f6a88, 0x85a308d3, 0, 0], [seed.lo, seed.hi])));
    expect(philoxBits(seed, 0x85a308d3, 0x243f6a88)).toBe(words[0]);
    expect(philoxBits24(seed, 0x85a308d3, 0x243f6a88)).toBe(words[0] >>> 8);
    expect(philoxUniform(seed, 0x85a308d3, 0x243f6a88)).toBe((words[0] >>> 8) / 2 ** 24);
    expect(Array.from(philoxUniform4(seed, 0x85a308d3, 0x243f6a88))).toEqual(
      Array.from(words, (w) => (w >>> 8) / 2 ** 24),
    );
  });

  it('uniforms are exactly representable in f32 and lie in [0, 1)', () => {
    const seed = seedFromNumber(7);
    let min = 1;
    let max = 0;
    for (let counter = 0; counter < 20000; counter++) {
      const u = philoxUniform(seed, 3, counter);
      expect(Math.fround(u)).toBe(u);
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    // The extremes of the 24-bit grid map inside [0, 1): 0 -> 0 and 2^24 - 1 -> 1 - 2^-24.
    expect((0xffffffff >>> 8) / 2 ** 24).toBe(1 - 2 ** -24);
  });

  it('validates seed words, stream and counter', () => {
    expect(() => philoxBits({ lo: 2 ** 32, hi: 0 }, 0, 0)).toThrow(/seed\.lo.*4294967296/);
    expect(() => philoxBits(seedFromNumber(1), -1, 0)).toThrow(/stream.*-1/);
    expect(() => philoxUniform(seedFromNumber(1), 0, 1.5)).toThrow(/counter.*1\.5/);
  });
});

describe('seedFromNumber', () => {
  it('splits into lo and hi words', () => {
    expect(seedFromNumber(0)).toEqual({ lo: 0, hi: 0 });
    expect(seedFromNumber(42)).toEqual({ lo: 42, hi: 0 });
    expect(seedFromNumber(2 ** 32 + 5)).toEqual({ lo: 5, hi: 1 });
    expect(seedFromNumber(Number.MAX_SAFE_INTEGER)).toEqual({ lo: 0xffffffff, hi: 0x1fffff });
  });

  it.each([
    [-1, /got -1\b/],
    [1.5, /got 1\.5/],
    [NaN, /got NaN/],
    [2 ** 53, /got 9007199254740992/],
    [Infinity, /got Infinity/],
  ])('rejects %s and names it', (value, message) => {
    expect(() => seedFromNumber(value)).toThrow(RangeError);
    expect(() => seedFromNumber(value)).toThrow(message);
  });
});

describe('statistics', () => {
  it('is uniform: chi-square over 100k draws in 64 bins is below the p = 0.001 critical value', () => {
    const bins = 64;
    const draws = 100_000;
    const counts = new Array<number>(bins).fill(0);
    const seed = seedFromNumber(20240611);
    for (let counter = 0; counter < draws; counter++) {
      counts[Math.floor(philoxUniform(seed, 0, counter) * bins)]++;
    }
    const expected = draws / bins;
    const chiSquare = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 63 degrees of freedom: chi2 quantile 0.999 = 103.442 (scipy.stats.chi2.ppf(0.999, 63)).
    expect(chiSquare).toBeLessThan(103.442);
  });

  it('gives different, uncorrelated sequences for different streams and seeds', () => {
    const n = 4096;
    const sequences: Float64Array[] = [];
    const sources: [Seed, number][] = [
      [seedFromNumber(1), 0],
      [seedFromNumber(1), 1],
      [seedFromNumber(1), 2],
      [seedFromNumber(1), 0xffffffff],
      [seedFromNumber(2), 0],
      [{ lo: 1, hi: 1 }, 0], // differs from seed 1 only in the high word
    ];
    for (const [seed, stream] of sources) {
      sequences.push(Float64Array.from({ length: n }, (_, c) => philoxUniform(seed, stream, c)));
    }
    // |Pearson r| of independent uniform sequences has standard deviation 1/sqrt(n); allow 5 sigma.
    const bound = 5 / Math.sqrt(n);
    for (let a = 0; a < sequences.length; a++) {
      for (let b = a + 1; b < sequences.length; b++) {
        let equal = 0;
        let sa = 0;
        let sb = 0;
        let sab = 0;
        let saa = 0;
        let sbb = 0;
        for (let i = 0; i < n; i++) {
          const x = sequences[a][i];
          const y = sequences[b][i];
          if (x === y) equal++;
          sa += x;
          sb += y;
          sab += x * y;
          saa += x * x;
          sbb += y * y;
        }
        const r = (n * sab - sa * sb) / Math.sqrt((n * saa - sa * sa) * (n * sbb - sb * sb));
        // Chance of a 24-bit collision at one index is 2^-24; a handful would mean shared state.
        expect(equal, `sources ${a} and ${b}`).toBeLessThanOrEqual(2);
        expect(Math.abs(r), `sources ${a} and ${b}`).toBeLessThan(bound);
      }
    }
  });
});

describe('reference fills', () => {
  const opts = { seed: { lo: 0xdeadbeef, hi: 0x12345 }, stream: 9, firstCounter: 2 ** 32 - 100, count: 100 };

  it('are plain loops over the scalar functions', () => {
    const bits = fillBitsReference(opts);
    const uniforms = fillUniformsReference(opts);
    const uniforms4 = fillUniforms4Reference(opts);
    for (let i = 0; i < opts.count; i++) {
      const counter = opts.firstCounter + i;
      expect(Array.from(bits.subarray(4 * i, 4 * i + 4))).toEqual(
        Array.from(philoxWords4(opts.seed, opts.stream, counter)),
      );
      expect(uniforms[i]).toBe(philoxUniform(opts.seed, opts.stream, counter));
      expect(Array.from(uniforms4.subarray(4 * i, 4 * i + 4))).toEqual(
        Array.from(philoxUniform4(opts.seed, opts.stream, counter)),
      );
    }
  });

  it.each([
    [{ count: 0 }, /count must be an integer >= 1, got 0/],
    [{ count: 2.5 }, /count must be an integer >= 1, got 2\.5/],
    [{ stream: -3 }, /stream must be an integer in 0\.\.2\^32-1, got -3/],
    [{ firstCounter: 2 ** 32 }, /firstCounter must be .* got 4294967296/],
    [{ count: 101 }, /counters 4294967196\.\.4294967296 run past 2\^32-1/],
    [{ seed: { lo: 0, hi: -1 } }, /seed must be \{lo, hi\}.*hi: -1/],
  ])('reject %o with KernelInputError', (patch, message) => {
    expect(() => fillBitsReference({ ...opts, ...patch })).toThrow(KernelInputError);
    expect(() => fillBitsReference({ ...opts, ...patch })).toThrow(message);
  });
});
