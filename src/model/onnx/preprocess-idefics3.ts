// Image preprocessing of the Idefics3 / SmolVLM layout, driven by preprocessor_config.json, as
// transformers.js does it (huggingface/transformers.js: ImageProcessor's constructor defaults and
// preprocess in src/base/image_processors_utils.js, then Idefics3ImageProcessor._call in
// src/models/idefics3/image_processing_idefics3.js, read in the nico-martin/transformers.js fork at
// 2a32dc0, the upstream path not being in our index). For one image of W x H:
//
//   1. do_resize: to resizeOutputSize(W, H, size)                   (size = { longest_edge: 2048 } on SmolVLM)
//   2. do_rescale: x * rescale_factor                                (1/255)
//   3. do_normalize: (x - image_mean[c]) / image_std[c]              (0.5, 0.5 on SmolVLM)
//   4. HWC -> CHW
//   5. do_image_splitting: resize to visionEncoderSize(., max) (multiples of max_image_size.longest_edge),
//      then split_image into rows x cols tiles + the global image (rows = cols = 0: one frame);
//      otherwise resize to max x max (one frame, rows = cols = 0)
//   6. pixel_values [1, frames, C, max, max]; pixel_attention_mask [1, frames, max, max] all true
//
// Pure (no onnxruntime); the resampling is ./preprocess-resize.ts. Interpretation: LogitLab's
// images are f32 HWC in [0, 1] (the LanguageModel interface), transformers.js's are bytes; an
// image value v is read as the byte value 255 v, unrounded, so a Shapes image (byte / 255) comes
// out of rescaling as the bytes / 255 again and noise added by a decoding method (VCD) is kept.
import { ModelLoadError } from '../loading/errors';
import {
  bilinearResize,
  resizeOutputSize,
  splitImage,
  tileGrid,
  visionEncoderSize,
  type Size,
} from './preprocess-resize';

export interface Idefics3Preprocessing {
  doResize: boolean;
  /** size.longest_edge / size.shortest_edge (either may be absent). */
  size: { longestEdge?: number; shortestEdge?: number };
  doRescale: boolean;
  rescaleFactor: number;
  doNormalize: boolean;
  imageMean: number[];
  imageStd: number[];
  doImageSplitting: boolean;
  /** max_image_size.longest_edge: the side of every frame the vision encoder reads. */
  maxImageSize: number;
}

type Json = Record<string, unknown>;

function fail(file: string, message: string): never {
  throw new ModelLoadError('format', `${file}: ${message}`, file);
}

function edge(value: unknown, key: string, file: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
    fail(file, `"${key}" must be a positive integer, got ${JSON.stringify(value)}`);
  return value;
}

function perChannel(value: unknown, fallback: number, key: string, file: string, channels: number): number[] {
  if (value === undefined || value === null) return Array<number>(channels).fill(fallback);
  const list = typeof value === 'number' ? Array<number>(channels).fill(value) : value;
  if (
    !Array.isArray(list) ||
    list.length !== channels ||
    !list.every((v) => typeof v === 'number' && Number.isFinite(v))
  )
    fail(
      file,
      `"${key}" must be a number or ${channels} numbers (one per channel), got ${JSON.stringify(value)}`,
    );
  return list as number[];
}

/** preprocessor_config.json of an Idefics3 folder; refuses settings this module does not apply. */
export function parseIdefics3Preprocessing(
  json: unknown,
  channels = 3,
  file = 'preprocessor_config.json',
): Idefics3Preprocessing {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(file, 'expected a JSON object');
  const c = json as Json;
  for (const key of ['do_center_crop', 'do_thumbnail', 'do_crop_margin', 'do_flip_channel_order']) {
    if (c[key] === true)
      fail(file, `"${key}": true is not part of Idefics3's preprocessing and is not supported`);
  }
  const size = (c.size ?? {}) as Json;
  if (
    typeof size !== 'object' ||
    Array.isArray(size) ||
    size.height !== undefined ||
    size.width !== undefined
  ) {
    fail(
      file,
      `"size" must be { "longest_edge": n } (Idefics3 keeps the aspect ratio), got ${JSON.stringify(c.size)}`,
    );
  }
  const max = (c.max_image_size ?? {}) as Json;
  const maxImageSize = edge(max.longest_edge, 'max_image_size.longest_edge', file);
  if (maxImageSize === undefined)
    fail(
      file,
      `missing "max_image_size": { "longest_edge": n } (the side of the frames the vision encoder reads)`,
    );
  const rescaleFactor = c.rescale_factor ?? 1 / 255;
  if (typeof rescaleFactor !== 'number' || !(rescaleFactor > 0))
    fail(file, `"rescale_factor" must be a positive number, got ${JSON.stringify(c.rescale_factor)}`);
  const imageStd = perChannel(c.image_std ?? c.std, 1, 'image_std', file, channels);
  if (imageStd.some((s) => s === 0)) fail(file, `"image_std" has a 0: normalising would divide by zero`);
  return {
    doResize: c.do_resize !== false && (c.do_resize === true || c.size !== undefined),
    size: {
      longestEdge: edge(size.longest_edge, 'size.longest_edge', file),
      shortestEdge: edge(size.shortest_edge, 'size.shortest_edge', file),
    },
    doRescale: c.do_rescale !== false,
    rescaleFactor,
    doNormalize: c.do_normalize === true,
    imageMean: perChannel(c.image_mean ?? c.mean, 0, 'image_mean', file, channels),
    imageStd,
    doImageSplitting: c.do_image_splitting !== false,
    maxImageSize,
  };
}

