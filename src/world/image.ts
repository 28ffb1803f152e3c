// User images into the world's format (48×48 RGB bytes): validation with messages that name the
// sizes, RGBA → RGB, floats → bytes, and a deterministic integer resize.
//
// Resize, per axis: shrinking averages the source pixels whose centres fall in each output pixel
// (area/box filter; every output pixel gets at least one), enlarging repeats the nearest source
// pixel. All arithmetic is on integers, so the result is identical in Node and the browser.
// A model is only ever shown 48×48 images; prepareImage either resizes (saying so in `message`)
// or refuses with an error, as the caller chooses.
import { IMAGE_SIZE } from './types';

export interface ImageInput {
  width: number;
  height: number;
  /** 3 for RGB, 4 for RGBA (canvas ImageData; alpha is composited over the black background). */
  channels: 3 | 4;
  /** [height, width, channels] row-major: bytes 0..255, or floats in [0, 1]. */
  data: Uint8Array | Uint8ClampedArray | Float32Array;
}

export interface PreparedImage {
  /** IMAGE_SIZE × IMAGE_SIZE × 3 bytes. */
  image: Uint8Array;
  resized: boolean;
  /** For the user: what was done to the image, or null when it was used as it is. */
  message: string | null;
}

export class ImageInputError extends Error {
  override name = 'ImageInputError';
}

/** Checks sizes, channel count, data length and value range; returns the image as RGB bytes. */
export function toRgbBytes(input: ImageInput): Uint8Array {
  if (input === null || typeof input !== 'object') throw new ImageInputError('Image: no image was given');
  const { width, height, channels, data } = input;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new ImageInputError(
      `Image: width and height must be whole numbers, got ${String(width)}×${String(height)}`,
    );
  }
  if (width === 0 || height === 0) {
    throw new ImageInputError(
      `Image: the image is empty (${width}×${height}); expected ${IMAGE_SIZE}×${IMAGE_SIZE}`,
    );
  }
  if (channels !== 3 && channels !== 4) {
    throw new ImageInputError(`Image: expected 3 (RGB) or 4 (RGBA) channels, got ${String(channels)}`);
  }
  const expected = width * height * channels;
  if (data?.length !== expected) {
    throw new ImageInputError(
      `Image: ${width}×${height}×${channels} needs ${expected} values, got ${data?.length ?? 'none'}: ` +
        'the data does not match the stated size',
    );
  }
  const isFloat = data instanceof Float32Array;
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const alpha = channels === 4 ? byteOf(data[p * 4 + 3], isFloat, p) : 255;
    for (let c = 0; c < 3; c++) {
      const value = byteOf(data[p * channels + c], isFloat, p);
      rgb[p * 3 + c] = alpha === 255 ? value : Math.floor((value * alpha + 127) / 255);
    }
  }
  return rgb;
}

function byteOf(value: number, isFloat: boolean, pixel: number): number {
  if (!isFloat) return value;
  if (!(value >= 0 && value <= 1)) {
    throw new ImageInputError(`Image: float pixel values must be in [0, 1], got ${value} at pixel ${pixel}`);
  }
  return Math.round(value * 255);
}

/** For each output index, the source indices it reads (box when shrinking, nearest when enlarging). */
function axisSources(inLength: number, outLength: number): number[][] {
  const sources: number[][] = Array.from({ length: outLength }, () => []);
  if (inLength >= outLength) {
    for (let s = 0; s < inLength; s++)
      sources[Math.floor(((2 * s + 1) * outLength) / (2 * inLength))].push(s);
  } else {
    for (let o = 0; o < outLength; o++)
      sources[o].push(Math.floor(((2 * o + 1) * inLength) / (2 * outLength)));
  }
  return sources;
}

/** Resizes RGB bytes [height, width, 3] to [outHeight, outWidth, 3]. */
export function resizeImage(
  rgb: Uint8Array,
  width: number,
  height: number,
  outWidth = IMAGE_SIZE,
  outHeight = IMAGE_SIZE,
): Uint8Array {
  if (rgb.length !== width * height * 3 || width < 1 || height < 1) {
    throw new ImageInputError(
      `resizeImage: ${width}×${height} RGB needs ${width * height * 3} bytes, got ${rgb.length}`,
    );
  }
  if (!Number.isInteger(outWidth) || !Number.isInteger(outHeight) || outWidth < 1 || outHeight < 1) {
    throw new ImageInputError(`resizeImage: output size must be positive, got ${outWidth}×${outHeight}`);
  }
  const xs = axisSources(width, outWidth);
  const ys = axisSources(height, outHeight);
  const out = new Uint8Array(outWidth * outHeight * 3);
  for (let oy = 0; oy < outHeight; oy++) {
    for (let ox = 0; ox < outWidth; ox++) {
      const count = ys[oy].length * xs[ox].length;
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (const sy of ys[oy]) for (const sx of xs[ox]) sum += rgb[(sy * width + sx) * 3 + c];
        out[(oy * outWidth + ox) * 3 + c] = Math.floor((2 * sum + count) / (2 * count));
      }
    }
  }
  return out;
}

/**
 * A user image as the world's 48×48 RGB. Wrong sizes are resized (default) with a message, or
 * refused with an ImageInputError naming both sizes when `onWrongSize` is 'refuse'.
 */
export function prepareImage(
  input: ImageInput,
  options: { onWrongSize?: 'resize' | 'refuse' } = {},
): PreparedImage {
  const rgb = toRgbBytes(input);
  if (input.width === IMAGE_SIZE && input.height === IMAGE_SIZE) {
    return { image: rgb, resized: false, message: null };
  }
  const sizes = `${input.width}×${input.height}`;
  if (options.onWrongSize === 'refuse') {
    throw new ImageInputError(
      `Image is ${sizes} but the Shapes world's models read ${IMAGE_SIZE}×${IMAGE_SIZE}: ` +
        'resize it first, or allow resizing',
    );
  }
  const shrinks = input.width >= IMAGE_SIZE && input.height >= IMAGE_SIZE;
  const grows = input.width <= IMAGE_SIZE && input.height <= IMAGE_SIZE;
  const how = shrinks ? 'area averaging' : grows ? 'nearest pixel' : 'area averaging and nearest pixel';
  return {
    image: resizeImage(rgb, input.width, input.height),
    resized: true,
    message: `Image was ${sizes}; resized to ${IMAGE_SIZE}×${IMAGE_SIZE} (${how}).`,
  };
}
