// The KL anchor of ASFT: "Anchored Supervised Fine-Tuning" (Zhu, Su, Lai, Ma, Zhang, Yang, Chen,
// 2025). ASFT = DFT (./sft.ts) + lambda * KL to the frozen starting model, per response token:
//   L_ASFT = (1/N) sum_t [ -sg(p_t) logp_t + lambda * KL(pi_ref(. | s_t) || pi_theta(. | s_t)) ],
// with the KL over the whole vocabulary. Interpretation: the direction and the default come from the
// authors' code (F.kl_div(log_softmax(policy), softmax(reference)) = KL(ref || policy),
// kl_weight = 0.1); the abstract only says "lightweight KL regularization".
//
// The KL term depends on every logit of the row, not only on the target token's logp, so it cannot
// be written as w_t * dlogp_t/dtheta: it is a second term on the logits. These are its CPU spec for
// the GPU part (one row of logits z, reference logits z_ref, weight = lambda / N):
//   value      KL = sum_v q_v (log q_v - log p_v),   p = softmax(z), q = softmax(z_ref)
//   gradient   dKL/dz_v = p_v - q_v
import { ObjectiveInputError } from './errors';

export const ASFT_KL_WEIGHT = 0.1;

function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let v = 0; v < logits.length; v++) max = Math.max(max, logits[v]);
  let sum = 0;
  for (let v = 0; v < logits.length; v++) sum += Math.exp(logits[v] - max);
  const logZ = max + Math.log(sum);
  return Float64Array.from({ length: logits.length }, (_, v) => logits[v] - logZ);
}

function checkRows(policy: ArrayLike<number>, reference: ArrayLike<number>): void {
  if (policy.length !== reference.length || policy.length === 0) {
    throw new ObjectiveInputError(
      `asft: the policy row has ${policy.length} logits and the reference row ${reference.length}; both need the same vocabulary (at least 1)`,
    );
  }
}

/** KL(softmax(reference) || softmax(policy)) of one row of logits. */
export function anchorKl(policyLogits: ArrayLike<number>, referenceLogits: ArrayLike<number>): number {
  checkRows(policyLogits, referenceLogits);
  const logP = logSoftmax(policyLogits);
  const logQ = logSoftmax(referenceLogits);
  let kl = 0;
  for (let v = 0; v < logP.length; v++) {
    const q = Math.exp(logQ[v]);
    if (q > 0) kl += q * (logQ[v] - logP[v]);
  }
  return kl;
}

/** weight * dKL/dz for one row: weight * (softmax(policy) - softmax(reference)). */
export function anchorKlLogitGradient(
  policyLogits: ArrayLike<number>,
  referenceLogits: ArrayLike<number>,
  weight: number,
): Float64Array {
  checkRows(policyLogits, referenceLogits);
  const logP = logSoftmax(policyLogits);
  const logQ = logSoftmax(referenceLogits);
  return Float64Array.from(
    { length: logP.length },
    (_, v) => weight * (Math.exp(logP[v]) - Math.exp(logQ[v])),
  );
}
