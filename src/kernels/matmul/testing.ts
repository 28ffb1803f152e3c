// Shared by the matmul tests, Kernel checks and bench: seeded inputs, one-shot GPU runs, and the
// comparison against ./reference.ts with a rounding-error bound instead of a guessed tolerance.
import { submitPass } from '../../gpu/dispatch';
import { readFloat32, uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { gaussian, seededRandom } from '../../testing/logits';
import { f16ArrayToF32, f32ArrayToF16 } from '../../model/loading/float16';
import { destroyWeight, uploadWeight, type WeightDtype, type WeightLayout } from './chunks';
import type { MatmulEpilogue, MatmulKernel, MatmulShape } from './matmul';
import { matmulReference, type MatmulReferenceOutput } from './reference';

const U = 2 ** -24;
/** Largest |gelu'(x)| of the tanh approximation is 1.129 (at x ~ 2.4); rounded up. */
const GELU_SLOPE = 1.2;

/** `count` seeded gaussians times `scale`, f32. */
export function gaussianArray(seed: number, count: number, scale = 1): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: count }, () => scale * gaussian(random));
}

export interface MatmulCase {
  shape: MatmulShape;
  layout: WeightLayout;
  x: Float32Array;
  w: Float32Array;
  bias?: Float32Array;
  activation?: 'none' | 'gelu';
  /** Y before the call; the kernel accumulates into it. */
  accumulateInto?: Float32Array;
  /** Chunk size limit in bytes (default: the device's binding limit). */
  chunkLimit?: number;
  /** Weight storage; "f16" rounds w on upload, and the spec is the product with rounded w. */
  weightDtype?: WeightDtype;
}

/** Seeded case: X ~ N(0, xScale^2), W ~ N(0, wScale^2). */
export function seededCase(
  seed: number,
  shape: MatmulShape,
  layout: WeightLayout,
  xScale = 1,
  wScale = 1,
): MatmulCase {
  const { m, k, n } = shape;
  return {
    shape,
    layout,
    x: gaussianArray(seed, m * k, xScale),
    w: gaussianArray(seed + 1, k * n, wScale),
  };
}

/** Uploads, encodes once with `kernel`, reads Y back, releases everything. */
export async function runMatmulCase(gpu: Gpu, kernel: MatmulKernel, c: MatmulCase): Promise<Float32Array> {
  const { m, k, n } = c.shape;
  const x = uploadStorage(gpu, c.x, 'matmul-test:x');
  const weight = uploadWeight(gpu, c.w, c.layout, n, k, 'matmul-test:w', c.chunkLimit, c.weightDtype);
  const y = uploadStorage(gpu, c.accumulateInto ?? new Float32Array(m * n), 'matmul-test:y');
  const bias = c.bias ? uploadStorage(gpu, c.bias, 'matmul-test:bias') : undefined;
  try {
    const epilogue: MatmulEpilogue = { bias, activation: c.activation, accumulate: !!c.accumulateInto };
    await submitPass(gpu, 'matmul-test', (pass) => kernel.encode(pass, x, weight, y, c.shape, epilogue));
    return await readFloat32(gpu, y, m * n);
  } finally {
    x.destroy();
    destroyWeight(weight);
    y.destroy();
    bias?.destroy();
  }
}

/** The reference on the weights the GPU sees: rounded to f16 (exactly representable) for "f16". */
export function referenceFor(c: MatmulCase): MatmulReferenceOutput {
  const w = c.weightDtype === 'f16' ? f16ArrayToF32(f32ArrayToF16(c.w)) : c.w;
  return matmulReference({ ...c, ...c.shape, w });
}

export interface BoundReport {
  /** Elements over their bound. */
  failures: number;
  first: string;
  /** max |gpu - ref| / bound: <= 1 passes. */
  worstRatio: number;
  worstAbs: number;
  /** max |gpu - ref| / sum_k |x w|: the error relative to the dot product's magnitude. */
  worstRelative: number;
}

/**
 * |gpu - ref| <= 2 gamma_K magnitude (x1.2 through GELU) + 4u|ref| (+1e-5|ref| for GELU's exp,
 * whose WGSL accuracy is 3 + 2|x| ulp) + 1e-30. gamma_K = K u / (1 - K u) is the worst case of any
 * summation order; the factor 2 covers the bias add and the final rounding.
 */
export function compareMatmul(got: Float32Array, ref: MatmulReferenceOutput, c: MatmulCase): BoundReport {
  const k = c.shape.k + 1;
  const gamma = (k * U) / (1 - k * U);
  const gelu = c.activation === 'gelu';
  let failures = 0;
  let first = '';
  let worstRatio = 0;
  let worstAbs = 0;
  let worstRelative = 0;
  for (let i = 0; i < ref.y.length; i++) {
    const want = ref.y[i];
    const bound =
      2 * gamma * ref.magnitude[i] * (gelu ? GELU_SLOPE : 1) +
      (4 * U + (gelu ? 1e-5 : 0)) * Math.abs(want) +
      1e-30;
    const error = Math.abs(got[i] - want);
    const ratio = Number.isNaN(error) ? Infinity : error / bound;
    worstRatio = Math.max(worstRatio, ratio);
    if (Number.isFinite(error)) {
      worstAbs = Math.max(worstAbs, error);
      if (ref.magnitude[i] > 0) worstRelative = Math.max(worstRelative, error / ref.magnitude[i]);
    }
    if (!(ratio <= 1) && failures++ === 0) {
      const { n } = c.shape;
      first = `Y[${Math.floor(i / n)}, ${i % n}] GPU ${got[i]} vs ref ${want} (bound ${bound.toExponential(2)})`;
    }
  }
  return { failures, first, worstRatio, worstAbs, worstRelative };
}