/** Where an image of `size` goes: its size after do_resize and its frames (rows x cols + global, or 1). */
export interface ImageGeometry {
  resized: Size;
  rows: number;
  cols: number;
  frames: number;
}

export function imageGeometry(size: Size, prep: Idefics3Preprocessing): ImageGeometry {
  const resized = prep.doResize ? resizeOutputSize(size.width, size.height, prep.size) : size;
  if (resized.width < 1 || resized.height < 1) {
    throw new RangeError(
      `a ${size.width} x ${size.height} image resizes to ${resized.width} x ${resized.height}`,
    );
  }
  if (!prep.doImageSplitting) return { resized, rows: 0, cols: 0, frames: 1 };
  const { rows, cols } = tileGrid(visionEncoderSize(resized, prep.maxImageSize), prep.maxImageSize);
  return { resized, rows, cols, frames: rows === 0 ? 1 : rows * cols + 1 };
}

export interface PreprocessedImage extends ImageGeometry {
  /** [frames, channels, maxImageSize, maxImageSize] */
  pixelValues: Float32Array;
  /** Side of each frame (maxImageSize). */
  frameSize: number;
}

/** `image`: HWC f32 in [0, 1] of `size` with `channels` channels (see the header for the steps). */
export function preprocessIdefics3Image(
  image: Float32Array,
  size: Size,
  channels: number,
  prep: Idefics3Preprocessing,
): PreprocessedImage {
  const { height, width } = size;
  if (image.length !== height * width * channels) {
    throw new RangeError(
      `the image has ${image.length} values, expected ${height} x ${width} x ${channels} = ${height * width * channels} (HWC)`,
    );
  }
  // HWC -> CHW at once, on the byte scale (every later step is per channel, so the order of the
  // layout change does not matter; transformers.js changes it after normalising).
  const pixels = height * width;
  let planes: Float32Array = new Float32Array(channels * pixels);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < channels; c++) planes[c * pixels + p] = image[p * channels + c] * 255;
  }
  const geometry = imageGeometry(size, prep);
  let current: Size = size;
  if (prep.doResize) {
    planes = bilinearResize(planes, channels, current, geometry.resized);
    current = geometry.resized;
  }
  const area = current.height * current.width;
  for (let c = 0; c < channels; c++) {
    const scale = prep.doRescale ? prep.rescaleFactor : 1;
    const mean = prep.doNormalize ? prep.imageMean[c] : 0;
    const std = prep.doNormalize ? prep.imageStd[c] : 1;
    const plane = planes.subarray(c * area, (c + 1) * area);
    // Two roundings, as transformers.js does them (rescale in place, then normalise).
    for (let i = 0; i < area; i++) plane[i] = (Math.fround(plane[i] * scale) - mean) / std;
  }
  const tile = prep.maxImageSize;
  let frames: Float32Array[];
  if (prep.doImageSplitting) {
    const target = visionEncoderSize(current, tile);
    frames = splitImage(bilinearResize(planes, channels, current, target), channels, target, tile).frames;
  } else {
    frames = [bilinearResize(planes, channels, current, { height: tile, width: tile })];
  }
  if (frames.length !== geometry.frames)
    throw new Error(`internal: ${frames.length} frames, geometry says ${geometry.frames}`);
  const frameValues = channels * tile * tile;
  const pixelValues = new Float32Array(frames.length * frameValues);
  frames.forEach((frame, i) => pixelValues.set(frame, i * frameValues));
  return { ...geometry, pixelValues, frameSize: tile };
}
