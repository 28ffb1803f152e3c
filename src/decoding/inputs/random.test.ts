import { describe, expect, it } from 'vitest';
import { philoxUniform4, seedFromNumber } from '../../kernels/random/philox';
import {
  DIFFUSION_NOISE_STREAM,
  TRANSFORM_STREAM,
  fillStandardNormal,
  inputSeed,
  portableExp,
  portableLog,
  portableSinCosTurns,
} from './random';

/** Relative error allowed against the engine's Math functions: a few ulp (2^-52 = 2.2e-16). */
const FEW_ULP = 4e-16;

describe('portable transcendental functions', () => {
  it('portableExp agrees with Math.exp to a few ulp on [-60, 60] and is exact at 0', () => {
    expect(portableExp(0)).toBe(1);
    let worst = 0;
    for (let i = 0; i <= 12000; i++) {
      const x = -60 + i * 0.01 + 1e-7 * (i % 7);
      const expected = Math.exp(x);
      worst = Math.max(worst, Math.abs(portableExp(x) - expected) / expected);
    }
    expect(worst).toBeLessThanOrEqual(FEW_ULP);
    expect(portableExp(800)).toBe(Infinity);
    expect(portableExp(-800)).toBe(0);
    expect(portableExp(NaN)).toBeNaN();
  });

  it('portableLog agrees with Math.log to a few ulp from 1e-300 to 1e300 and on (0, 1]', () => {
    expect(portableLog(1)).toBe(0);
    let worst = 0;
    const check = (x: number) => {
      const expected = Math.log(x);
      worst = Math.max(worst, Math.abs(portableLog(x) - expected) / Math.max(1, Math.abs(expected)));
    };
    for (let i = 0; i <= 6000; i++) check(10 ** (-300 + i * 0.1) * (1 + 1e-3 * (i % 11)));
    // The uniforms Box-Muller sees: 1 - k / 2^24, k = 0..2^24-1 (a stride through them).
    for (let k = 0; k < 2 ** 24; k += 4099) check(1 - k / 2 ** 24);
    expect(worst).toBeLessThanOrEqual(FEW_ULP);
    expect(portableLog(5e-324)).toBeCloseTo(Math.log(5e-324), 10); // subnormal
  });

  it('portableLog refuses arguments outside (0, inf)', () => {
    for (const bad of [0, -1, NaN, Infinity]) {
      expect(() => portableLog(bad)).toThrow(/finite number > 0, got/);
    }
  });

  it('portableSinCosTurns agrees with Math.sin / Math.cos and is exact at quarter turns', () => {
    let worst = 0;
    for (let i = 0; i <= 20000; i++) {
      const turns = -2 + i * 0.0002 + 1e-9 * (i % 13);
      const [sin, cos] = portableSinCosTurns(turns);
      worst = Math.max(
        worst,
        Math.abs(sin - Math.sin(2 * Math.PI * turns)),
        Math.abs(cos - Math.cos(2 * Math.PI * turns)),
      );
    }
    // 2 pi turns itself is rounded (up to 2.5e-16 relative for |turns| <= 2), so Math's side is off by ~1e-15.
    expect(worst).toBeLessThanOrEqual(2e-15);
    // Exact, not 6e-17 away (+ 0 turns -0 into 0 so the comparison is about the value).
    const quarterTurns: [number, number, number][] = [
      [0, 0, 1],
      [0.25, 1, 0],
      [0.5, 0, -1],
      [-0.25, -1, 0],
      [3, 0, 1],
    ];
    for (const [turns, sin, cos] of quarterTurns) {
      const [s, c] = portableSinCosTurns(turns);
      expect([s + 0, c + 0]).toEqual([sin, cos]);
    }
    expect(() => portableSinCosTurns(Infinity)).toThrow(/must be finite/);
  });
});

