// The size arithmetic and the resampling of transformers.js's Idefics3 image processing, as plain
// functions on CHW f32 planes (pure, tested by hand-computed cases in preprocess-resize.test.ts).
// What each one mirrors (huggingface/transformers.js):
//   resizeOutputSize        ImageProcessor.get_resize_output_image_size (src/base/image_processors_utils.js)
//                           with size { longest_edge } and/or { shortest_edge }: scale so the short
//                           edge reaches shortest_edge, then down (or up) so the long edge is at most
//                           longest_edge; each side floor(round2(side * factor)).
//   visionEncoderSize       Idefics3ImageProcessor.get_resize_for_vision_encoder
//                           (src/models/idefics3/image_processing_idefics3.js): both sides up to
//                           multiples of max_image_size.longest_edge, keeping the aspect ratio.
//   splitImage              Idefics3ImageProcessor.split_image: rows x cols tiles of
//                           ceil(H / rows) x ceil(W / cols), the last row and column aligned to the
//                           bottom and right edges, then the whole image resized to the tile size
//                           (the global image); an image no larger than a tile is one frame.
//   bilinearResize          interpolate_4d(..., { mode: 'bilinear' }): an ONNX Resize node with
//                           mode "linear" and the default coordinate_transformation_mode half_pixel:
//                           x_in = (x_out + 0.5) * in / out - 0.5, clamped to [0, in - 1], no antialias.
// Interpretation: transformers.js's first resize (RawImage.resize) uses the browser's canvas in the
// page and sharp in Node (lanczos3 for resample 1), neither of them specified to the bit; here it is
// the same bilinear resize as interpolate_4d, so a run is reproducible everywhere.

export interface Size {
  height: number;
  width: number;
}

/** transformers.js rounds to 2 decimals before flooring ("floating point precision issues"). */
const floorRounded = (value: number) => Math.floor(Number(value.toFixed(2)));

/** [width, height] after `do_resize` with `size` = { longest_edge?, shortest_edge? }. */
export function resizeOutputSize(
  width: number,
  height: number,
  size: { longestEdge?: number; shortestEdge?: number },
): { width: number; height: number } {
  const short =
    size.shortestEdge === undefined ? 1 : Math.max(size.shortestEdge / width, size.shortestEdge / height);
  const newWidth = width * short;
  const newHeight = height * short;
  const long =
    size.longestEdge === undefined ? 1 : Math.min(size.longestEdge / newWidth, size.longestEdge / newHeight);
  return { width: floorRounded(newWidth * long), height: floorRounded(newHeight * long) };
}

/** Both sides rounded up to multiples of `tile`, the aspect ratio kept (get_resize_for_vision_encoder). */
export function visionEncoderSize({ height, width }: Size, tile: number): Size {
  const aspect = width / height;
  if (width >= height) {
    const w = Math.ceil(width / tile) * tile;
    return { width: w, height: Math.ceil(Math.floor(w / aspect) / tile) * tile };
  }
  const h = Math.ceil(height / tile) * tile;
  return { height: h, width: Math.ceil(Math.floor(h * aspect) / tile) * tile };
}

/** Source index pairs and the weight of the second, per output position (ONNX Resize linear, half_pixel). */
function axisTaps(
  input: number,
  output: number,
): { low: Int32Array; high: Int32Array; weight: Float64Array } {
  const low = new Int32Array(output);
  const high = new Int32Array(output);
  const weight = new Float64Array(output);
  const scale = output / input;
  for (let o = 0; o < output; o++) {
    const x = Math.min(Math.max((o + 0.5) / scale - 0.5, 0), input - 1);
    low[o] = Math.floor(x);
    high[o] = Math.min(low[o] + 1, input - 1);
    weight[o] = x - low[o];
  }
  return { low, high, weight };
}

/** planes [C, H, W] -> [C, out.height, out.width]; the same array when the size does not change. */
export function bilinearResize(planes: Float32Array, channels: number, from: Size, to: Size): Float32Array {
  if (from.height === to.height && from.width === to.width) return planes;
  const xs = axisTaps(from.width, to.width);
  const ys = axisTaps(from.height, to.height);
  const out = new Float32Array(channels * to.height * to.width);
  for (let c = 0; c < channels; c++) {
    const plane = c * from.height * from.width;
    for (let y = 0; y < to.height; y++) {
      const top = plane + ys.low[y] * from.width;
      const bottom = plane + ys.high[y] * from.width;
      const wy = ys.weight[y];
      const row = (c * to.height + y) * to.width;
      for (let x = 0; x < to.width; x++) {
        const wx = xs.weight[x];
        const upper = planes[top + xs.low[x]] * (1 - wx) + planes[top + xs.high[x]] * wx;
        const lower = planes[bottom + xs.low[x]] * (1 - wx) + planes[bottom + xs.high[x]] * wx;
        out[row + x] = upper * (1 - wy) + lower * wy;
      }
    }
  }
  return out;
}

/** planes [C, H, W] -> the [C, box.height, box.width] block starting at (top, left). */
function crop(
  planes: Float32Array,
  channels: number,
  from: Size,
  top: number,
  left: number,
  box: Size,
): Float32Array {
  const out = new Float32Array(channels * box.height * box.width);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < box.height; y++) {
      const start = (c * from.height + top + y) * from.width + left;
      out.set(planes.subarray(start, start + box.width), (c * box.height + y) * box.width);
    }
  }
  return out;
}

/** Where the tiles of an image of `size` go: rows x cols of `tile` (0 x 0: the image is one frame). */
export function tileGrid(size: Size, tile: number): { rows: number; cols: number; tile: Size } {
  if (size.height <= tile && size.width <= tile) return { rows: 0, cols: 0, tile: size };
  const rows = Math.ceil(size.height / tile);
  const cols = Math.ceil(size.width / tile);
  return { rows, cols, tile: { height: Math.ceil(size.height / rows), width: Math.ceil(size.width / cols) } };
}

/** Frames of split_image: the rows x cols tiles row-major, then the global image (tile x tile). */
export function splitImage(
  planes: Float32Array,
  channels: number,
  size: Size,
  tile: number,
): { frames: Float32Array[]; rows: number; cols: number } {
  const grid = tileGrid(size, tile);
  if (grid.rows === 0) return { frames: [planes], rows: 0, cols: 0 };
  const frames: Float32Array[] = [];
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.cols; c++) {
      const top = r === grid.rows - 1 ? size.height - grid.tile.height : r * grid.tile.height;
      const left = c === grid.cols - 1 ? size.width - grid.tile.width : c * grid.tile.width;
      frames.push(crop(planes, channels, size, top, left, grid.tile));
    }
  }
  frames.push(bilinearResize(planes, channels, size, { height: tile, width: tile }));
  return { frames, rows: grid.rows, cols: grid.cols };
}
