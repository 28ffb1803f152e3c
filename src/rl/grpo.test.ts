// GRPO: group advantages (sample std + eps; degenerate groups exactly 0), weights against finite
// differences of the clipped-ratio + k3-KL loss, clipping zeroes the gradient exactly where the min
// picks the clipped term, a hand-computed loss, and refusals of bad hyper-parameters.
import { describe, expect, test } from 'vitest';
import { ObjectiveInputError } from './errors';
import { groupAdvantages, grpoObjective, grpoTokenAdvantages, rolloutStatistics, type Rollout } from './grpo';
import { responsePositions } from './objective';
import {
  FD_ABSOLUTE,
  FD_RELATIVE,
  batchOf,
  countNonZero,
  finiteDifferenceWeights,
  firstMismatch,
  randomLogProbs,
} from './testing';

const row = (response: number[]) => ({ prompt: [1, 2], response });
const rolloutBatches = [
  batchOf([row([3, 4, 5]), row([3, 4, 6]), row([7]), row([3, 8]), row([9, 9, 9, 9])]),
  batchOf([row([4, 4]), row([4, 5, 6]), row([5]), row([6, 6]), row([6, 7])]),
];
// Group 10: four rollouts, group 11: three, group 12: three with equal rewards (degenerate).
const rollouts: Rollout[] = [
  { sequence: { batch: 0, row: 0 }, group: 10, reward: 1 },
  { sequence: { batch: 0, row: 1 }, group: 10, reward: 0 },
  { sequence: { batch: 0, row: 2 }, group: 10, reward: 0 },
  { sequence: { batch: 0, row: 3 }, group: 10, reward: 1 },
  { sequence: { batch: 0, row: 4 }, group: 11, reward: 0.25 },
  { sequence: { batch: 1, row: 0 }, group: 11, reward: 0.75 },
  { sequence: { batch: 1, row: 1 }, group: 11, reward: 0.5 },
  { sequence: { batch: 1, row: 2 }, group: 12, reward: 0.1 },
  { sequence: { batch: 1, row: 3 }, group: 12, reward: 0.1 },
  { sequence: { batch: 1, row: 4 }, group: 12, reward: 0.1 },
];
const current = randomLogProbs(rolloutBatches, 23);
// rho = exp(logp - old) cycles through e^0.5, e^-0.5, e^0.05, e^-0.05, e^0.1, e^-0.3: inside and
// outside [0.8, 1.2] on both sides, never within 1e-6 of a kink.
const OFFSETS = [0.5, -0.5, 0.05, -0.05, 0.1, -0.3];
const old = current.map((lp) => lp.map((v, t) => v - OFFSETS[t % OFFSETS.length]));
const reference = randomLogProbs(rolloutBatches, 29).map((r, i) =>
  r.map((v, t) => current[i][t] + (v + 1.5) / 3),
);

describe('group advantages', () => {
  test('(r - mean) / (sample std + eps) per group; a degenerate group is exactly 0', () => {
    const a = groupAdvantages(rollouts, 1e-4);
    const std10 = Math.sqrt((4 * 0.25) / 3);
    expect([...a.slice(0, 4)]).toEqual([1, 0, 0, 1].map((r) => (r - 0.5) / (std10 + 1e-4)));
    const std11 = Math.sqrt((0.25 ** 2 * 2) / 2);
    expect(a[5]).toBeCloseTo(0.25 / (std11 + 1e-4), 15);
    // (0.1 + 0.1 + 0.1) / 3 = 0.10000000000000002: a mean-based formula would give ±1e-13, not 0.
    expect((0.1 + 0.1 + 0.1) / 3).not.toBe(0.1);
    expect([...a.slice(7)]).toEqual([0, 0, 0]);
  });

  test('refuses groups of one rollout and non-finite rewards', () => {
    const lonely = [...rollouts, { sequence: { batch: 1, row: 4 }, group: 99, reward: 1 }];
    expect(() => groupAdvantages(lonely)).toThrow(/group 99 has 1 rollout; group size must be at least 2/);
    const nan = rollouts.map((r, i) => (i === 3 ? { ...r, reward: Number.NaN } : r));
    expect(() => grpoObjective({ rollouts: nan, klBeta: 0 })).toThrow(/rollout 3 has reward NaN/);
  });
});

