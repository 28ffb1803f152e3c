// Kernel check panel entry for the RoPE backward: Qwen2.5-like heads (14 x 64, theta 1e6) at
// positions 0, 1, 4095 and 32767: exactly the transpose of the GPU forward (its own cos/sin, read
// off unit vectors) to 2u (|a| + |b|), and the f64 reference to 6e-7 (|a| + |b|) per pair.
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass } from '../../gpu/timing';
import { readFloat32, uploadStorage } from '../../gpu/readback';
import type { KernelCheck, KernelCheckResult } from '../check';
import { CheckResources, checkResult, timeCpu } from '../logits/checks-support';
import { gaussianArray } from '../matmul/testing';
import { ropeInverseFrequencies } from '../rope/frequencies';
import { RopeKernel } from '../rope/rope';
import { ropeBackwardReference } from './reference';
import { RopeBackwardKernel } from './rope-backward';
import { forwardRotation, transposeRotation } from './testing';

const U = 2 ** -24;
const TOLERANCE = 6e-7;
const POSITIONS = [0, 1, 4095, 32767];

async function ropeBackwardCheck(gpu: Gpu): Promise<KernelCheckResult> {
  const resources = new CheckResources(gpu, 'rope-backward-check');
  try {
    const kernel = resources.own(await RopeBackwardKernel.create(gpu, 'rope-backward-check'));
    const forward = resources.own(await RopeKernel.create(gpu, 'rope-backward-check:forward'));
    const positions = resources.own(
      uploadStorage(gpu, Uint32Array.from(POSITIONS), 'rope-backward-check:positions'),
    );
    const shape = { tokens: POSITIONS.length, heads: 14, headDim: 64 };
    const theta = 1e6;
    const gradient = gaussianArray(41, shape.tokens * shape.heads * shape.headDim, 2);
    const buffer = resources.upload(gradient, 'gradient');
    const timing = await timeComputePass(gpu, 'rope-backward-check', (pass) =>
      kernel.encode(pass, buffer, positions, shape, { theta }),
    );
    const got = await readFloat32(gpu, buffer, gradient.length);
    const rotation = await forwardRotation(gpu, forward, POSITIONS, shape, { theta });
    const transpose = transposeRotation(gradient, rotation, shape);
    const inverse = ropeInverseFrequencies(shape.headDim, theta);
    const cpu = timeCpu(() => ropeBackwardReference(gradient, POSITIONS, inverse, shape));
    const failures: string[] = [];
    const worst = { transpose: 0, reference: 0 };
    const half = shape.headDim / 2;
    for (let j = 0; j < gradient.length; j++) {
      const partner = j % shape.headDim < half ? j + half : j - half;
      const scale = Math.abs(gradient[j]) + Math.abs(gradient[partner]);
      const transposeRatio = Math.abs(got[j] - transpose[j]) / (2 * U * scale);
      const referenceRatio = Math.abs(got[j] - cpu.value[j]) / (TOLERANCE * scale);
      worst.transpose = Math.max(worst.transpose, Number.isNaN(transposeRatio) ? Infinity : transposeRatio);
      worst.reference = Math.max(worst.reference, Number.isNaN(referenceRatio) ? Infinity : referenceRatio);
      if (!(transposeRatio <= 1 && referenceRatio <= 1) && failures.length === 0)
        failures.push(`element ${j}: GPU ${got[j]} vs transpose ${transpose[j]}, reference ${cpu.value[j]}`);
    }
    const summary =
      `14 heads x 64, theta 1e6, positions ${POSITIONS.join(', ')}: transpose of the forward worst ` +
      `${worst.transpose.toFixed(3)} of 2u (|a| + |b|), reference worst ${worst.reference.toFixed(3)} of ${TOLERANCE} (|a| + |b|)`;
    return checkResult(gpu, failures, summary, timing, cpu.ms);
  } finally {
    resources.destroy();
  }
}

export const checks: KernelCheck[] = [
  {
    id: 'rope-backward/rope-backward',
    family: 'rope-backward',
    description:
      'RoPE backward (rotation by -angle) at positions 0, 1, 4095, 32767, theta 1e6: exactly the transpose of ' +
      'the GPU forward, and the f64 reference',
    run: ropeBackwardCheck,
  },
];
