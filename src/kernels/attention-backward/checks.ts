// Kernel check panel entry for the attention backward: causal GQA attention (H = 4, Hkv = 2) over
// whole sequences of 33 and 128 tokens at D = 64, both paths (./path.ts), dQ, dK, dV against the
// f64 reference within the bound of ./testing.ts (shared with attention-backward.gpu.test.ts).
import type { Gpu } from '../../gpu/runtime';
import type { TimedResult } from '../../gpu/timing';
import type { KernelCheck, KernelCheckResult } from '../check';
import { CheckResources, checkResult } from '../logits/checks-support';
import { AttentionBackwardKernel } from './attention-backward';
import { ATTENTION_BACKWARD_PATHS } from './path';
import { compareAttentionBackward } from './testing';

async function backwardCheck(gpu: Gpu): Promise<KernelCheckResult> {
  const resources = new CheckResources(gpu, 'attention-backward-check');
  try {
    const kernel = resources.own(await AttentionBackwardKernel.create(gpu, 'attention-backward-check'));
    const failures: string[] = [];
    const notes: string[] = [];
    let timing: TimedResult = { ms: 0, source: 'wall-clock' };
    let cpuMs = 0;
    for (const tokens of [33, 128]) {
      const shape = { tokens, numHeads: 4, numKvHeads: 2, headDim: 64 };
      const worst: string[] = [];
      for (const path of ATTENTION_BACKWARD_PATHS) {
        const result = await compareAttentionBackward(gpu, resources, kernel, shape, tokens, path);
        failures.push(...result.failures);
        worst.push(`${path} ${result.worst.toFixed(3)}`);
        // The reported timing is the default path's on the longest sequence.
        if (path === 'invocation-per-row') [timing, cpuMs] = [result.timing, result.referenceMs];
      }
      notes.push(`T ${tokens}: worst of bound ${worst.join(', ')}`);
    }
    return checkResult(gpu, failures, `H 4, Hkv 2, D 64; ${notes.join('; ')}`, timing, cpuMs);
  } finally {
    resources.destroy();
  }
}

export const checks: KernelCheck[] = [
  {
    id: 'attention-backward/causal-gqa',
    family: 'attention-backward',
    description:
      'Causal attention backward (recomputed probabilities, GQA H 4 / Hkv 2, D 64) over sequences of 33 and ' +
      '128 tokens, invocation-per-row and workgroup-per-row paths: dQ, dK, dV against the f64 reference',
    run: backwardCheck,
  },
];