describe('grpo', () => {
  const options = { rollouts, oldLogProbs: old, referenceLogProbs: reference };

  test.each([0, 0.04, 0.3])('KL beta %s: weights = finite differences of the loss', (klBeta) => {
    const grpo = grpoObjective({ ...options, klBeta });
    const weights = grpo.tokenWeights64(rolloutBatches, current);
    const fd = finiteDifferenceWeights((lp) => grpo.loss(rolloutBatches, lp), current);
    expect(firstMismatch(weights, fd, FD_ABSOLUTE, FD_RELATIVE)).toBeNull();
    expect(countNonZero(weights)).toBeGreaterThan(5);
  });

  test('clipping: zero gradient where the min picks the clipped term, rho A / (R |o|) elsewhere', () => {
    const grpo = grpoObjective({ ...options, klBeta: 0 });
    const weights = grpo.tokenWeights64(rolloutBatches, current);
    const advantages = groupAdvantages(rollouts);
    let clippedTokens = 0;
    let activeTokens = 0;
    rollouts.forEach((r, k) => {
      const positions = responsePositions(rolloutBatches[r.sequence.batch], r.sequence.row);
      for (const i of positions) {
        const rho = Math.exp(current[r.sequence.batch][i] - old[r.sequence.batch][i]);
        const a = advantages[k];
        const w = weights[r.sequence.batch][i];
        if ((a > 0 && rho > 1.2) || (a < 0 && rho < 0.8)) {
          expect(w).toBe(0);
          clippedTokens++;
        } else {
          expect(w).toBeCloseTo(-(rho * a) / (rollouts.length * positions.length), 15);
          if (a !== 0) activeTokens++;
        }
      }
    });
    expect(clippedTokens).toBeGreaterThanOrEqual(3);
    expect(activeTokens).toBeGreaterThanOrEqual(5);
    const stats = rolloutStatistics(
      rolloutBatches,
      current,
      { ...options, klBeta: 0 },
      grpoTokenAdvantages(rolloutBatches, rollouts),
    );
    const responseTokens = rollouts.reduce(
      (n, r) => n + responsePositions(rolloutBatches[r.sequence.batch], r.sequence.row).length,
      0,
    );
    expect(stats.clipFraction).toBe(clippedTokens / responseTokens);
    expect(stats.meanResponseLength).toBe(responseTokens / rollouts.length);
    expect(stats.meanReward).toBeCloseTo((1 + 0 + 0 + 1 + 0.25 + 0.75 + 0.5 + 0.3) / 10, 15);
    let kl = 0;
    rollouts.forEach((r) => {
      for (const i of responsePositions(rolloutBatches[r.sequence.batch], r.sequence.row)) {
        const d = reference[r.sequence.batch][i] - current[r.sequence.batch][i];
        kl += Math.exp(d) - d - 1;
      }
    });
    expect(stats.meanKl).toBeCloseTo(kl / responseTokens, 15);
    expect(stats.meanKl).toBeGreaterThan(0);
  });

  test('a degenerate group gets zero weights (and only the KL term when the policy left the reference)', () => {
    const degenerate = rollouts.slice(7);
    const atReference = grpoObjective({ rollouts: degenerate, oldLogProbs: old, referenceLogProbs: current });
    const weights = atReference.tokenWeights64(rolloutBatches, current);
    expect(countNonZero(weights)).toBe(0);
    const away = grpoObjective({
      rollouts: degenerate,
      oldLogProbs: old,
      referenceLogProbs: reference,
      klBeta: 0.04,
    });
    const klOnly = away.tokenWeights64(rolloutBatches, current);
    degenerate.forEach((r) => {
      const positions = responsePositions(rolloutBatches[r.sequence.batch], r.sequence.row);
      for (const i of positions) {
        const b = r.sequence.batch;
        const expected = (0.04 * (1 - Math.exp(reference[b][i] - current[b][i]))) / (3 * positions.length);
        expect(klOnly[b][i]).toBeCloseTo(expected, 15);
      }
    });
    expect(klOnly.flatMap((w) => [...w]).every(Number.isFinite)).toBe(true);
  });

  test('old log-probs null means rho = 1: the same weights as old = the current log-probs', () => {
    const implicit = grpoObjective({ rollouts, referenceLogProbs: reference });
    const explicit = grpoObjective({ rollouts, referenceLogProbs: reference, oldLogProbs: current });
    expect(implicit.tokenWeights64(rolloutBatches, current)).toEqual(
      explicit.tokenWeights64(rolloutBatches, current),
    );
    expect(implicit.loss(rolloutBatches, current)).toBe(explicit.loss(rolloutBatches, current));
  });

  test('hand values: A = ±1/sqrt(2) for rewards (1, 0); KL-only loss beta (1 - ln 2); clipped ratio 2', () => {
    const batch = batchOf([row([3, 4]), row([5, 6])]);
    // Rows of T = 3: positions 1, 2 are rollout 0's response, 4, 5 rollout 1's.
    const lp = [Float64Array.from([-1, -0.5, -2, -0.25, -0.1, -0.7])];
    const pair: Rollout[] = [
      { sequence: { batch: 0, row: 0 }, group: 0, reward: 1 },
      { sequence: { batch: 0, row: 1 }, group: 0, reward: 0 },
    ];
    expect([...groupAdvantages(pair, 0)]).toEqual(
      [Math.SQRT1_2, -Math.SQRT1_2].map((a) => expect.closeTo(a, 15)),
    );
    // rho = 1, ref/pi = 2 at every token: the surrogates cancel, k3 = 2 - ln 2 - 1.
    const ref = [lp[0].map((v) => v + Math.LN2)];
    const klOnly = grpoObjective({
      rollouts: pair,
      referenceLogProbs: ref,
      klBeta: 0.04,
      advantageEpsilon: 0,
    });
    expect(klOnly.loss([batch], lp)).toBeCloseTo(0.04 * (1 - Math.LN2), 15);
    // Rollout 0 (A > 0) at rho = 2 is clipped to 1.2 A; rollout 1 at rho = 1 gives -A: L = -(1.2A - A)/2.
    const oldLp = [lp[0].map((v, t) => (t === 1 || t === 2 ? v - Math.LN2 : v))];
    const clipped = grpoObjective({ rollouts: pair, oldLogProbs: oldLp, klBeta: 0, advantageEpsilon: 0 });
    expect(clipped.loss([batch], lp)).toBeCloseTo(-0.1 * Math.SQRT1_2, 15);
  });

  test('refuses clip epsilon outside (0, 1), negative KL beta, KL without a reference, repeated sequences', () => {
    for (const clipEpsilon of [0, 1, 1.5, -0.2, Number.NaN]) {
      expect(() => grpoObjective({ rollouts, clipEpsilon, klBeta: 0 })).toThrow(
        /grpo: clip epsilon must be in \(0, 1\), got/,
      );
    }
    expect(() => grpoObjective({ rollouts, klBeta: -0.1 })).toThrow(/KL beta must be in \[0, ∞\)/);
    expect(() => grpoObjective({ rollouts })).toThrow(/no reference log-probs were given/);
    expect(() => grpoObjective({ rollouts: [], klBeta: 0 })).toThrow(ObjectiveInputError);
    const repeated = [...rollouts.slice(0, 3), { ...rollouts[3], sequence: rollouts[0].sequence }];
    expect(() =>
      grpoObjective({ rollouts: repeated, klBeta: 0 }).tokenWeights64(rolloutBatches, current),
    ).toThrow(/repeats sequence 0\/0/);
  });
});
