// Robust DPO: Chowdhury, Kini, Natarajan, "Provably Robust DPO: Aligning Language Models with
// Noisy Feedback" (ICML 2024).
//
// Each preference label is flipped independently with a known rate e in [0, 1/2). With
// l(m) = -log sigmoid(beta m) the DPO loss of a pair of margin m (./dpo.ts), the rDPO loss is the
// unbiased estimate of the clean loss,
//   L_e(m) = [ (1 - e) l(m) - e l(-m) ] / (1 - 2e),
//   dL_e/dm = -beta [ (1 - e) sigmoid(-beta m) + e sigmoid(beta m) ] / (1 - 2e),
// averaged over the pairs; a chosen response token gets w_t = dL_e/dm / P, a rejected one -dL_e/dm / P.
// e = 0 is DPO. e >= 1/2 is refused: at 1/2 the labels carry no information and the estimate divides
// by zero. Defaults: beta = 0.1 (DPO's), e = 0.1 (one of the paper's noise levels, 0.1 to 0.4).
import { dpoMarginLoss, pairwiseObjective, DPO_BETA, type MarginLoss, type PreferencePairIndex } from './dpo';
import { requireInRange, requirePositive } from './errors';
import { sigmoid, type RlObjective } from './objective';

export const ROBUST_DPO_FLIP_RATE = 0.1;

export interface RobustDpoOptions {
  pairs: readonly PreferencePairIndex[];
  beta?: number;
  /** The label flip rate e, in [0, 0.5). */
  flipRate?: number;
}

export function robustDpoMarginLoss(beta: number, flipRate: number): MarginLoss {
  const clean = dpoMarginLoss(beta);
  const e = flipRate;
  return (m) => ({
    value: ((1 - e) * clean(m).value - e * clean(-m).value) / (1 - 2 * e),
    slope: (-beta * ((1 - e) * sigmoid(-beta * m) + e * sigmoid(beta * m))) / (1 - 2 * e),
  });
}

export function robustDpoObjective(options: RobustDpoOptions): RlObjective {
  const beta = options.beta ?? DPO_BETA;
  const flipRate = options.flipRate ?? ROBUST_DPO_FLIP_RATE;
  requirePositive('robust dpo', 'beta', beta, "0.1 is DPO's usual value");
  requireInRange(
    'robust dpo',
    'flip rate e',
    flipRate,
    { min: 0, minIncluded: true, max: 0.5, maxIncluded: false },
    'at 0.5 or more the labels carry no preference (use plain DPO with swapped labels if they are mostly wrong)',
  );
  return pairwiseObjective(
    `robust dpo (beta ${beta}, e ${flipRate})`,
    options.pairs,
    robustDpoMarginLoss(beta, flipRate),
  );
}
