// The size arithmetic and resampling of Idefics3's preprocessing on hand-computed cases.
import { describe, expect, test } from 'vitest';
import {
  bilinearResize,
  resizeOutputSize,
  splitImage,
  tileGrid,
  visionEncoderSize,
} from './preprocess-resize';

describe('resizeOutputSize (ImageProcessor.get_resize_output_image_size)', () => {
  test('longest_edge scales up or down to it, keeping the aspect ratio', () => {
    expect(resizeOutputSize(48, 48, { longestEdge: 48 })).toEqual({ width: 48, height: 48 });
    // 2048 / 640 = 3.2: 640 x 480 -> 2048 x 1536
    expect(resizeOutputSize(640, 480, { longestEdge: 2048 })).toEqual({ width: 2048, height: 1536 });
    // 512 / 300: the height 200 * 1.7066... = 341.33 floors to 341
    expect(resizeOutputSize(300, 200, { longestEdge: 512 })).toEqual({ width: 512, height: 341 });
    // a portrait image downscaled: 4000 x 1000 tall -> 512 / 4000 = 0.128: 1000 * 0.128 = 128
    expect(resizeOutputSize(1000, 4000, { longestEdge: 512 })).toEqual({ width: 128, height: 512 });
  });

  test('shortest_edge first, then longest_edge as a cap', () => {
    // short side 50 -> 100 (x2): 200 x 100, then the long side 200 -> 150 (x0.75): 150 x 75
    expect(resizeOutputSize(100, 50, { shortestEdge: 100, longestEdge: 150 })).toEqual({
      width: 150,
      height: 75,
    });
    expect(resizeOutputSize(100, 50, { shortestEdge: 100 })).toEqual({ width: 200, height: 100 });
  });

  test('rounds to 2 decimals before flooring, as transformers.js does', () => {
    // 10 / 3 * 3 = 10.000000000000002 and 10 / 3 * 1 = 3.33: 10 x 3
    expect(resizeOutputSize(3, 1, { longestEdge: 10 })).toEqual({ width: 10, height: 3 });
    // 49 * (4 / 49) = 3.9999999999999996 in floating point: plain flooring would give 3
    expect(49 * (4 / 49)).toBeLessThan(4);
    expect(resizeOutputSize(49, 49, { longestEdge: 4 })).toEqual({ width: 4, height: 4 });
  });
});

describe('visionEncoderSize (get_resize_for_vision_encoder)', () => {
  test('both sides up to multiples of the tile, aspect ratio kept', () => {
    expect(visionEncoderSize({ height: 1536, width: 2048 }, 512)).toEqual({ height: 1536, width: 2048 });
    expect(visionEncoderSize({ height: 341, width: 512 }, 512)).toEqual({ height: 512, width: 512 });
    // portrait: height 700 -> 1024; width floor(1024 * 300 / 700) = 438 -> 512
    expect(visionEncoderSize({ height: 700, width: 300 }, 512)).toEqual({ height: 1024, width: 512 });
    expect(visionEncoderSize({ height: 48, width: 48 }, 48)).toEqual({ height: 48, width: 48 });
  });
});

describe('tileGrid and splitImage (split_image)', () => {
  test('grids', () => {
    expect(tileGrid({ height: 1536, width: 2048 }, 512)).toEqual({
      rows: 3,
      cols: 4,
      tile: { height: 512, width: 512 },
    });
    expect(tileGrid({ height: 512, width: 512 }, 512)).toEqual({
      rows: 0,
      cols: 0,
      tile: { height: 512, width: 512 },
    });
    // 5 x 7 in tiles of 4: 2 x 2 tiles of ceil(5/2) x ceil(7/2) = 3 x 4
    expect(tileGrid({ height: 5, width: 7 }, 4)).toEqual({ rows: 2, cols: 2, tile: { height: 3, width: 4 } });
  });

  test('the last row and column are aligned to the bottom and right edges; then the global image', () => {
    // One channel, 5 x 7, value = 10 * y + x.
    const planes = Float32Array.from({ length: 35 }, (_, i) => 10 * Math.floor(i / 7) + (i % 7));
    const { frames, rows, cols } = splitImage(planes, 1, { height: 5, width: 7 }, 4);
    expect([rows, cols, frames.length]).toEqual([2, 2, 5]);
    // tile (0, 0): rows 0..2, columns 0..3
    expect([...frames[0]]).toEqual([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]);
    // tile (0, 1): columns 7 - 4 = 3..6
    expect([...frames[1]]).toEqual([3, 4, 5, 6, 13, 14, 15, 16, 23, 24, 25, 26]);
    // tile (1, 0): rows 5 - 3 = 2..4
    expect([...frames[2]]).toEqual([20, 21, 22, 23, 30, 31, 32, 33, 40, 41, 42, 43]);
    expect(frames[3][0]).toBe(23);
    // global: 5 x 7 -> 4 x 4; its first value samples y = 0.5 * 5/4 - 0.5 = 0.125, x = 0.5 * 7/4 - 0.5 = 0.375
    expect(frames[4]).toHaveLength(16);
    expect(frames[4][0]).toBeCloseTo(10 * 0.125 + 0.375, 5);
  });

  test('an image no larger than a tile is one frame, as it is', () => {
    const planes = new Float32Array(12);
    const split = splitImage(planes, 3, { height: 2, width: 2 }, 4);
    expect(split).toEqual({ frames: [planes], rows: 0, cols: 0 });
  });
});

describe('bilinearResize (ONNX Resize, linear, half_pixel)', () => {
  test('upsampling a row: edges clamp, inner samples interpolate', () => {
    // x_in = (x + 0.5) / 2 - 0.5: -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1)
    const out = bilinearResize(Float32Array.of(0, 10), 1, { height: 1, width: 2 }, { height: 1, width: 4 });
    expect([...out]).toEqual([0, 2.5, 7.5, 10]);
  });

  test('2 x 2 -> 4 x 4 is separable', () => {
    const out = bilinearResize(
      Float32Array.of(0, 10, 20, 30),
      1,
      { height: 2, width: 2 },
      { height: 4, width: 4 },
    );
    const rows = [0, 5, 15, 20];
    const cols = [0, 2.5, 7.5, 10];
    expect([...out]).toEqual(rows.flatMap((r) => cols.map((c) => r + c)));
  });

  test('downsampling averages neighbours without antialiasing; channels are independent', () => {
    // x_in = (x + 0.5) * 2 - 0.5 = 0.5, 2.5
    const out = bilinearResize(
      Float32Array.of(0, 10, 20, 30, 1, 1, 1, 1),
      2,
      { height: 1, width: 4 },
      { height: 1, width: 2 },
    );
    expect([...out]).toEqual([5, 25, 1, 1]);
  });

  test('the same size is the same array', () => {
    const planes = new Float32Array(6);
    expect(bilinearResize(planes, 3, { height: 1, width: 2 }, { height: 1, width: 2 })).toBe(planes);
  });
});
