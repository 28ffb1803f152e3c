import { describe, expect, it } from 'vitest';
import { gaussianKernel } from './colour';
import {
  TRANSFORM_KINDS,
  applyTransform,
  describeTransform,
  randomTransform,
  transformRecord,
  type ImageTransform,
} from './transforms';

/** A w x h RGB image whose pixel (x, y) is [v, v + 0.01, v + 0.02] with v = (y * w + x) / 100. */
function labelled(width: number, height: number): Float32Array {
  const image = new Float32Array(width * height * 3);
  for (let p = 0; p < width * height; p++) for (let c = 0; c < 3; c++) image[p * 3 + c] = p / 100 + c / 100;
  return image;
}

/** The pixel labels (y * w + x) of an image made by rearranging labelled(...), row by row; 0-fill is -1. */
function labels(image: Float32Array, width: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < image.length; i += 3) {
    const p = Math.round(image[i] * 100);
    const isFill = image[i] === 0 && image[i + 1] === 0;
    if (i / 3 / width === Math.floor(i / 3 / width)) rows.push([]);
    rows[rows.length - 1].push(isFill ? -1 : p);
  }
  return rows;
}

/** Bit-for-bit equality of two f32 arrays (fast; toEqual on thousands of elements is slow). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

const rotation = (degrees: number): ImageTransform => ({ kind: 'rotation', params: { degrees } });
const hflip: ImageTransform = { kind: 'horizontal-flip', params: {} };
const vflip: ImageTransform = { kind: 'vertical-flip', params: {} };

describe('geometric transforms on tiny images', () => {
  const image = labelled(3, 3); // labels [[0, 1, 2], [3, 4, 5], [6, 7, 8]]

  it('flips mirror the image, and flipping twice is the identity', () => {
    expect(labels(applyTransform(image, 3, 3, hflip), 3)).toEqual([
      [2, 1, 0],
      [5, 4, 3],
      [8, 7, 6],
    ]);
    expect(labels(applyTransform(image, 3, 3, vflip), 3)).toEqual([
      [6, 7, 8],
      [3, 4, 5],
      [0, 1, 2],
    ]);
    const wide = labelled(5, 2);
    for (const flip of [hflip, vflip]) {
      expect(applyTransform(applyTransform(wide, 5, 2, flip), 5, 2, flip)).toEqual(wide);
    }
  });

  it('rotates counter-clockwise by quarter turns exactly', () => {
    expect(labels(applyTransform(image, 3, 3, rotation(90)), 3)).toEqual([
      [2, 5, 8],
      [1, 4, 7],
      [0, 3, 6],
    ]);
    expect(labels(applyTransform(image, 3, 3, rotation(180)), 3)).toEqual([
      [8, 7, 6],
      [5, 4, 3],
      [2, 1, 0],
    ]);
    expect(labels(applyTransform(image, 3, 3, rotation(-90)), 3)).toEqual([
      [6, 3, 0],
      [7, 4, 1],
      [8, 5, 2],
    ]);
    expect(applyTransform(image, 3, 3, rotation(0))).toEqual(image);
    const even = labelled(4, 4);
    let turned = even;
    for (let i = 0; i < 4; i++) turned = applyTransform(turned, 4, 4, rotation(90));
    expect(turned).toEqual(even);
  });

  it('fills the corners a 45-degree rotation brings in from outside with 0 and keeps the centre', () => {
    const out = labels(applyTransform(labelled(5, 5), 5, 5, rotation(45)), 5);
    expect([out[0][0], out[0][4], out[4][0], out[4][4]]).toEqual([-1, -1, -1, -1]);
    expect(out[2][2]).toBe(12);
    // (x=2, y=0): dx = 0, dy = -2 reads (2 + 2 sin 45, 2 - 2 cos 45) = (3.41, 0.59) -> pixel (3, 1).
    expect(out[0][2]).toBe(8);
  });

  it('crops and resizes bilinearly with half-pixel centres', () => {
    const row = new Float32Array([9, 9, 9, 0, 0, 0, 1, 1, 1, 9, 9, 9]); // 4 x 1: [9, 0, 1, 9]
    const crop: ImageTransform = { kind: 'crop', params: { top: 0, left: 1, width: 2, height: 1 } };
    // Sources (d + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (past the last: repeat it).
    expect(Array.from(applyTransform(row, 4, 1, crop).filter((_, i) => i % 3 === 0))).toEqual([
      0, 0.25, 0.75, 1,
    ]);
    const whole: ImageTransform = { kind: 'crop', params: { top: 0, left: 0, width: 3, height: 3 } };
    expect(applyTransform(image, 3, 3, whole)).toEqual(image);
    const onePixel: ImageTransform = { kind: 'crop', params: { top: 2, left: 1, width: 1, height: 1 } };
    expect(labels(applyTransform(image, 3, 3, onePixel), 3).flat()).toEqual(new Array(9).fill(7));
  });
});

describe('colour transforms', () => {
  const jitter = (params: Partial<Record<'brightness' | 'contrast' | 'saturation' | 'hue', number>>) =>
    ({
      kind: 'colour-jitter',
      params: {
        brightness: 1,
        contrast: 1,
        saturation: 1,
        hue: 0,
        order: ['brightness', 'contrast', 'saturation', 'hue'],
        ...params,
      },
    }) as ImageTransform;
  const pixel = (r: number, g: number, b: number) => new Float32Array([r, g, b]);
  const close = (actual: Float32Array, expected: number[]) =>
    Array.from(actual).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));

  it('leaves the image alone with neutral factors, and each factor does what torchvision does', () => {
    const image = labelled(4, 3);
    close(applyTransform(image, 4, 3, jitter({})), Array.from(image));
    expect(applyTransform(image, 4, 3, jitter({ brightness: 0 })).every((v) => v === 0)).toBe(true);
    close(applyTransform(pixel(0.6, 0.2, 0.1), 1, 1, jitter({ brightness: 2 })), [1, 0.4, 0.2]);
    // contrast 0: every pixel becomes the mean grey 0.2989 R + 0.587 G + 0.114 B over the image.
    const two = new Float32Array([1, 0, 0, 0, 0, 1]);
    const meanGrey = (0.2989 + 0.114) / 2;
    close(applyTransform(two, 2, 1, jitter({ contrast: 0 })), new Array(6).fill(meanGrey));
    // saturation 0: each pixel becomes its own grey.
    close(
      applyTransform(two, 2, 1, jitter({ saturation: 0 })),
      [0.2989, 0.2989, 0.2989, 0.114, 0.114, 0.114],
    );
  });

  it('turns the hue: red + 1/3 turn is green, red + 1/2 turn is cyan, red - 1/3 turn is blue', () => {
    close(applyTransform(pixel(1, 0, 0), 1, 1, jitter({ hue: 1 / 3 })), [0, 1, 0]);
    close(applyTransform(pixel(1, 0, 0), 1, 1, jitter({ hue: 0.5 })), [0, 1, 1]);
    close(applyTransform(pixel(1, 0, 0), 1, 1, jitter({ hue: -1 / 3 })), [0, 0, 1]);
    close(applyTransform(pixel(0.5, 0.5, 0.5), 1, 1, jitter({ hue: 0.3 })), [0.5, 0.5, 0.5]);
  });

  it('blurs with a normalised symmetric kernel: constants stay, an impulse becomes the kernel', () => {
    const kernel = gaussianKernel(13, 1.7);
    expect(kernel.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 15);
    for (let j = 0; j < 13; j++) expect(kernel[j]).toBe(kernel[12 - j]);
    expect(kernel[6] / kernel[7]).toBeCloseTo(Math.exp(0.5 / 1.7 ** 2), 12);
    const blur: ImageTransform = { kind: 'gaussian-blur', params: { kernelSize: 13, sigma: 1.7 } };
    const flat = new Float32Array(5 * 4 * 3).fill(0.3);
    close(applyTransform(flat, 5, 4, blur), Array.from(flat)); // also covers images smaller than the kernel
    const impulse = new Float32Array(31 * 31 * 3);
    impulse[(15 * 31 + 15) * 3] = 1;
    const out = applyTransform(impulse, 31, 31, blur);
    for (const [x, y] of [
      [15, 15],
      [12, 15],
      [15, 20],
      [9, 21],
    ]) {
      expect(out[(y * 31 + x) * 3]).toBeCloseTo(kernel[x - 15 + 6] * kernel[y - 15 + 6], 7);
    }
    expect(out[(15 * 31 + 15) * 3 + 1]).toBe(0);
  });
});

describe('randomTransform', () => {
  const seeds = Array.from({ length: 600 }, (_, i) => i);
  const drawn = seeds.map((seed) => randomTransform(seed));

  it('is a pure function of the seed and plain JSON that replays to the same pixels', () => {
    const image = labelled(48, 48);
    for (const seed of [0, 1, 2, 3, 4, 5, 6, 7, 2 ** 40 + 3]) {
      const t = randomTransform(seed);
      expect(randomTransform(seed)).toEqual(t);
      const replayed = JSON.parse(JSON.stringify(t)) as ImageTransform;
      expect(sameBits(applyTransform(image, 48, 48, replayed), applyTransform(image, 48, 48, t))).toBe(true);
    }
    expect(
      drawn.filter((t, i) => JSON.stringify(t) !== JSON.stringify(drawn[(i + 1) % 600])).length,
    ).toBeGreaterThan(500);
  });

  it('pins the draws of the first seeds (a change here breaks recomputing old traces)', () => {
    expect(drawn.slice(0, 8).map(describeTransform)).toMatchInlineSnapshot(`
      [
        "horizontal flip",
        "vertical flip",
        "vertical flip",
        "gaussian blur: 13-pixel kernel, sigma 1.53 px",
        "gaussian blur: 13-pixel kernel, sigma 1.52 px",
        "crop 44x35 px at left 4, top 1, resized to the full image",
        "rotation by 76.5 degrees counter-clockwise",
        "vertical flip",
      ]
    `);
  });

  it('picks the six kinds uniformly (each within 5 binomial standard deviations of 100 in 600)', () => {
    const sd = Math.sqrt(600 * (1 / 6) * (5 / 6));
    for (const kind of TRANSFORM_KINDS) {
      expect(Math.abs(drawn.filter((t) => t.kind === kind).length - 100)).toBeLessThan(5 * sd);
    }
  });

  it("draws parameters in the reference's ranges, and crop boxes inside the image", () => {
    for (const t of drawn) {
      if (t.kind === 'rotation') {
        expect(t.params.degrees).toBeGreaterThanOrEqual(-180);
        expect(t.params.degrees).toBeLessThan(180);
      } else if (t.kind === 'colour-jitter') {
        for (const f of [t.params.brightness, t.params.contrast, t.params.saturation]) {
          expect(f >= 0 && f < 2).toBe(true);
        }
        expect(t.params.hue >= -0.5 && t.params.hue < 0.5).toBe(true);
        expect([...t.params.order].sort()).toEqual(['brightness', 'contrast', 'hue', 'saturation']);
      } else if (t.kind === 'gaussian-blur') {
        expect(t.params.kernelSize).toBe(13);
        expect(t.params.sigma >= 1.5 && t.params.sigma < 2).toBe(true);
      } else if (t.kind === 'crop') {
        const b = t.params;
        expect(b.left >= 0 && b.top >= 0 && b.left + b.width <= 48 && b.top + b.height <= 48).toBe(true);
        // Area in [0.08, 1] of the image and aspect in [3/4, 4/3] before w and h were rounded (by <= 1/2).
        expect((b.width + 0.5) * (b.height + 0.5)).toBeGreaterThanOrEqual(0.08 * 48 * 48);
        expect((b.width - 0.5) / (b.height + 0.5)).toBeLessThanOrEqual(4 / 3);
        expect((b.width + 0.5) / (b.height - 0.5)).toBeGreaterThanOrEqual(3 / 4);
      }
    }
  });

  it("falls back to torchvision's centred box when no try fits (a 200 x 10 strip)", () => {
    // Every try needs h >= sqrt(0.08 * 2000 * 3/4) = 11 > 10 rows, so the largest centred box with
    // aspect 4/3 is used: h = 10, w = round(10 * 4/3) = 13, left = floor((200 - 13) / 2) = 93.
    const cropSeed = seeds.find((seed) => drawn[seed].kind === 'crop');
    expect(cropSeed).toBeDefined();
    expect(randomTransform(cropSeed!, 200, 10)).toEqual({
      kind: 'crop',
      params: { top: 0, left: 93, width: 13, height: 10 },
    });
  });

  it('keeps every transformed Shapes-sized image finite and inside [0, 1]', () => {
    const image = labelled(48, 48).map((v) => v / 23.05);
    for (const t of drawn.slice(0, 60)) {
      const out = applyTransform(image, 48, 48, t);
      expect(out.length).toBe(image.length);
      expect(out.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
  });

  it('describes itself for the trace', () => {
    expect(describeTransform(rotation(-37.5))).toBe('rotation by -37.5 degrees counter-clockwise');
    expect(describeTransform(hflip)).toBe('horizontal flip');
    expect(describeTransform({ kind: 'crop', params: { top: 3, left: 4, width: 30, height: 25 } })).toBe(
      'crop 30x25 px at left 4, top 3, resized to the full image',
    );
    const t = randomTransform(11);
    expect(transformRecord(t, 11)).toEqual({ kind: 'transform', transform: describeTransform(t), seed: 11 });
  });
});

describe('validation', () => {
  const image = labelled(3, 3);

  it('refuses images, sizes and transforms that do not fit, naming what was wrong', () => {
    expect(() => applyTransform(image, 4, 3, hflip)).toThrow(
      'the image has 27 values, expected a Float32Array of 4 x 3 x 3',
    );
    expect(() => applyTransform(image, 3.5, 3, hflip)).toThrow('width must be an integer >= 1, got 3.5');
    expect(() =>
      applyTransform(image, 3, 3, { kind: 'shear', params: {} } as unknown as ImageTransform),
    ).toThrow(/unknown transform kind "shear"/);
    expect(() =>
      applyTransform(image, 3, 3, { kind: 'crop', params: { top: 1, left: 0, width: 3, height: 3 } }),
    ).toThrow(/box reaches past the 3x3 image/);
    expect(() =>
      applyTransform(image, 3, 3, { kind: 'crop', params: { top: 0, left: 0, width: 0, height: 3 } }),
    ).toThrow(/integer top, left >= 0 and width, height >= 1/);
    expect(() =>
      applyTransform(image, 3, 3, { kind: 'gaussian-blur', params: { kernelSize: 12, sigma: 1 } }),
    ).toThrow(/kernelSize must be an odd integer/);
    expect(() => applyTransform(image, 3, 3, rotation(NaN))).toThrow(/needs finite degrees/);
    const badOrder = {
      kind: 'colour-jitter',
      params: {
        brightness: 1,
        contrast: 1,
        saturation: 1,
        hue: 0,
        order: ['hue', 'hue', 'contrast', 'saturation'],
      },
    } as ImageTransform;
    expect(() => applyTransform(image, 3, 3, badOrder)).toThrow(
      /order must list brightness, contrast, saturation, hue once each/,
    );
    expect(() => randomTransform(-1)).toThrow(/randomTransform: seed must be an integer/);
    expect(() => randomTransform(1, 0, 48)).toThrow('randomTransform: width must be an integer >= 1, got 0');
  });
});
