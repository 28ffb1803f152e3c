// Shared by the linear backward tests and Kernel checks: seeded cases, one-shot GPU runs, and the
// comparison with the f64 reference under the rounding bound of a sum of R terms.
import { submitPass } from '../../gpu/dispatch';
import { readFloat32, uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import type { WeightLayout } from '../matmul/chunks';
import { gaussianArray } from '../matmul/testing';
import type { LinearBackwardKernel, LinearGradients, LinearShape } from './backward-linear';
import type { LinearBackwardInput, ReferenceGradient } from './reference';

const U = 2 ** -24;

export type LinearBackwardCase = LinearBackwardInput;

/** Seeded case: dY, X, W ~ N(0, 1); with `accumulate`, existing gradients ~ N(0, 1) too. */
export function seededBackwardCase(
  seed: number,
  { m, k, n }: LinearShape,
  layout: WeightLayout,
  accumulate: boolean,
): LinearBackwardCase {
  return {
    m,
    k,
    n,
    layout,
    dY: gaussianArray(seed, m * n),
    x: gaussianArray(seed + 1, m * k),
    w: gaussianArray(seed + 2, k * n),
    ...(accumulate && {
      dX0: gaussianArray(seed + 3, m * k),
      dW0: gaussianArray(seed + 4, k * n),
      dBias0: gaussianArray(seed + 5, n),
    }),
  };
}

export interface LinearBackwardRun {
  dX: Float32Array;
  dW: Float32Array;
  dBias: Float32Array;
}

/** Uploads, encodes all three gradients in one pass, reads them back, releases everything. */
export async function runLinearBackward(
  gpu: Gpu,
  kernel: LinearBackwardKernel,
  c: LinearBackwardCase,
): Promise<LinearBackwardRun> {
  const { m, k, n } = c;
  const owned = [
    uploadStorage(gpu, c.dY, 'linear-backward-test:dY'),
    uploadStorage(gpu, c.x, 'linear-backward-test:x'),
    uploadStorage(gpu, c.w, 'linear-backward-test:w'),
    uploadStorage(gpu, c.dX0 ?? new Float32Array(m * k).fill(NaN), 'linear-backward-test:dX'),
    uploadStorage(gpu, c.dW0 ?? new Float32Array(k * n).fill(NaN), 'linear-backward-test:dW'),
    uploadStorage(gpu, c.dBias0 ?? new Float32Array(n).fill(NaN), 'linear-backward-test:dBias'),
  ];
  const [dY, x, w, dX, dW, dBias] = owned;
  const accumulate = c.dX0 !== undefined;
  const gradients: LinearGradients = {
    input: { buffer: dX, accumulate },
    weight: { buffer: dW, accumulate },
    bias: { buffer: dBias, accumulate },
  };
  try {
    await submitPass(gpu, 'linear-backward-test', (pass) =>
      kernel.encode(pass, dY, x, { buffer: w, layout: c.layout }, gradients, { m, k, n }),
    );
    return {
      dX: await readFloat32(gpu, dX, m * k),
      dW: await readFloat32(gpu, dW, k * n),
      dBias: await readFloat32(gpu, dBias, n),
    };
  } finally {
    for (const buffer of owned) buffer.destroy();
  }
}

export interface GradientReport {
  failures: number;
  first: string;
  /** max |gpu - ref| / bound: <= 1 passes. */
  worstRatio: number;
  worstAbs: number;
}

/**
 * |gpu - ref| <= 2 gamma_{R+1} magnitude + 2u|ref| + 1e-30, with R the terms of the sum (plus one
 * for the existing gradient) and gamma_n = n u / (1 - n u) the worst case of a sequential f32 sum
 * of products (Higham 3.1); the factor 2 and 2u|ref| cover the final rounding and the add into
 * the existing value.
 */
export function compareGradient(
  name: string,
  got: Float32Array,
  want: ReferenceGradient,
  terms: number,
): GradientReport {
  const count = terms + 1;
  const gamma = (count * U) / (1 - count * U);
  const report: GradientReport = { failures: 0, first: '', worstRatio: 0, worstAbs: 0 };
  for (let i = 0; i < want.value.length; i++) {
    const bound = 2 * gamma * want.magnitude[i] + 2 * U * Math.abs(want.value[i]) + 1e-30;
    const error = Math.abs(got[i] - want.value[i]);
    const ratio = Number.isNaN(error) ? Infinity : error / bound;
    report.worstRatio = Math.max(report.worstRatio, ratio);
    if (Number.isFinite(error)) report.worstAbs = Math.max(report.worstAbs, error);
    if (!(ratio <= 1) && report.failures++ === 0) {
      report.first = `${name}[${i}] GPU ${got[i]} vs ref ${want.value[i]} (bound ${bound.toExponential(2)})`;
    }
  }
  return report;
}
