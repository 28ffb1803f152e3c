// Kernel check panel entry for RoPE: Qwen2.5-like heads (14 x 64, theta 1e6) and Llama-like
// (theta 1e4) at positions 0, 1, 4095 and 32767, against the f64 reference on the f32 inverse
// frequencies; tolerance 6e-7 (|a| + |b|) per rotated pair (the GPU tests' criterion).
import { readFloat32, uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass, type TimedResult } from '../../gpu/timing';
import type { KernelCheck, KernelCheckResult } from '../check';
import { CheckResources, checkResult, timeCpu } from '../logits/checks-support';
import { gaussianArray } from '../matmul/testing';
import { ropeInverseFrequencies } from './frequencies';
import { ropeReference } from './reference';
import { RopeKernel } from './rope';

export const ROPE_TOLERANCE = 6e-7;
const POSITIONS = [0, 1, 4095, 32767];

async function ropeCheck(gpu: Gpu): Promise<KernelCheckResult> {
  const resources = new CheckResources(gpu, 'rope-check');
  try {
    const kernel = resources.own(await RopeKernel.create(gpu, 'rope-check'));
    const positions = resources.own(uploadStorage(gpu, Uint32Array.from(POSITIONS), 'rope-check:positions'));
    const failures: string[] = [];
    const notes: string[] = [];
    let mainTiming: TimedResult = { ms: 0, source: 'wall-clock' };
    let mainCpu = 0;
    for (const [index, theta] of [1e6, 1e4].entries()) {
      const shape = { tokens: POSITIONS.length, heads: 14, headDim: 64 };
      const x = gaussianArray(index + 1, shape.tokens * shape.heads * shape.headDim, 2);
      const buffer = resources.upload(x, `x${index}`);
      const timing = await timeComputePass(gpu, 'rope-check', (pass) =>
        kernel.encode(pass, buffer, positions, shape, { theta }),
      );
      const got = await readFloat32(gpu, buffer, x.length);
      const inverse = ropeInverseFrequencies(shape.headDim, theta);
      const cpu = timeCpu(() => ropeReference(x, POSITIONS, inverse, shape));
      if (index === 0) [mainTiming, mainCpu] = [timing, cpu.ms];
      let worst = 0;
      let over = 0;
      for (let j = 0; j < x.length; j++) {
        const i = j % shape.headDim;
        const partner = i < shape.headDim / 2 ? j + shape.headDim / 2 : j - shape.headDim / 2;
        const relative = Math.abs(got[j] - cpu.value[j]) / (Math.abs(x[j]) + Math.abs(x[partner]));
        worst = Math.max(worst, Number.isNaN(relative) ? Infinity : relative);
        if (!(relative <= ROPE_TOLERANCE) && over++ === 0) {
          const t = Math.floor(j / (shape.heads * shape.headDim));
          failures.push(
            `theta ${theta} position ${POSITIONS[t]} element ${j}: GPU ${got[j]} vs ${cpu.value[j]}`,
          );
        }
      }
      notes.push(`theta ${theta}: worst ${worst.toExponential(1)} (|a| + |b|)`);
    }
    const summary = `14 heads x 64 at positions ${POSITIONS.join(', ')}; ${notes.join('; ')} (tol ${ROPE_TOLERANCE})`;
    return checkResult(gpu, failures, summary, mainTiming, mainCpu);
  } finally {
    resources.destroy();
  }
}

export const checks: KernelCheck[] = [
  {
    id: 'rope/rope',
    family: 'rope',
    description:
      'RoPE (rotate half) with theta 1e6 and 1e4 at positions 0, 1, 4095, 32767 against f64 angles on the ' +
      'f32 inverse frequencies transformers computes',
    run: ropeCheck,
  },
];
