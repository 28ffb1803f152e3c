// TEMPO: the prefix tree and its values on a hand-made group, corrections only at branching
// tokens, weights against finite differences of the loss, reduction to GRPO without branches or
// with lambda = 0, zero weights for a degenerate group.
import { describe, expect, test } from 'vitest';
import { groupAdvantages, grpoObjective, grpoTokenAdvantages, type Rollout } from './grpo';
import {
  buildPrefixTree,
  isBranching,
  prefixTreeCorrections,
  tempoObjective,
  tempoTokenAdvantages,
} from './tempo';
import {
  FD_ABSOLUTE,
  FD_RELATIVE,
  batchOf,
  countNonZero,
  finiteDifferenceWeights,
  firstMismatch,
  randomLogProbs,
} from './testing';

describe('prefix tree', () => {
  // 5 → 6 → 7 (twice), 5 → 6 → 8, 5 → 9.
  const responses = [
    [5, 6, 7],
    [5, 6, 8],
    [5, 9],
    [5, 6, 7],
  ];
  const outcomes = [1, -1, 0.5, 1];

  test('V(s) is the mean outcome of the rollouts through s; branching nodes are where they part', () => {
    const root = buildPrefixTree(responses, outcomes);
    const five = root.children.get(5)!;
    const six = five.children.get(6)!;
    expect(root.value).toBe(0.375);
    expect(five.value).toBe(0.375);
    expect(six.value).toBeCloseTo(1 / 3, 15);
    expect(six.children.get(7)!.value).toBe(1);
    expect(six.children.get(7)!.ends).toBe(2);
    expect(five.children.get(9)!.value).toBe(0.5);
    expect([isBranching(root), isBranching(five), isBranching(six)]).toEqual([false, true, true]);
  });

  test('corrections V(s_k+1) - V(s_k) at branching tokens only', () => {
    const c = prefixTreeCorrections(responses, outcomes);
    expect([...c[0]]).toEqual([0, expect.closeTo(1 / 3 - 0.375, 15), expect.closeTo(1 - 1 / 3, 15)]);
    expect([...c[1]]).toEqual([0, expect.closeTo(1 / 3 - 0.375, 15), expect.closeTo(-1 - 1 / 3, 15)]);
    expect([...c[2]]).toEqual([0, 0.125]);
    expect(c[3]).toEqual(c[0]);
  });

  test('a response that ends where another continues makes a branch', () => {
    const c = prefixTreeCorrections(
      [
        [1, 2],
        [1, 2, 3],
      ],
      [1, 0],
    );
    expect([...c[0]]).toEqual([0, 0]);
    expect([...c[1]]).toEqual([0, 0, -0.5]);
  });

  test('identical responses never branch: all corrections are 0', () => {
    const c = prefixTreeCorrections(
      [
        [4, 4, 2],
        [4, 4, 2],
        [4, 4, 2],
      ],
      [1, 0, 1],
    );
    expect(countNonZero(c)).toBe(0);
  });
});

const row = (response: number[]) => ({ prompt: [1, 2], response });
const batches = [
  batchOf([row([5, 6, 7]), row([5, 6, 8]), row([5, 9]), row([5, 6, 7])]),
  batchOf([row([3, 3]), row([3, 4]), row([2])]),
];
const rollouts: Rollout[] = [
  { sequence: { batch: 0, row: 0 }, group: 0, reward: 1 },
  { sequence: { batch: 0, row: 1 }, group: 0, reward: 0 },
  { sequence: { batch: 0, row: 2 }, group: 0, reward: 0 },
  { sequence: { batch: 0, row: 3 }, group: 0, reward: 1 },
  { sequence: { batch: 1, row: 0 }, group: 1, reward: 0 },
  { sequence: { batch: 1, row: 1 }, group: 1, reward: 1 },
  { sequence: { batch: 1, row: 2 }, group: 1, reward: 1 },
];
const current = randomLogProbs(batches, 41);
const OFFSETS = [0.4, -0.45, 0.03, -0.1];
const old = current.map((lp) => lp.map((v, t) => v - OFFSETS[t % OFFSETS.length]));
const reference = randomLogProbs(batches, 43).map((r, i) => r.map((v, t) => current[i][t] + (v + 1.5) / 4));

