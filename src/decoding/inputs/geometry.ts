// Geometric image operations of RITUAL's transforms (./transforms.ts has the paper, the parameters
// and the sampling), on HWC images: `image` is (height, width, channels), row-major, pixel (x, y)
// channel c at ((y * width) + x) * channels + c. Each returns a new Float32Array of the same shape.
// Conventions follow torchvision (which RITUAL's reference code calls) where they matter:
//  - rotation: counter-clockwise as displayed (y down) for positive degrees, about the image centre
//    ((width - 1) / 2, (height - 1) / 2) in pixel indices (= torchvision's and PIL's default centre),
//    same size (expand = False), nearest-neighbour sampling (torchvision's default
//    InterpolationMode.NEAREST), pixels that come from outside the image are 0 (fill = 0).
//    Output (x, y) reads input (cx + dx cos a - dy sin a, cy + dx sin a + dy cos a), dx = x - cx,
//    dy = y - cy, rounded to the nearest pixel (halves round up: floor(v + 0.5)).
//  - resized crop: the box is resampled to the full output size with bilinear interpolation,
//    align_corners = False (PyTorch's upsample_bilinear2d): source coordinate (d + 0.5) s - 0.5,
//    s = box / output, clamped at 0, and the last row/column repeated at the far edge. The box is
//    never larger than the output here (it is a crop of an image of the output's size), so
//    torchvision's antialias option, which only acts when shrinking, has nothing to do.
import { portableSinCosTurns } from './random';

export interface ImageShape {
  width: number;
  height: number;
  channels: number;
}

/** Mirror left-right: out(x, y) = in(width - 1 - x, y). */
export function horizontalFlip(image: Float32Array, shape: ImageShape): Float32Array {
  const { width, height, channels } = shape;
  const out = new Float32Array(image.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const to = (y * width + x) * channels;
      const from = (y * width + (width - 1 - x)) * channels;
      for (let c = 0; c < channels; c++) out[to + c] = image[from + c];
    }
  }
  return out;
}

/** Mirror top-bottom: out(x, y) = in(x, height - 1 - y). */
export function verticalFlip(image: Float32Array, shape: ImageShape): Float32Array {
  const { width, height, channels } = shape;
  const rowValues = width * channels;
  const out = new Float32Array(image.length);
  for (let y = 0; y < height; y++) {
    const from = (height - 1 - y) * rowValues;
    out.set(image.subarray(from, from + rowValues), y * rowValues);
  }
  return out;
}

/** Rotate counter-clockwise by `degrees` about the centre, nearest neighbour, fill 0. */
export function rotate(image: Float32Array, shape: ImageShape, degrees: number): Float32Array {
  const { width, height, channels } = shape;
  const [sin, cos] = portableSinCosTurns(degrees / 360);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const out = new Float32Array(image.length);
  for (let y = 0; y < height; y++) {
    const dy = y - cy;
    for (let x = 0; x < width; x++) {
      const dx = x - cx;
      const sx = Math.floor(cx + dx * cos - dy * sin + 0.5);
      const sy = Math.floor(cy + dx * sin + dy * cos + 0.5);
      if (sx < 0 || sx >= width || sy < 0 || sy >= height) continue;
      const to = (y * width + x) * channels;
      const from = (sy * width + sx) * channels;
      for (let c = 0; c < channels; c++) out[to + c] = image[from + c];
    }
  }
  return out;
}

export interface CropBox {
  /** First row and column of the box. */
  top: number;
  left: number;
  width: number;
  height: number;
}

/** Source index and weight of the next index, per output index (align_corners = False). */
function bilinearTaps(outputSize: number, inputSize: number): { index: Int32Array; weight: Float64Array } {
  const index = new Int32Array(outputSize);
  const weight = new Float64Array(outputSize);
  const scale = inputSize / outputSize;
  for (let d = 0; d < outputSize; d++) {
    const source = Math.max(0, (d + 0.5) * scale - 0.5);
    const i = Math.min(Math.floor(source), inputSize - 1);
    index[d] = i;
    weight[d] = i < inputSize - 1 ? source - i : 0;
  }
  return { index, weight };
}

/** The box of `image`, resized bilinearly to the full image size. */
export function resizedCrop(image: Float32Array, shape: ImageShape, box: CropBox): Float32Array {
  const { width, height, channels } = shape;
  const columns = bilinearTaps(width, box.width);
  const rows = bilinearTaps(height, box.height);
  const out = new Float32Array(image.length);
  const at = (row: number, column: number, c: number) =>
    image[((box.top + row) * width + box.left + column) * channels + c];
  for (let y = 0; y < height; y++) {
    const r0 = rows.index[y];
    const r1 = Math.min(r0 + 1, box.height - 1);
    const wy = rows.weight[y];
    for (let x = 0; x < width; x++) {
      const c0 = columns.index[x];
      const c1 = Math.min(c0 + 1, box.width - 1);
      const wx = columns.weight[x];
      for (let c = 0; c < channels; c++) {
        const top = (1 - wx) * at(r0, c0, c) + wx * at(r0, c1, c);
        const bottom = (1 - wx) * at(r1, c0, c) + wx * at(r1, c1, c);
        out[(y * width + x) * channels + c] = (1 - wy) * top + wy * bottom;
      }
    }
  }
  return out;
}
