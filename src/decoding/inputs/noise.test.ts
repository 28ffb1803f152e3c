import { describe, expect, it } from 'vitest';
import {
  CLIP_NORMALIZATION,
  NOISE_STEPS,
  SYMMETRIC_NORMALIZATION,
  alphaBar,
  diffusionNoise,
  noiseSchedule,
  type PixelNormalization,
} from './noise';

/** An HWC RGB test image with values spread over [0, 1] (xorshift32, so failures reproduce). */
function testImage(pixels: number, state = 2463534242): Float32Array {
  const image = new Float32Array(pixels * 3);
  for (let i = 0; i < image.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    image[i] = (state >>> 0) / 2 ** 32;
  }
  return image;
}

/** eps recovered from x_t: ((x_t - m)/s - sqrt(abar) (x_0 - m)/s) / sqrt(1 - abar), per value. */
function recoveredNoise(
  noised: Float32Array,
  image: Float32Array,
  step: number,
  normalization: PixelNormalization = CLIP_NORMALIZATION,
): Float64Array {
  const abar = alphaBar(step);
  return Float64Array.from(noised, (v, i) => {
    const { mean, std } = { mean: normalization.mean[i % 3], std: normalization.std[i % 3] };
    return ((v - mean) / std - Math.sqrt(abar) * ((image[i] - mean) / std)) / Math.sqrt(1 - abar);
  });
}

/** Index of the first byte where two f32 arrays differ, or -1 when they are identical bit for bit. */
function firstDifferentByte(a: Float32Array, b: Float32Array): number {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (x.length !== y.length) return Math.min(x.length, y.length);
  return x.findIndex((v, i) => v !== y[i]);
}

describe('noiseSchedule', () => {
  it("matches VCD's sigmoid schedule (values from numpy float64 of the same formula)", () => {
    const { steps, betas, alphaBars } = noiseSchedule();
    expect(steps).toBe(1000);
    const known: [Float64Array, number, number][] = [
      [betas, 0, 2.2338389551607526e-5],
      [betas, 999, 0.004987661610448393],
      [alphaBars, 0, 0.9999776616104484],
      [alphaBars, 499, 0.7466745402028546],
      [alphaBars, 500, 0.7447985260430766],
      [alphaBars, 999, 0.0812491943039999],
    ];
    for (const [values, t, expected] of known) {
      expect(Math.abs(values[t] - expected) / expected).toBeLessThan(1e-13);
    }
  });

  it('has rising betas and falling alpha bars, and alphaBar(t) reads the same table', () => {
    const { betas, alphaBars } = noiseSchedule();
    for (let t = 1; t < NOISE_STEPS; t++) {
      expect(betas[t]).toBeGreaterThan(betas[t - 1]);
      expect(alphaBars[t]).toBeLessThan(alphaBars[t - 1]);
    }
    expect(alphaBar(500)).toBe(alphaBars[500]);
  });

  it('returns copies: changing one does not change the next', () => {
    const first = noiseSchedule();
    first.alphaBars[500] = 0;
    expect(noiseSchedule().alphaBars[500]).toBeCloseTo(0.7448, 4);
  });
});

