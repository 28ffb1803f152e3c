// User images: the right size passes through, wrong sizes are resized (with a message) or refused
// (with both sizes named), and bad data is rejected before it reaches a model.
import { describe, expect, it } from 'vitest';
import { ImageInputError, prepareImage, resizeImage, toRgbBytes } from './image';
import { rasterize } from './rasterize';
import { IMAGE_SIZE, type Scene } from './types';

const scene: Scene = {
  objects: [{ shape: 'star', colour: 'yellow', size: 'large', column: 1, row: 2, offsetX: 1, offsetY: 0 }],
};

/** An RGB image of one colour. */
function solid(width: number, height: number, rgb: [number, number, number]): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) data.set(rgb, p * 3);
  return data;
}

describe('prepareImage', () => {
  it('passes a 48×48 RGB image through unchanged', () => {
    const image = rasterize(scene);
    const prepared = prepareImage({ width: 48, height: 48, channels: 3, data: image });
    expect(prepared).toEqual({ image, resized: false, message: null });
  });

  it('resizes a larger image by area averaging and says so', () => {
    const prepared = prepareImage({ width: 96, height: 96, channels: 3, data: solid(96, 96, [10, 20, 30]) });
    expect(prepared.resized).toBe(true);
    expect(prepared.message).toBe('Image was 96×96; resized to 48×48 (area averaging).');
    expect(prepared.image).toEqual(solid(48, 48, [10, 20, 30]));
  });

  it('refuses a wrong size when asked to, naming both sizes', () => {
    const input = { width: 32, height: 40, channels: 3 as const, data: solid(32, 40, [1, 2, 3]) };
    expect(() => prepareImage(input, { onWrongSize: 'refuse' })).toThrow(
      "Image is 32×40 but the Shapes world's models read 48×48: resize it first, or allow resizing",
    );
    expect(prepareImage(input).message).toBe('Image was 32×40; resized to 48×48 (nearest pixel).');
  });

  it('composites RGBA over black and reads floats in [0, 1]', () => {
    const rgba = new Uint8ClampedArray([200, 100, 50, 255, 200, 100, 50, 0, 255, 255, 255, 128]);
    expect([...toRgbBytes({ width: 3, height: 1, channels: 4, data: rgba })]).toEqual([
      200, 100, 50, 0, 0, 0, 128, 128, 128,
    ]);
    const floats = new Float32Array([0, 0.5, 1]);
    expect([...toRgbBytes({ width: 1, height: 1, channels: 3, data: floats })]).toEqual([0, 128, 255]);
  });

  it('rejects empty, mismatched and out-of-range input with a clear message', () => {
    const bad = (input: object) => () => toRgbBytes(input as never);
    expect(bad({ width: 0, height: 0, channels: 3, data: new Uint8Array(0) })).toThrow(
      'Image: the image is empty (0×0); expected 48×48',
    );
    expect(bad({ width: 4, height: 4, channels: 3, data: new Uint8Array(10) })).toThrow(
      'Image: 4×4×3 needs 48 values, got 10: the data does not match the stated size',
    );
    expect(bad({ width: 1, height: 1, channels: 2, data: new Uint8Array(2) })).toThrow(
      'expected 3 (RGB) or 4 (RGBA) channels, got 2',
    );
    expect(bad({ width: 1, height: 1, channels: 3, data: new Float32Array([0, NaN, 0]) })).toThrow(
      'float pixel values must be in [0, 1], got NaN at pixel 0',
    );
    expect(bad({ width: 1.5, height: 2, channels: 3, data: new Uint8Array(9) })).toThrow(
      'width and height must be whole numbers, got 1.5×2',
    );
    expect(bad({ width: 1, height: 1, channels: 3 })).toThrow('got none');
    expect(bad({ width: 1, height: 1, channels: 3 })).toThrow(ImageInputError);
  });
});

describe('resizeImage', () => {
  it('averages 2×2 blocks when halving and repeats pixels when doubling', () => {
    // 4×2 image: columns 0,1 are 0 and 100; columns 2,3 are 200 and 255.
    const row = [0, 100, 200, 255].flatMap((v) => [v, v, v]);
    const data = new Uint8Array([...row, ...row]);
    expect([...resizeImage(data, 4, 2, 2, 1)]).toEqual([50, 50, 50, 228, 228, 228]);
    expect([...resizeImage(new Uint8Array([1, 2, 3, 4, 5, 6]), 2, 1, 4, 1)]).toEqual([
      1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6,
    ]);
  });

  it('round-trips a world image through 2× up and down exactly', () => {
    const image = rasterize(scene);
    const up = resizeImage(image, IMAGE_SIZE, IMAGE_SIZE, 96, 96);
    expect(resizeImage(up, 96, 96)).toEqual(image);
  });

  it('checks its arguments', () => {
    expect(() => resizeImage(new Uint8Array(3), 2, 1)).toThrow('2×1 RGB needs 6 bytes, got 3');
    expect(() => resizeImage(new Uint8Array(3), 1, 1, 0, 4)).toThrow('output size must be positive, got 0×4');
  });
});
