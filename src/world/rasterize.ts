// Scene → 48×48 RGB image ([H, W, 3] row-major, Uint8 0..255). No anti-aliasing: every pixel is
// either the background or exactly one object's palette colour, so "the object's pixels have the
// object's colour" is testable exactly, and the image is bit-identical in Node and every browser
// (masks are integer geometry, see geometry.ts). Objects sit in distinct cells and never overlap.
import { shapeMask } from './geometry';
import { validateScene } from './scene';
import {
  BACKGROUND,
  CELL_SIZE,
  IMAGE_SIZE,
  PALETTE,
  SIZE_PIXELS,
  type Scene,
  type SceneObject,
} from './types';

/** Bytes of one image: IMAGE_SIZE × IMAGE_SIZE × 3. */
export const IMAGE_BYTES = IMAGE_SIZE * IMAGE_SIZE * 3;

/** Top-left pixel of an object's box. */
export function objectOrigin(o: SceneObject): { x: number; y: number } {
  return { x: o.column * CELL_SIZE + o.offsetX, y: o.row * CELL_SIZE + o.offsetY };
}

/** The pixels (as y * IMAGE_SIZE + x) an object covers. */
export function objectPixels(o: SceneObject): number[] {
  const size = SIZE_PIXELS[o.size];
  const mask = shapeMask(o.shape, size);
  const { x, y } = objectOrigin(o);
  const pixels: number[] = [];
  for (let my = 0; my < size; my++) {
    for (let mx = 0; mx < size; mx++) {
      if (mask[my * size + mx]) pixels.push((y + my) * IMAGE_SIZE + x + mx);
    }
  }
  return pixels;
}

/** The scene as a 48×48×3 Uint8Array (validated first; throws on a malformed scene). */
export function rasterize(scene: Scene): Uint8Array {
  validateScene(scene);
  const image = new Uint8Array(IMAGE_BYTES);
  for (let p = 0; p < IMAGE_SIZE * IMAGE_SIZE; p++) image.set(BACKGROUND, p * 3);
  for (const o of scene.objects) {
    const rgb = PALETTE[o.colour];
    for (const p of objectPixels(o)) image.set(rgb, p * 3);
  }
  return image;
}

/** Bytes 0..255 → floats 0..1 (x / 255), the layout a model's patch embedding reads. */
export function imageToFloat32(image: Uint8Array): Float32Array {
  const out = new Float32Array(image.length);
  for (let i = 0; i < image.length; i++) out[i] = image[i] / 255;
  return out;
}

/** RGB → RGBA for canvas ImageData (alpha 255). */
export function imageToRgba(image: Uint8Array, width = IMAGE_SIZE, height = IMAGE_SIZE): Uint8ClampedArray {
  if (image.length !== width * height * 3) {
    throw new RangeError(
      `imageToRgba: expected ${width}×${height}×3 = ${width * height * 3} bytes, got ${image.length}`,
    );
  }
  const out = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    out[p * 4] = image[p * 3];
    out[p * 4 + 1] = image[p * 3 + 1];
    out[p * 4 + 2] = image[p * 3 + 2];
    out[p * 4 + 3] = 255;
  }
  return out;
}