describe('diffusionNoise', () => {
  const image = testImage(48 * 48);

  it('is reproducible bit for bit from (image, step, seed) and differs between seeds', () => {
    const a = diffusionNoise(image, 500, 42);
    expect(firstDifferentByte(diffusionNoise(image, 500, 42), a)).toBe(-1);
    const b = diffusionNoise(image, 500, 43);
    expect(a.length).toBe(image.length);
    expect(a.filter((v, i) => v !== b[i]).length).toBe(image.length);
    expect(a).not.toBe(image);
  });

  it('pins the output bytes for a fixed image and seed (a change here breaks recomputing old traces)', () => {
    const noised = diffusionNoise(image, 500, 42);
    let hash = 0x811c9dc5; // FNV-1a over the f32 bytes
    for (const byte of new Uint8Array(noised.buffer)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
    expect(hash.toString(16)).toMatchInlineSnapshot(`"6ca8b576"`);
  });

  it('uses one noise path per seed: the same eps at every step', () => {
    const at500 = recoveredNoise(diffusionNoise(image, 500, 9), image, 500);
    const at999 = recoveredNoise(diffusionNoise(image, 999, 9), image, 999);
    // f32 rounding of x_t (|x_t| < 4: half an ulp <= 2.4e-7) over std * sqrt(1 - abar) >= 0.13.
    let worst = 0;
    for (let i = 0; i < at500.length; i++) worst = Math.max(worst, Math.abs(at500[i] - at999[i]));
    expect(worst).toBeLessThan(1e-5);
  });

  it('at t = 999 follows q(x_t | x_0): eps is N(0, 1) and x_t keeps sqrt(abar_999) = 0.285 of the image', () => {
    const big = testImage(256 * 256, 88172645);
    const step = 999;
    const noised = diffusionNoise(big, step, 2024);
    const eps = recoveredNoise(noised, big, step);
    const n = eps.length;
    let sum = 0;
    let sum2 = 0;
    for (const v of eps) {
      sum += v;
      sum2 += v * v;
    }
    const mean = sum / n;
    // 5 standard errors of N(0, 1) estimates from n samples.
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(sum2 / n - mean * mean - 1)).toBeLessThan(5 * Math.sqrt(2 / n));

    // Regress the normalised output on the normalised input: slope sqrt(abar), residual sd sqrt(1 - abar).
    const { mean: m, std: s } = CLIP_NORMALIZATION;
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    for (let i = 0; i < n; i++) {
      const x = (big[i] - m[i % 3]) / s[i % 3];
      const y = (noised[i] - m[i % 3]) / s[i % 3];
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
    }
    const varianceX = sxx / n - (sx / n) ** 2;
    const slope = (sxy / n - (sx / n) * (sy / n)) / varianceX;
    const slopeError = Math.sqrt(1 - alphaBar(step)) / Math.sqrt(n * varianceX);
    expect(Math.abs(slope - Math.sqrt(alphaBar(step)))).toBeLessThan(5 * slopeError);
    expect(Math.sqrt(alphaBar(step))).toBeCloseTo(0.285, 3);
  });

  it('at t = 0 is nearly the original image, but not exactly', () => {
    const noised = diffusionNoise(image, 0, 5);
    const abar = alphaBar(0);
    // |x_t - x_0| = std |sqrt(1 - abar) eps - (1 - sqrt(abar)) z_0| with std <= 0.2758, |eps| <= 5.77
    // and |z_0| <= (1 - 0.4082) / 0.2758 = 2.15 for CLIP statistics; plus f32 rounding.
    const bound = 0.2758 * (Math.sqrt(1 - abar) * 5.78 + (1 - Math.sqrt(abar)) * 2.15) + 1e-7;
    let worst = 0;
    for (let i = 0; i < image.length; i++) worst = Math.max(worst, Math.abs(noised[i] - image[i]));
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThan(bound);
    expect(bound).toBeLessThan(0.008);
  });

  it('adds the noise in the chosen space: [-1, 1] doubles CLIP-sized pixel noise', () => {
    const big = testImage(128 * 128, 1234567);
    const step = 500;
    const eps = recoveredNoise(
      diffusionNoise(big, step, 3, { normalization: SYMMETRIC_NORMALIZATION }),
      big,
      step,
      {
        mean: [0.5, 0.5, 0.5],
        std: [0.5, 0.5, 0.5],
      },
    );
    const clipEps = recoveredNoise(diffusionNoise(big, step, 3), big, step);
    // Same seed, same eps, whatever the space: the space only scales it in pixel units.
    let worst = 0;
    for (let i = 0; i < eps.length; i++) worst = Math.max(worst, Math.abs(eps[i] - clipEps[i]));
    expect(worst).toBeLessThan(1e-5);
  });

  it('is not clamped: at t = 999 some values leave [0, 1]', () => {
    const noised = diffusionNoise(image, 999, 1);
    expect(noised.some((v) => v < 0)).toBe(true);
    expect(noised.some((v) => v > 1)).toBe(true);
    expect(noised.every(Number.isFinite)).toBe(true);
  });

  it('refuses bad steps, images, seeds and normalisations with the value in the message', () => {
    for (const step of [-1, 1000, 2.5, NaN]) {
      expect(() => diffusionNoise(image, step, 1)).toThrow(
        `diffusionNoise: the noise step must be an integer in 0..999 (VCD's 1000-step schedule; the reference uses 500), got ${step}`,
      );
    }
    expect(() => alphaBar(1000)).toThrow(/alphaBar: the noise step must be an integer in 0..999/);
    expect(() => diffusionNoise(new Float32Array(10), 500, 1)).toThrow(
      'diffusionNoise: the image has 10 values, which is not a positive multiple of 3',
    );
    expect(() => diffusionNoise(new Float32Array(0), 500, 1)).toThrow(/has 0 values/);
    const withNaN = new Float32Array(6);
    withNaN[4] = NaN;
    expect(() => diffusionNoise(withNaN, 500, 1)).toThrow('image value 4 (pixel 1, channel 1) is NaN');
    expect(() => diffusionNoise([0, 0, 0] as unknown as Float32Array, 500, 1)).toThrow(
      /must be a Float32Array/,
    );
    expect(() => diffusionNoise(image, 500, -3)).toThrow(/seed must be an integer in 0..2\^53-1 .*got -3/);
    expect(() =>
      diffusionNoise(image, 500, 1, { normalization: { mean: [0, 0, 0], std: [1, 0, 1] } }),
    ).toThrow('normalization channel 1 has mean 0 and std 0');
  });
});
