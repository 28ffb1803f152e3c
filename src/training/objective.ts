// Objectives over the trainer's per-token seam (./types.ts): Loss = sum_t w_t logp_t.
//
// Cross-entropy (supervised fine-tuning, next-token prediction): the mean negative log-likelihood
// of the tokens with mask 1 over all micro-batches of the step,
//   L = -(1 / N) sum_{t: mask_t = 1} logp_t,   so   w_t = -mask_t / N,   N = sum of the masks.
// Preference and RL objectives (DPO, GRPO, ...) follow the same pattern with other w_t.
import { KernelInputError } from '../gpu/errors';
import type { Objective, TokenBatch } from './types';

function maskedCount(batches: readonly TokenBatch[]): number {
  let count = 0;
  for (const b of batches) for (const m of b.mask) if (m !== 0) count++;
  return count;
}

export function crossEntropyObjective(): Objective {
  return {
    name: 'cross-entropy',
    needsLogProbs: false,
    tokenWeights(batches) {
      const count = maskedCount(batches);
      if (count === 0) throw new KernelInputError('cross-entropy: the step has no token with mask 1');
      return batches.map((b) => b.mask.map((m) => (m !== 0 ? -1 / count : 0)));
    },
    loss(batches, logProbs) {
      const count = maskedCount(batches);
      let sum = 0;
      batches.forEach((b, i) => b.mask.forEach((m, t) => (sum += m !== 0 ? logProbs[i][t] : 0)));
      return -sum / count;
    },
  };
}
