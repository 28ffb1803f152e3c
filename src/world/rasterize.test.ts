// The rasterizer: exact colours, objects inside their cells, sizes and positions a model can tell
// apart, distinct shape masks, and bit-identical output for the same scene.
import { describe, expect, it } from 'vitest';
import { DEFAULT_WORLD, sampleScenes } from './distribution';
import { shapeMask } from './geometry';
import { IMAGE_BYTES, imageToFloat32, imageToRgba, objectOrigin, objectPixels, rasterize } from './rasterize';
import { EXPECTED_FINGERPRINT, fnv1a } from './testing';
import {
  BACKGROUND,
  CELL_SIZE,
  IMAGE_SIZE,
  PALETTE,
  SHAPES,
  SIZE_PIXELS,
  type Scene,
  type SceneObject,
} from './types';

const object = (o: Partial<SceneObject>): SceneObject => ({
  shape: 'circle',
  colour: 'red',
  size: 'large',
  column: 0,
  row: 0,
  offsetX: 0,
  offsetY: 0,
  ...o,
});

const pixel = (image: Uint8Array, p: number) => [...image.subarray(p * 3, p * 3 + 3)];

describe('rasterize', () => {
  it('paints every object pixel in its palette colour and everything else background', () => {
    for (const scene of sampleScenes(DEFAULT_WORLD, 11, 50)) {
      const image = rasterize(scene);
      expect(image.length).toBe(IMAGE_BYTES);
      const owner = new Map<number, SceneObject>();
      for (const o of scene.objects) {
        const pixels = objectPixels(o);
        expect(pixels.length).toBeGreaterThan(20);
        for (const p of pixels) {
          expect(owner.has(p)).toBe(false); // objects never overlap
          owner.set(p, o);
        }
      }
      const expected = new Uint8Array(IMAGE_BYTES);
      for (let p = 0; p < IMAGE_SIZE * IMAGE_SIZE; p++) {
        const o = owner.get(p);
        expected.set(o === undefined ? BACKGROUND : PALETTE[o.colour], p * 3);
      }
      const wrong = expected.findIndex((v, i) => image[i] !== v);
      expect(wrong, `first wrong byte at ${wrong}`).toBe(-1);
    }
  });

  it('keeps each object inside its cell (no out-of-bounds pixels)', () => {
    for (const scene of sampleScenes(DEFAULT_WORLD, 12, 50)) {
      for (const o of scene.objects) {
        const outside = objectPixels(o).filter((p) => {
          const x = p % IMAGE_SIZE;
          const y = Math.floor(p / IMAGE_SIZE);
          return Math.floor(x / CELL_SIZE) !== o.column || Math.floor(y / CELL_SIZE) !== o.row;
        });
        expect(outside).toEqual([]);
      }
    }
  });

  it('makes sizes and positions distinguishable', () => {
    for (const shape of SHAPES) {
      const small = objectPixels(object({ shape, size: 'small' }));
      const large = objectPixels(object({ shape, size: 'large' }));
      expect(large.length).toBeGreaterThan(2 * small.length);
    }
    const at = (column: number, row: number) => {
      const pixels = objectPixels(object({ column, row }));
      const xs = pixels.map((p) => p % IMAGE_SIZE);
      const ys = pixels.map((p) => Math.floor(p / IMAGE_SIZE));
      return { left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys) };
    };
    expect(at(0, 0).right).toBeLessThan(at(1, 0).left);
    expect(at(1, 0).right).toBeLessThan(at(2, 0).left);
    expect(at(0, 0).bottom).toBeLessThan(at(0, 1).top);
    expect(objectOrigin(object({ column: 2, row: 1, offsetX: 1, offsetY: 0 }))).toEqual({ x: 33, y: 16 });
  });

  it('gives every shape its own mask at each size', () => {
    for (const size of Object.values(SIZE_PIXELS)) {
      for (const a of SHAPES) {
        for (const b of SHAPES) {
          if (a >= b) continue;
          const ma = shapeMask(a, size);
          const mb = shapeMask(b, size);
          const differing = ma.reduce((n, v, i) => n + (v === mb[i] ? 0 : 1), 0);
          expect(differing, `${a} vs ${b} at ${size} px`).toBeGreaterThanOrEqual(size === 9 ? 8 : 20);
        }
      }
    }
  });

  it('is deterministic: the same scenes give the same bytes (pinned hash)', () => {
    const scenes = sampleScenes(DEFAULT_WORLD, 2024, 20);
    const bytes = new Uint8Array(scenes.flatMap((s) => [...rasterize(s)]));
    expect(fnv1a(bytes)).toBe(EXPECTED_FINGERPRINT.images);
    expect(rasterize(scenes[3])).toEqual(rasterize(structuredClone(scenes[3])));
  });

  it('draws an empty scene as background only', () => {
    const image = rasterize({ objects: [] });
    const colours = new Set(
      Array.from({ length: IMAGE_SIZE * IMAGE_SIZE }, (_, p) => pixel(image, p).join()),
    );
    expect([...colours]).toEqual([BACKGROUND.join()]);
  });

  it('refuses malformed scenes with the field and value', () => {
    const bad = (o: Partial<SceneObject>): Scene => ({ objects: [object(o)] });
    expect(() => rasterize(bad({ shape: 'hexagon' as never }))).toThrow(
      'Scene object 0: unknown shape "hexagon"',
    );
    expect(() => rasterize(bad({ column: 3 }))).toThrow('column must be an integer in 0..2, got 3');
    expect(() => rasterize(bad({ offsetX: 2 }))).toThrow(
      'offsetX must be an integer in 0..1 for a large object (15 px in a 16 px cell), got 2',
    );
    expect(() => rasterize({ objects: [object({}), object({ colour: 'blue' })] })).toThrow(
      'Scene object 1: cell (column 0, row 0) already holds another object',
    );
    const seven = Array.from({ length: 7 }, (_, i) => object({ column: i % 3, row: Math.floor(i / 3) }));
    expect(() => rasterize({ objects: seven })).toThrow('has 7 objects, at most 6');
  });

  it('converts to floats and RGBA', () => {
    const image = rasterize({ objects: [object({ colour: 'white' })] });
    const floats = imageToFloat32(image);
    expect(floats[0]).toBe(0);
    expect(Math.max(...floats)).toBeCloseTo(240 / 255, 6);
    const rgba = imageToRgba(image);
    expect(rgba.length).toBe(IMAGE_SIZE * IMAGE_SIZE * 4);
    expect(rgba[3]).toBe(255);
    expect(() => imageToRgba(new Uint8Array(5))).toThrow('expected 48×48×3 = 6912 bytes, got 5');
  });
});