describe('fillStandardNormal', () => {
  const seed = seedFromNumber(42);

  it('is a pure function of (seed, stream, index): the same bytes every call, whatever the length', () => {
    const long = new Float32Array(1001);
    const again = new Float32Array(1001);
    const short = new Float32Array(7);
    fillStandardNormal(long, seed, DIFFUSION_NOISE_STREAM);
    fillStandardNormal(again, seed, DIFFUSION_NOISE_STREAM);
    fillStandardNormal(short, seed, DIFFUSION_NOISE_STREAM);
    expect(new Uint8Array(again.buffer)).toEqual(new Uint8Array(long.buffer));
    expect(Array.from(short)).toEqual(Array.from(long.subarray(0, 7)));
  });

  it('differs between seeds and between streams', () => {
    const a = new Float64Array(1000);
    const b = new Float64Array(1000);
    const c = new Float64Array(1000);
    fillStandardNormal(a, seed, DIFFUSION_NOISE_STREAM);
    fillStandardNormal(b, seedFromNumber(43), DIFFUSION_NOISE_STREAM);
    fillStandardNormal(c, seed, TRANSFORM_STREAM);
    const differing = (x: Float64Array, y: Float64Array) => x.filter((v, i) => v !== y[i]).length;
    expect(differing(a, b)).toBe(1000);
    expect(differing(a, c)).toBe(1000);
  });

  it('follows the documented layout: Box-Muller on counter floor(i / 4) of (seed, stream)', () => {
    const n = 4096;
    const z = new Float64Array(n);
    fillStandardNormal(z, seed, DIFFUSION_NOISE_STREAM);
    const u = new Float32Array(4);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      philoxUniform4(seed, DIFFUSION_NOISE_STREAM, Math.floor(i / 4), u);
      const pair = Math.floor((i % 4) / 2);
      const radius = Math.sqrt(-2 * Math.log(1 - u[2 * pair]));
      const angle = 2 * Math.PI * u[2 * pair + 1];
      const expected = radius * (i % 2 === 0 ? Math.cos(angle) : Math.sin(angle));
      worst = Math.max(worst, Math.abs(z[i] - expected));
    }
    expect(worst).toBeLessThan(1e-14);
  });

  it('pins the first draws of seed 42 (a change here breaks recomputing old traces)', () => {
    const z = new Float64Array(4);
    fillStandardNormal(z, seed, DIFFUSION_NOISE_STREAM);
    expect(Array.from(z)).toMatchInlineSnapshot(`
      [
        -0.777120824039647,
        1.6620996814739106,
        -0.45170548275238737,
        -0.4327869760400957,
      ]
    `);
  });

  it('is standard normal: mean, variance, kurtosis and the one-sigma mass within 5 standard errors', () => {
    const n = 2 ** 18;
    const z = new Float64Array(n);
    fillStandardNormal(z, seedFromNumber(7), DIFFUSION_NOISE_STREAM);
    let sum = 0;
    let sum2 = 0;
    let sum4 = 0;
    let inside = 0;
    let largest = 0;
    for (const v of z) {
      sum += v;
      sum2 += v * v;
      sum4 += v ** 4;
      if (Math.abs(v) < 1) inside++;
      largest = Math.max(largest, Math.abs(v));
    }
    const mean = sum / n;
    const variance = sum2 / n - mean * mean;
    // Standard errors for N(0, 1) samples: mean 1/sqrt(n), variance sqrt(2/n), 4th moment sqrt(96/n).
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(sum4 / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
    const p = 0.6826894921370859; // P(|Z| < 1)
    expect(Math.abs(inside / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    expect(largest).toBeLessThanOrEqual(Math.sqrt(48 * Math.LN2) + 1e-12);
  });
});

describe('inputSeed', () => {
  it('accepts Experiment seeds and names a bad one', () => {
    expect(inputSeed('test', 2 ** 40 + 5)).toEqual({ lo: 5, hi: 256 });
    for (const bad of [-1, 1.5, NaN, 2 ** 53]) {
      expect(() => inputSeed('diffusionNoise', bad)).toThrow(
        `diffusionNoise: seed must be an integer in 0..2^53-1`,
      );
    }
  });
});
