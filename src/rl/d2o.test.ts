// D2O: weights against finite differences of the loss and against the closed form
// (-beta sigmoid(-z) / (K M) on sample tokens, +alpha sigmoid(-z) / M on negative tokens); the
// hand value ln 2 at z = 0; refusals.
import { describe, expect, test } from 'vitest';
import { d2oObjective, d2oScores, type DispreferenceItem } from './d2o';
import { responsePositions, sequenceLogProb, sigmoid } from './objective';
import {
  FD_ABSOLUTE,
  FD_RELATIVE,
  batchOf,
  countNonZero,
  finiteDifferenceWeights,
  firstMismatch,
  randomLogProbs,
} from './testing';

const batches = [
  batchOf([
    { prompt: [1, 2], response: [3, 4] },
    { prompt: [1, 2], response: [5] },
    { prompt: [1, 2], response: [6, 7, 8] },
    { prompt: [1, 9], response: [4, 4] },
  ]),
  batchOf([
    { prompt: [1, 9, 9], response: [2] },
    { prompt: [1, 9], response: [3, 5] },
  ]),
];
const logProbs = randomLogProbs(batches, 17);

// Item 0: K = 2 samples and a negative; item 1: K = 1, across micro-batches.
const items: DispreferenceItem[] = [
  {
    samples: [
      { sequence: { batch: 0, row: 0 }, reference: -3.3 },
      { sequence: { batch: 0, row: 1 }, reference: -1.1 },
    ],
    negative: { sequence: { batch: 0, row: 2 }, reference: -4.0 },
  },
  {
    samples: [{ sequence: { batch: 1, row: 1 }, reference: -2.7 }],
    negative: { sequence: { batch: 0, row: 3 }, reference: -2.2 },
  },
];

describe('d2o', () => {
  test.each([
    [0.1, 0.1],
    [0.5, 0.2],
  ])('beta %s, alpha %s: weights = finite differences of the loss = closed form', (beta, alpha) => {
    const d2o = d2oObjective({ items, beta, alpha });
    const weights = d2o.tokenWeights64(batches, logProbs);
    const fd = finiteDifferenceWeights((lp) => d2o.loss(batches, lp), logProbs);
    expect(firstMismatch(weights, fd, FD_ABSOLUTE, FD_RELATIVE)).toBeNull();

    const z = d2oScores(batches, logProbs, items, beta, alpha);
    const closed = batches.map((b) => new Float64Array(b.batchSize * b.length));
    items.forEach((item, k) => {
      const s = sigmoid(-z[k]) / items.length;
      for (const sample of item.samples) {
        for (const i of responsePositions(batches[sample.sequence.batch], sample.sequence.row)) {
          closed[sample.sequence.batch][i] += (-beta * s) / item.samples.length;
        }
      }
      const n = item.negative.sequence;
      for (const i of responsePositions(batches[n.batch], n.row)) closed[n.batch][i] += alpha * s;
    });
    expect(firstMismatch(weights, closed, 1e-15, 1e-12)).toBeNull();
    // Row 1 of micro-batch 1 (item 1's sample) and rows 0-3 of micro-batch 0: 2+1+3+2+2 tokens.
    expect(countNonZero(weights)).toBe(10);
  });

  test("z is (beta/K) sum of the samples' log-ratios minus alpha times the negative's", () => {
    const lp = (batch: number, row: number) => sequenceLogProb(batches, logProbs, { batch, row });
    const z = d2oScores(batches, logProbs, items, 0.1, 0.3);
    expect(z[0]).toBeCloseTo((0.1 / 2) * (lp(0, 0) + 3.3 + lp(0, 1) + 1.1) - 0.3 * (lp(0, 2) + 4.0), 14);
  });

  test('hand value: a policy equal to the reference gives z = 0 and loss ln 2', () => {
    const referenceOf = (batch: number, row: number) => sequenceLogProb(batches, logProbs, { batch, row });
    const atReference = items.map((item) => ({
      samples: item.samples.map((s) => ({ ...s, reference: referenceOf(s.sequence.batch, s.sequence.row) })),
      negative: {
        ...item.negative,
        reference: referenceOf(item.negative.sequence.batch, item.negative.sequence.row),
      },
    }));
    const d2o = d2oObjective({ items: atReference, beta: 0.2, alpha: 0.4 });
    expect(d2o.loss(batches, logProbs)).toBeCloseTo(Math.LN2, 15);
    // sigmoid(0) = 1/2: item 1's single sample token weights are -0.2 * (1/2) / 2 = -0.05.
    const w = d2o.tokenWeights64(batches, logProbs);
    expect(w[1][responsePositions(batches[1], 1)[0]]).toBeCloseTo(-0.05, 15);
  });

  test('refuses beta or alpha <= 0, an empty set, an item without samples', () => {
    expect(() => d2oObjective({ items, beta: 0 })).toThrow(/d2o: beta must be in \(0, ∞\), got 0/);
    expect(() => d2oObjective({ items, alpha: -1 })).toThrow(/d2o: alpha must be in \(0, ∞\), got -1/);
    expect(() => d2oObjective({ items: [] })).toThrow(/dispreference set is empty/);
    const noSamples = [{ ...items[0], samples: [] }];
    expect(() => d2oObjective({ items: noSamples }).loss(batches, logProbs)).toThrow(/K must be at least 1/);
  });
});
