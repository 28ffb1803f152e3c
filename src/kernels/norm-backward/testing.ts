// Shared by the norm backward tests and Kernel checks: one-shot GPU runs and the rounding-error
// bounds the GPU must meet against the f64 reference (./reference.ts).
import { submitPass } from '../../gpu/dispatch';
import { readFloat32, uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { normSumDepth, type NormShape } from '../norm/norm';
import type { NormGradients } from './reference';
import {
  LayerNormBackwardKernel,
  normBackwardWorkspaceBytes,
  type NormBackwardOptions,
  type RmsNormBackwardKernel,
} from './norm-backward';

const U = 2 ** -24;

/** Roundings per GPU row sum (lane chain, lane fold, tree: normSumDepth), + slack. */
function sumTerms(dim: number): number {
  return normSumDepth(dim) + 2;
}

export interface NormBackwardRun {
  gradInput: Float32Array;
  gradGamma: Float32Array;
  gradBeta: Float32Array;
}

/** Uploads, encodes once, reads back, releases. `initial` preloads dX, dGamma, dBeta (accumulate). */
export async function runNormBackward(
  gpu: Gpu,
  kernel: LayerNormBackwardKernel | RmsNormBackwardKernel,
  inputs: { gradOutput: Float32Array; x: Float32Array; gamma: Float32Array },
  shape: NormShape,
  options: NormBackwardOptions,
  initial?: NormBackwardRun,
): Promise<NormBackwardRun> {
  const count = shape.rows * shape.dim;
  const owned = [
    uploadStorage(gpu, inputs.gradOutput, 'norm-backward-test:dY'),
    uploadStorage(gpu, inputs.x, 'norm-backward-test:x'),
    uploadStorage(gpu, inputs.gamma, 'norm-backward-test:gamma'),
    uploadStorage(gpu, initial?.gradInput ?? new Float32Array(count), 'norm-backward-test:dX'),
    uploadStorage(gpu, initial?.gradGamma ?? new Float32Array(shape.dim), 'norm-backward-test:dGamma'),
    uploadStorage(gpu, initial?.gradBeta ?? new Float32Array(shape.dim), 'norm-backward-test:dBeta'),
    uploadStorage(
      gpu,
      new Float32Array(normBackwardWorkspaceBytes(shape.rows) / 4),
      'norm-backward-test:stats',
    ),
  ];
  const [dy, x, gamma, dx, dGamma, dBeta, stats] = owned;
  try {
    await submitPass(gpu, 'norm-backward-test', (pass) => {
      if (kernel instanceof LayerNormBackwardKernel)
        kernel.encode(pass, dy, x, gamma, dx, dGamma, dBeta, stats, shape, options);
      else kernel.encode(pass, dy, x, gamma, dx, dGamma, stats, shape, options);
    });
    return {
      gradInput: await readFloat32(gpu, dx, count),
      gradGamma: await readFloat32(gpu, dGamma, shape.dim),
      gradBeta: await readFloat32(gpu, dBeta, shape.dim),
    };
  } finally {
    for (const buffer of owned) buffer.destroy();
  }
}

/**
 * Per-element bounds. x^ on the GPU carries the forward's error (norm/testing.ts): about
 * n u (|x^| + M + 1) absolute (n terms per sum, M the row's max |x^|), and 1/sigma n u relative.
 * dX = inv (g - mean g - x^ mean(g x^)): each term's error is at most n' u times
 * inv (|g| + mean|g| + (|x^| + M + 1) mean(|g| (|x^| + M + 1))) with n' = n + 8 (the two extra
 * sums, ldexp, roundings); the bound is 4 times that, plus 2^-125 for results that underflow to
 * subnormals (3e38 rows have 1/sigma ~ 1e-38) which GPUs may flush.
 * dGamma, dBeta sum rows in order: rows u of the sum of |terms|, plus the x^ error per term; 2x.
 */
export function normBackwardBounds(
  want: NormGradients,
  gradOutput: Float32Array,
  gamma: Float32Array,
  rows: number,
  dim: number,
) {
  const n = sumTerms(dim) + 8;
  const gradInput = new Float64Array(rows * dim);
  const gradGamma = new Float64Array(dim);
  const gradBeta = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    const base = r * dim;
    let rowMax = 0;
    let meanAbsGrad = 0;
    for (let i = 0; i < dim; i++) {
      rowMax = Math.max(rowMax, Math.abs(want.normalized[base + i]));
      meanAbsGrad += Math.abs(gradOutput[base + i] * gamma[i]) / dim;
    }
    let meanAbsGradDot = 0;
    for (let i = 0; i < dim; i++) {
      const reach = Math.abs(want.normalized[base + i]) + rowMax + 1;
      meanAbsGradDot += (Math.abs(gradOutput[base + i] * gamma[i]) * reach) / dim;
    }
    for (let i = 0; i < dim; i++) {
      const reach = Math.abs(want.normalized[base + i]) + rowMax + 1;
      const g = Math.abs(gradOutput[base + i] * gamma[i]);
      const scale = want.inverse[r] * (g + meanAbsGrad + reach * meanAbsGradDot);
      gradInput[base + i] = 4 * n * U * scale + 2 ** -125;
      const dy = Math.abs(gradOutput[base + i]);
      gradGamma[i] += 2 * (n * U * dy * reach + rows * U * dy * Math.abs(want.normalized[base + i]));
      gradBeta[i] += 2 * rows * U * dy;
    }
  }
  return { gradInput, gradGamma, gradBeta };
}

export interface BoundReport {
  name: string;
  /** Index of the worst ratio. */
  worstAt: number;
  failures: number;
  first: string;
  worst: number;
}

export function checkWithin(
  name: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  bound: ArrayLike<number>,
): BoundReport {
  let failures = 0;
  let first = '';
  let worst = 0;
  let worstAt = 0;
  for (let i = 0; i < want.length; i++) {
    const ratio = got[i] === want[i] ? 0 : Math.abs(got[i] - want[i]) / bound[i];
    if (!(ratio <= worst)) worstAt = i;
    worst = Math.max(worst, Number.isNaN(ratio) ? Infinity : ratio);
    if (!(ratio <= 1) && failures++ === 0) first = `${name}[${i}] GPU ${got[i]} vs ref ${want[i]}`;
  }
  return { name, failures, first, worst, worstAt };
}