describe('tempo', () => {
  test('token advantages are A_i plus the tree corrections computed on the normalised rewards', () => {
    const a = groupAdvantages(rollouts);
    const advantages = tempoTokenAdvantages(batches, rollouts);
    const group0 = prefixTreeCorrections(
      [
        [5, 6, 7],
        [5, 6, 8],
        [5, 9],
        [5, 6, 7],
      ],
      [a[0], a[1], a[2], a[3]],
    );
    expect([...advantages[1]]).toEqual([...group0[1]].map((c) => a[1] + c));
    // The first token of every rollout of group 0 sits at the (non-branching) root: GRPO's A_i.
    expect(advantages.slice(0, 4).map((x) => x[0])).toEqual([a[0], a[1], a[2], a[3]]);
    expect(advantages[1][2]).not.toBe(a[1]);
  });

  test.each([0, 0.04])('KL beta %s: weights = finite differences of the loss', (klBeta) => {
    const tempo = tempoObjective({ rollouts, oldLogProbs: old, referenceLogProbs: reference, klBeta });
    const weights = tempo.tokenWeights64(batches, current);
    const fd = finiteDifferenceWeights((lp) => tempo.loss(batches, lp), current);
    expect(firstMismatch(weights, fd, FD_ABSOLUTE, FD_RELATIVE)).toBeNull();
    expect(countNonZero(weights)).toBeGreaterThan(8);
  });

  test('lambda = 0 is GRPO; with lambda = 1 the advantages differ from GRPO exactly at branching tokens', () => {
    const options = { rollouts, oldLogProbs: old, referenceLogProbs: reference };
    const grpo = grpoObjective(options).tokenWeights64(batches, current);
    expect(tempoObjective({ ...options, tdWeight: 0 }).tokenWeights64(batches, current)).toEqual(grpo);
    const flat = grpoTokenAdvantages(batches, rollouts);
    const differing: string[] = [];
    tempoTokenAdvantages(batches, rollouts).forEach((a, i) =>
      a.forEach((x, k) => x !== flat[i][k] && differing.push(`${i}:${k}`)),
    );
    // Group 0 branches at s = [5] (token 1 of rollouts 0-3) and s = [5, 6] (token 2 of 0, 1, 3);
    // group 1 at the root (token 0 of rollouts 4-6) and at s = [3] (token 1 of 4, 5).
    expect(differing).toEqual([
      '0:1',
      '0:2',
      '1:1',
      '1:2',
      '2:1',
      '3:1',
      '3:2',
      '4:0',
      '4:1',
      '5:0',
      '5:1',
      '6:0',
    ]);
  });

  test('a degenerate group has zero advantages and weights', () => {
    const flat = rollouts.slice(0, 4).map((r) => ({ ...r, reward: 0.7 }));
    expect(countNonZero(tempoTokenAdvantages(batches, flat))).toBe(0);
    const tempo = tempoObjective({ rollouts: flat, oldLogProbs: old, klBeta: 0 });
    expect(countNonZero(tempo.tokenWeights64(batches, current))).toBe(0);
  });

  test('refuses a negative TD weight and the GRPO hyper-parameters GRPO refuses', () => {
    expect(() => tempoObjective({ rollouts, klBeta: 0, tdWeight: -1 })).toThrow(
      /tempo: TD weight must be in \[0, ∞\)/,
    );
    expect(() => tempoObjective({ rollouts, klBeta: 0, clipEpsilon: 1 })).toThrow(
      /tempo: clip epsilon must be in \(0, 1\)/,
    );
    expect(() => tempoObjective({ rollouts: rollouts.slice(0, 5), klBeta: 0 })).toThrow(
      /group size must be at least 2/,
    );
  });
});
