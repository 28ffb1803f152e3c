// Kernel check panel entries for the optimizer: four AdamW steps with global-norm clipping on
// tensors of 1, 7, 1000 and 65,537 entries against the f64 reference, and a NaN/Inf gradient that
// must skip the step bit-exactly (bounds of ./testing.ts, shared with optimizer.gpu.test.ts).
import type { Gpu } from '../../gpu/runtime';
import type { KernelCheck, KernelCheckResult } from '../check';
import { CheckResources, checkResult } from '../logits/checks-support';
import { compareOptimizerSteps, type OptimizerCase } from './testing';

const SIZES = [1, 7, 1000, 65_537];

async function optimizerCheck(gpu: Gpu, c: OptimizerCase, what: string): Promise<KernelCheckResult> {
  const resources = new CheckResources(gpu, 'optimizer-check');
  try {
    const result = await compareOptimizerSteps(gpu, resources, c);
    const failures = [...result.failures];
    const expectedSkips = c.poison ? 1 : 0;
    if (result.skippedSteps !== expectedSkips)
      failures.push(`${result.skippedSteps} steps skipped, expected ${expectedSkips}`);
    const { norm, moments, parameters } = result.worst;
    const summary =
      `${what}, n = ${SIZES.join(', ')}, ${c.steps} steps: worst of bound norm ${norm.toFixed(3)}, ` +
      `m/v ${moments.toFixed(3)}, p ${parameters.toFixed(3)}`;
    return checkResult(gpu, failures, summary, result.timing, result.referenceMs / c.steps);
  } finally {
    resources.destroy();
  }
}

export const checks: KernelCheck[] = [
  {
    id: 'optimizer/adamw',
    family: 'optimizer',
    description:
      'Global gradient norm + clipping (maxNorm 1) + AdamW, four steps on tensors of 1, 7, 1000 and 65,537 ' +
      'entries, against the f64 reference',
    run: (gpu) =>
      optimizerCheck(gpu, { sizes: SIZES, steps: 4, maxGradientNorm: 1, seed: 3 }, 'clipping active'),
  },
  {
    id: 'optimizer/skip-non-finite',
    family: 'optimizer',
    description:
      'A NaN/Inf gradient at step 2 leaves every p, m, v unchanged bit for bit and names the tensor',
    run: (gpu) =>
      optimizerCheck(
        gpu,
        { sizes: SIZES, steps: 3, maxGradientNorm: 1, seed: 4, poison: { step: 2, tensor: 2 } },
        'NaN/Inf in tensor 2 at step 2',
      ),
  },
];
