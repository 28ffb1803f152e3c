// Photometric operations of RITUAL's transforms (./transforms.ts has the paper, the parameters and
// the sampling) on HWC RGB images in [0, 1]. The formulas are torchvision's tensor implementations
// (torchvision/transforms/_functional_tensor.py), which ColorJitter and GaussianBlur call:
//   blend(a, b, r)         = clamp(r a + (1 - r) b, 0, 1)
//   grey(p)                = 0.2989 R + 0.587 G + 0.114 B
//   brightness(img, f)     = blend(img, 0, f)
//   contrast(img, f)       = blend(img, mean over all pixels of grey(img), f)
//   saturation(img, f)     = blend(img, grey(pixel), f)
//   hue(img, h)            = RGB -> HSV, H = (H + h) mod 1, HSV -> RGB   (h in [-0.5, 0.5] turns)
//   gaussian blur (k, s)   = separable kernel w_j = exp(-(j / s)^2 / 2) / sum, j = -(k-1)/2..(k-1)/2,
//                            image edges padded by reflection (torch "reflect": ... 2 1 | 0 1 2 ...)
// Interpretation: RITUAL's script applies these to the PIL image before the processor; PIL's
// uint8 versions round every stage to 1/255, these work on floats (double precision, rounded once
// to f32). Reflection repeats (period 2(n - 1)) when the image is smaller than the kernel's half
// width, where torch would refuse.
import { portableExp } from './random';

export type ColourOperation = 'brightness' | 'contrast' | 'saturation' | 'hue';
export const COLOUR_OPERATIONS: readonly ColourOperation[] = ['brightness', 'contrast', 'saturation', 'hue'];

export interface ColourJitter {
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
  /** The order the four operations are applied in (ColorJitter draws a random permutation). */
  order: readonly ColourOperation[];
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);
const grey = (r: number, g: number, b: number) => 0.2989 * r + 0.587 * g + 0.114 * b;

/** torchvision's _rgb2hsv for one pixel: [h, s, v], h in [0, 1). */
function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const equal = max === min;
  const chroma = max - min;
  const s = chroma / (equal ? 1 : max);
  const divisor = equal ? 1 : chroma;
  const rc = (max - r) / divisor;
  const gc = (max - g) / divisor;
  const bc = (max - b) / divisor;
  let h: number;
  if (max === r) h = bc - gc;
  else if (max === g) h = 2 + rc - bc;
  else h = 4 + gc - rc;
  h = (h / 6 + 1) % 1;
  return [h, s, max];
}

/** torchvision's _hsv2rgb for one pixel. */
function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const sector = Math.floor(h * 6);
  const f = h * 6 - sector;
  const p = clamp01(v * (1 - s));
  const q = clamp01(v * (1 - s * f));
  const t = clamp01(v * (1 - s * (1 - f)));
  switch (((sector % 6) + 6) % 6) {
    case 0:
      return [v, t, p];
    case 1:
      return [q, v, p];
    case 2:
      return [p, v, t];
    case 3:
      return [p, q, v];
    case 4:
      return [t, p, v];
    default:
      return [v, p, q];
  }
}

/** One colour operation, in place on a double-precision HWC RGB copy. */
function applyOperation(pixels: Float64Array, operation: ColourOperation, factor: number): void {
  if (operation === 'brightness') {
    for (let i = 0; i < pixels.length; i++) pixels[i] = clamp01(factor * pixels[i]);
  } else if (operation === 'contrast') {
    let sum = 0;
    for (let i = 0; i < pixels.length; i += 3) sum += grey(pixels[i], pixels[i + 1], pixels[i + 2]);
    const mean = sum / (pixels.length / 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = clamp01(factor * pixels[i] + (1 - factor) * mean);
  } else if (operation === 'saturation') {
    for (let i = 0; i < pixels.length; i += 3) {
      const g = grey(pixels[i], pixels[i + 1], pixels[i + 2]);
      for (let c = 0; c < 3; c++) pixels[i + c] = clamp01(factor * pixels[i + c] + (1 - factor) * g);
    }
  } else {
    for (let i = 0; i < pixels.length; i += 3) {
      const [h, s, v] = rgbToHsv(pixels[i], pixels[i + 1], pixels[i + 2]);
      const [r, g, b] = hsvToRgb((((h + factor) % 1) + 1) % 1, s, v);
      pixels[i] = r;
      pixels[i + 1] = g;
      pixels[i + 2] = b;
    }
  }
}

/** ColorJitter with fixed factors and order; `image` is HWC RGB. */
export function colourJitter(image: Float32Array, jitter: ColourJitter): Float32Array {
  const pixels = Float64Array.from(image);
  for (const operation of jitter.order) applyOperation(pixels, operation, jitter[operation]);
  return Float32Array.from(pixels);
}

/** The normalised 1-D Gaussian kernel of odd `size` and standard deviation `sigma` (pixels). */
export function gaussianKernel(size: number, sigma: number): Float64Array {
  const half = (size - 1) / 2;
  const kernel = new Float64Array(size);
  let sum = 0;
  for (let j = 0; j < size; j++) {
    const x = (j - half) / sigma;
    kernel[j] = portableExp(-0.5 * x * x);
    sum += kernel[j];
  }
  for (let j = 0; j < size; j++) kernel[j] /= sum;
  return kernel;
}

/** torch's "reflect" padding index for any integer i (the edge pixel is not repeated). */
function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}

/** Separable Gaussian blur of an HWC image (rows first, then columns), reflect padding. */
export function gaussianBlur(
  image: Float32Array,
  width: number,
  height: number,
  channels: number,
  size: number,
  sigma: number,
): Float32Array {
  const kernel = gaussianKernel(size, sigma);
  const half = (size - 1) / 2;
  const horizontal = new Float64Array(image.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let j = 0; j < size; j++) {
          sum += kernel[j] * image[(y * width + reflectIndex(x + j - half, width)) * channels + c];
        }
        horizontal[(y * width + x) * channels + c] = sum;
      }
    }
  }
  const out = new Float32Array(image.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let j = 0; j < size; j++) {
          sum += kernel[j] * horizontal[(reflectIndex(y + j - half, height) * width + x) * channels + c];
        }
        out[(y * width + x) * channels + c] = sum;
      }
    }
  }
  return out;
}
