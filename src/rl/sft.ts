// Supervised fine-tuning and Dynamic Fine-Tuning over the per-token seam.
//
// SFT (maximum likelihood on demonstrations): the mean negative log-likelihood of the response
// tokens of the step, N = the number of tokens with mask != 0 over all micro-batches,
//   L_SFT = -(1/N) sum_t logp_t,                 w_t = -1/N.
// Identical to src/training/objective.ts (crossEntropyObjective, tested equal), in float64.
//
// DFT: Wu et al., "On the Generalization of SFT: A Reinforcement Learning Perspective with Reward
// Rectification" (2025), as analysed in "Anchored Supervised Fine-Tuning" (Zhu et al., 2025). Each
// token's loss is scaled by its own probability under a stop-gradient sg(.):
//   L_DFT = -(1/N) sum_t sg(p_t) logp_t,   p_t = exp(logp_t),   w_t = -p_t / N.
// The token mean follows the ASFT code (the weighted token losses are averaged over valid tokens).
// Because of sg, the gradient is taken with p_t held fixed: dftLoss(batches, logProbs, anchor) is
// the surrogate with sg(p_t) = exp(anchor_t), and the objective's loss evaluates it at
// anchor = logProbs. Its finite-difference gradient in the first argument is w_t (tested); the
// gradient of the plain value -(1/N) sum p_t logp_t would not be the paper's.
//
// ASFT adds a KL anchor to a frozen reference over the whole vocabulary; that term needs the logits,
// not the target token's logp, so it is not on this seam: see ./asft.ts for its spec.
import type { TokenBatch } from '../training/types';
import { ObjectiveInputError } from './errors';
import { makeObjective, requireLogProbs, type LogProbs, type RlObjective } from './objective';

function responseTokenCount(objective: string, batches: readonly TokenBatch[]): number {
  let count = 0;
  for (const b of batches) for (const m of b.mask) if (m !== 0) count++;
  if (count === 0) {
    throw new ObjectiveInputError(`${objective}: the step has no token with mask 1 (nothing to learn from)`);
  }
  return count;
}

export function sftObjective(): RlObjective {
  const name = 'sft';
  return makeObjective(
    name,
    false,
    (batches) => {
      const n = responseTokenCount(name, batches);
      return batches.map((b) => Float64Array.from(b.mask, (m) => (m !== 0 ? -1 / n : 0)));
    },
    (batches, logProbs) => {
      const n = responseTokenCount(name, batches);
      let sum = 0;
      batches.forEach((b, i) => b.mask.forEach((m, t) => (sum += m !== 0 ? logProbs[i][t] : 0)));
      return -sum / n;
    },
  );
}

/** The DFT surrogate with sg(p_t) = exp(anchor_t): -(1/N) sum_t exp(anchor_t) logp_t. */
export function dftLoss(
  batches: readonly TokenBatch[],
  logProbs: readonly LogProbs[],
  anchor: readonly LogProbs[],
): number {
  const n = responseTokenCount('dft', batches);
  let sum = 0;
  batches.forEach((b, i) =>
    b.mask.forEach((m, t) => {
      if (m !== 0) sum += Math.exp(anchor[i][t]) * logProbs[i][t];
    }),
  );
  return -sum / n;
}

export function dftObjective(): RlObjective {
  const name = 'dft';
  return makeObjective(
    name,
    true,
    (batches, logProbs) => {
      const lp = requireLogProbs(name, batches, logProbs);
      const n = responseTokenCount(name, batches);
      return batches.map((b, i) =>
        Float64Array.from(b.mask, (m, t) => (m !== 0 ? -Math.exp(lp[i][t]) / n : 0)),
      );
    },
    (batches, logProbs) => dftLoss(batches, logProbs, logProbs),
  );
}
