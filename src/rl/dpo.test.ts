// DPO's weights: equal to finite differences of its loss and to the closed form
// w = -beta sigmoid(-beta m) / P on chosen tokens, +beta sigmoid(-beta m) / P on rejected ones;
// hand-computed losses; refusals.
import { describe, expect, test } from 'vitest';
import { dpoObjective, preferenceMargins } from './dpo';
import { ObjectiveInputError } from './errors';
import { sequenceLogProb, sigmoid } from './objective';
import {
  FD_ABSOLUTE,
  FD_RELATIVE,
  batchOf,
  closedFormWeights,
  countNonZero,
  finiteDifferenceWeights,
  firstMismatch,
  pairBatches,
  pairLogProbs,
  pairs,
} from './testing';

const logProbs = pairLogProbs;

describe('dpo', () => {
  test.each([0.1, 0.5, 2])('beta %s: weights = finite differences of the loss = closed form', (beta) => {
    const dpo = dpoObjective({ pairs, beta });
    const weights = dpo.tokenWeights64(pairBatches, logProbs);
    const fd = finiteDifferenceWeights((lp) => dpo.loss(pairBatches, lp), logProbs);
    expect(firstMismatch(weights, fd, FD_ABSOLUTE, FD_RELATIVE)).toBeNull();
    const closed = closedFormWeights((m) => -beta * sigmoid(-beta * m));
    expect(firstMismatch(weights, closed, 1e-15, 1e-12)).toBeNull();
    // Every response token of the five sequences carries a weight; prompts and padding none.
    expect(countNonZero(weights)).toBe(3 + 2 + 1 + 2 + 4);
    // The trainer's float32 weights are the float64 ones rounded.
    const f32 = logProbs.map((l) => Float32Array.from(l));
    expect(dpo.tokenWeights(pairBatches, f32)).toEqual(
      dpo.tokenWeights64(pairBatches, f32).map((w) => Float32Array.from(w)),
    );
  });

  test('the margin is [log pi(y_w) - ref(y_w)] - [log pi(y_l) - ref(y_l)] from masked sums', () => {
    const margins = preferenceMargins(pairBatches, logProbs, pairs);
    const lp = (b: number, row: number) => sequenceLogProb(pairBatches, logProbs, { batch: b, row });
    expect(margins[1]).toBeCloseTo(lp(1, 0) + 2.5 - (lp(0, 2) + 1.9), 14);
  });

  test('hand values: margin 0 gives ln 2, beta m = ln 3 gives ln(4/3)', () => {
    const batch = batchOf([
      { prompt: [1], response: [2, 3] },
      { prompt: [1], response: [4] },
    ]);
    const lp = [new Float64Array(batch.batchSize * batch.length)];
    // Chosen tokens at positions 0, 1 (row 0), the rejected one at position 2 (row 1).
    lp[0].set([-1, -0.5, -2, 0]);
    const sums = { referenceChosen: -1.5, referenceRejected: -2 };
    const pair = { chosen: { batch: 0, row: 0 }, rejected: { batch: 0, row: 1 }, ...sums };
    expect(dpoObjective({ pairs: [pair], beta: 0.1 }).loss([batch], lp)).toBeCloseTo(Math.LN2, 15);
    const beta = 0.5;
    const shifted = { ...pair, referenceChosen: -1.5 - Math.log(3) / beta };
    expect(dpoObjective({ pairs: [shifted], beta }).loss([batch], lp)).toBeCloseTo(Math.log(4 / 3), 14);
  });

  test('refuses bad beta, an empty preference set, a pair of one sequence, missing log-probs', () => {
    for (const beta of [0, -0.1, Number.NaN, Infinity]) {
      expect(() => dpoObjective({ pairs, beta })).toThrow(/dpo: beta must be in \(0, ∞\), got/);
    }
    expect(() => dpoObjective({ pairs: [] })).toThrow(/preference set is empty/);
    const same = [{ ...pairs[0], rejected: pairs[0].chosen }];
    expect(() => dpoObjective({ pairs: same }).tokenWeights64(pairBatches, logProbs)).toThrow(
      /same sequence/,
    );
    const outside = [{ ...pairs[0], chosen: { batch: 0, row: 3 } }];
    expect(() => dpoObjective({ pairs: outside }).loss(pairBatches, logProbs)).toThrow(
      /row 3 of micro-batch 0/,
    );
    expect(() => dpoObjective({ pairs }).tokenWeights(pairBatches, null)).toThrow(ObjectiveInputError);
  });
});
