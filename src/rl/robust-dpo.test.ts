// Robust DPO: weights against finite differences and the closed form
// dL/dm = -beta [(1-e) sigmoid(-beta m) + e sigmoid(beta m)] / (1-2e); e = 0 is DPO; the loss is
// an unbiased estimate of the clean loss under flips; hand values; refusals of e outside [0, 0.5).
import { describe, expect, test } from 'vitest';
import { dpoMarginLoss, dpoObjective } from './dpo';
import { sigmoid } from './objective';
import { robustDpoMarginLoss, robustDpoObjective } from './robust-dpo';
import {
  FD_ABSOLUTE,
  FD_RELATIVE,
  batchOf,
  closedFormWeights,
  finiteDifferenceWeights,
  firstMismatch,
  pairBatches,
  pairLogProbs,
  pairs,
} from './testing';

describe('robust dpo', () => {
  test.each([
    [0.1, 0.1],
    [0.1, 0.3],
    [1, 0.45],
  ])('beta %s, e %s: weights = finite differences of the loss = closed form', (beta, e) => {
    const rdpo = robustDpoObjective({ pairs, beta, flipRate: e });
    const weights = rdpo.tokenWeights64(pairBatches, pairLogProbs);
    const fd = finiteDifferenceWeights((lp) => rdpo.loss(pairBatches, lp), pairLogProbs);
    expect(firstMismatch(weights, fd, FD_ABSOLUTE, FD_RELATIVE)).toBeNull();
    const closed = closedFormWeights(
      (m) => (-beta * ((1 - e) * sigmoid(-beta * m) + e * sigmoid(beta * m))) / (1 - 2 * e),
    );
    expect(firstMismatch(weights, closed, 1e-15, 1e-12)).toBeNull();
  });

  test('e = 0 is DPO exactly', () => {
    const rdpo = robustDpoObjective({ pairs, beta: 0.3, flipRate: 0 });
    const dpo = dpoObjective({ pairs, beta: 0.3 });
    expect(rdpo.tokenWeights64(pairBatches, pairLogProbs)).toEqual(
      dpo.tokenWeights64(pairBatches, pairLogProbs),
    );
    expect(rdpo.loss(pairBatches, pairLogProbs)).toBe(dpo.loss(pairBatches, pairLogProbs));
  });

  test('unbiased: (1-e) L_e(m) + e L_e(-m) = the clean DPO loss l(m)', () => {
    for (const e of [0.05, 0.2, 0.4]) {
      for (const m of [-7, -0.3, 0, 1.2, 9]) {
        const noisy = robustDpoMarginLoss(0.5, e);
        const expected = (1 - e) * noisy(m).value + e * noisy(-m).value;
        expect(expected).toBeCloseTo(dpoMarginLoss(0.5)(m).value, 12);
      }
    }
  });

  test('hand values: margin 0 gives ln 2 for any e; beta m = ln 3, e = 1/4 gives ln 4 - 1.5 ln 3', () => {
    const batch = batchOf([
      { prompt: [1], response: [2] },
      { prompt: [1], response: [3] },
    ]);
    const lp = [Float64Array.from([-0.7, -1.2])];
    const pair = {
      chosen: { batch: 0, row: 0 },
      rejected: { batch: 0, row: 1 },
      referenceChosen: -0.7,
      referenceRejected: -1.2,
    };
    expect(robustDpoObjective({ pairs: [pair], flipRate: 0.3 }).loss([batch], lp)).toBeCloseTo(Math.LN2, 15);
    const beta = 0.1;
    const shifted = { ...pair, referenceChosen: -0.7 - Math.log(3) / beta };
    const value = robustDpoObjective({ pairs: [shifted], beta, flipRate: 0.25 }).loss([batch], lp);
    expect(value).toBeCloseTo(Math.log(4) - 1.5 * Math.log(3), 13);
  });

  test('refuses e outside [0, 0.5) and beta <= 0, naming the parameter and the range', () => {
    for (const e of [0.5, 0.7, 1, -0.01, Number.NaN]) {
      expect(() => robustDpoObjective({ pairs, flipRate: e })).toThrow(
        /robust dpo: flip rate e must be in \[0, 0\.5\), got/,
      );
    }
    expect(() => robustDpoObjective({ pairs, beta: 0 })).toThrow(/beta must be in \(0, ∞\)/);
    expect(() => robustDpoObjective({ pairs: [] })).toThrow(/preference set is empty/);
  });
});
