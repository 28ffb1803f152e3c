// Shared by the norm tests and Kernel checks: seeded rows with the hard cases, one-shot GPU runs,
// and the rounding-error bound the GPU must meet against the f64 reference.
import { submitPass } from '../../gpu/dispatch';
import { readFloat32, uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { gaussian, seededRandom } from '../../testing/logits';
import { LayerNormKernel, normSumDepth, type NormShape, type RmsNormKernel } from './norm';

const U = 2 ** -24;

export type RowKind = 'gaussian' | 'offset' | 'constant' | 'huge' | 'max-float' | 'tiny' | 'zeros' | 'spike';

/** Every hard row kind: N(0,1); 1e4 + N(0,1); a constant; 1e20 N(0,1); 3e38 (f32 max ~3.4e38) with
 * signs; 1e-20 N(0,1) (eps dominates); all zeros; one 1e6 among small values. */
export const ROW_KINDS: RowKind[] = [
  'gaussian',
  'offset',
  'constant',
  'huge',
  'max-float',
  'tiny',
  'zeros',
  'spike',
];

/** [rows, d] f32, row r of kind kinds[r % kinds.length]. */
export function makeRows(seed: number, rows: number, dim: number, kinds: readonly RowKind[]): Float32Array {
  const random = seededRandom(seed);
  const data = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const kind = kinds[r % kinds.length];
    const constant = [0.1, -3, 1e4][r % 3];
    for (let i = 0; i < dim; i++) {
      const z = gaussian(random);
      const value = {
        gaussian: z,
        offset: 1e4 + z,
        constant,
        huge: 1e20 * z,
        'max-float': (random() < 0.5 ? -3e38 : 3e38) * (0.5 + 0.5 * random()),
        tiny: 1e-20 * z,
        zeros: 0,
        spike: i === dim >> 1 ? 1e6 : 0.01 * z,
      }[kind];
      data[r * dim + i] = value;
    }
  }
  return data;
}

/** gamma ~ 1 + 0.1 N(0,1), beta ~ 0.1 N(0,1): the scale of trained norms. */
export function makeNormParameters(seed: number, dim: number) {
  const random = seededRandom(seed);
  const gamma = Float32Array.from({ length: dim }, () => 1 + 0.1 * gaussian(random));
  const beta = Float32Array.from({ length: dim }, () => 0.1 * gaussian(random));
  return { gamma, beta };
}

/** Roundings per sum on the GPU (lane chain, lane fold, tree: normSumDepth), + slack. */
function sumTerms(dim: number): number {
  return normSumDepth(dim) + 2;
}

/**
 * Per-element bound for LayerNorm: with g = n u (n = terms per sum), mean error <= g (max|y^| + 1)
 * sigma and sigma's relative error <= g + 6u (sum, inverseSqrt's 2 ulp, roundings), so
 * |dy| <= |gamma| (g (max|y^| + 1) + (g + 6u) |y^|) + 2u (|y^ gamma| + |beta|); doubled.
 */
export function layerNormBound(
  normalized: number,
  rowMaxNormalized: number,
  gamma: number,
  beta: number,
  dim: number,
): number {
  const g = sumTerms(dim) * U;
  const core = Math.abs(gamma) * (g * (rowMaxNormalized + 1) + (g + 6 * U) * Math.abs(normalized));
  return 2 * (core + 2 * U * (Math.abs(normalized * gamma) + Math.abs(beta))) + 1e-37;
}

/** RMSNorm: relative error of the mean square g, of the root g/2 + 2u, plus roundings; doubled. */
export function rmsNormBound(expected: number, dim: number): number {
  return 2 * (sumTerms(dim) * U + 6 * U) * Math.abs(expected) + 1e-37;
}

export interface NormRun {
  output: Float32Array;
  /** The residual after the fused add (only with `delta`). */
  residual?: Float32Array;
}

/** Uploads, encodes once (fused with `delta` when given), reads back, releases. `beta` is LayerNorm's. */
export async function runNorm(
  gpu: Gpu,
  kernel: LayerNormKernel | RmsNormKernel,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array | null,
  shape: NormShape,
  eps: number,
  delta?: Float32Array,
): Promise<NormRun> {
  const count = shape.rows * shape.dim;
  const owned = [
    uploadStorage(gpu, x, 'norm-test:x'),
    uploadStorage(gpu, gamma, 'norm-test:gamma'),
    uploadStorage(gpu, beta ?? new Float32Array(1), 'norm-test:beta'),
    uploadStorage(gpu, new Float32Array(count), 'norm-test:out'),
    uploadStorage(gpu, delta ?? new Float32Array(1), 'norm-test:delta'),
  ];
  const [xb, gb, bb, ob, db] = owned;
  try {
    await submitPass(gpu, 'norm-test', (pass) => {
      if (kernel instanceof LayerNormKernel) {
        if (delta) kernel.encodeResidual(pass, xb, db, gb, bb, ob, shape, eps);
        else kernel.encode(pass, xb, gb, bb, ob, shape, eps);
      } else if (delta) kernel.encodeResidual(pass, xb, db, gb, ob, shape, eps);
      else kernel.encode(pass, xb, gb, ob, shape, eps);
    });
    const output = await readFloat32(gpu, ob, count);
    return { output, residual: delta ? await readFloat32(gpu, xb, count) : undefined };
  } finally {
    for (const buffer of owned) buffer.destroy();
  }
}
