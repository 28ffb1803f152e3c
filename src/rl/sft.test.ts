// SFT and DFT weights against finite differences of their losses and closed forms; SFT against the
// trainer's cross-entropy; the ASFT anchor's logits gradient against finite differences of its KL.
import { describe, expect, test } from 'vitest';
import { crossEntropyObjective } from '../training/objective';
import { anchorKl, anchorKlLogitGradient } from './asft';
import { ObjectiveInputError } from './errors';
import { dftLoss, dftObjective, sftObjective } from './sft';
import {
  FD_ABSOLUTE,
  FD_RELATIVE,
  batchOf,
  countNonZero,
  finiteDifferenceWeights,
  firstMismatch,
  randomLogProbs,
} from './testing';

// Row 0 predicts 3 response tokens, row 1 two, the second micro-batch one: N = 6.
const batches = [
  batchOf([
    { prompt: [1, 2], response: [3, 4, 5] },
    { prompt: [1], response: [6, 7] },
  ]),
  batchOf([{ prompt: [1, 2, 3], response: [4] }]),
];
const N = 6;
const logProbs = randomLogProbs(batches, 11);

describe('sft', () => {
  const sft = sftObjective();

  test('w_t = -1/N on response tokens, the finite-difference gradient of the loss', () => {
    const weights = sft.tokenWeights64(batches, null);
    expect(countNonZero(weights)).toBe(N);
    batches.forEach((b, i) => b.mask.forEach((m, t) => expect(weights[i][t]).toBe(m !== 0 ? -1 / N : 0)));
    const fd = finiteDifferenceWeights((lp) => sft.loss(batches, lp), logProbs);
    expect(firstMismatch(weights, fd, FD_ABSOLUTE, FD_RELATIVE)).toBeNull();
  });

  test('equals the trainer cross-entropy (weights and loss)', () => {
    const ce = crossEntropyObjective();
    const f32 = logProbs.map((l) => Float32Array.from(l));
    expect(sft.tokenWeights(batches, null)).toEqual(ce.tokenWeights(batches, null));
    expect(sft.loss(batches, f32)).toBe(ce.loss(batches, f32));
  });

  test('hand value: every response token at p = 1/2 gives ln 2', () => {
    const half = batches.map((b) => new Float64Array(b.batchSize * b.length).fill(Math.log(0.5)));
    expect(sft.loss(batches, half)).toBeCloseTo(Math.LN2, 15);
  });
});

describe('dft', () => {
  const dft = dftObjective();

  test('w_t = -p_t / N, the finite-difference gradient with sg(p) held at the current policy', () => {
    const weights = dft.tokenWeights64(batches, logProbs);
    const closed = batches.map((b, i) =>
      Float64Array.from(b.mask, (m, t) => (m !== 0 ? -Math.exp(logProbs[i][t]) / N : 0)),
    );
    expect(firstMismatch(weights, closed, 0, 1e-15)).toBeNull();
    const fd = finiteDifferenceWeights((lp) => dftLoss(batches, lp, logProbs), logProbs);
    expect(firstMismatch(weights, fd, FD_ABSOLUTE, FD_RELATIVE)).toBeNull();
    expect(countNonZero(weights)).toBe(N);
  });

  test('hand value: p = 1/2 everywhere gives -(1/2) ln(1/2) = ln(2)/2; the loss is the surrogate at anchor = logp', () => {
    const half = batches.map((b) => new Float64Array(b.batchSize * b.length).fill(Math.log(0.5)));
    expect(dft.loss(batches, half)).toBeCloseTo(Math.LN2 / 2, 15);
    expect(dft.loss(batches, logProbs)).toBe(dftLoss(batches, logProbs, logProbs));
  });

  test('refuses to run without log-probs, and a step without response tokens', () => {
    expect(() => dft.tokenWeights(batches, null)).toThrow(/needs the policy's log-probs/);
    const empty = batchOf([{ prompt: [1, 2], response: [] }]);
    empty.mask.fill(0);
    expect(() => dft.tokenWeights64([empty], [new Float64Array(empty.length)])).toThrow(ObjectiveInputError);
  });
});

describe('asft anchor (logits-level spec)', () => {
  test('hand value: KL(q || p) for p = (1/2, 1/2), q = (3/4, 1/4); 0 when the rows agree', () => {
    expect(anchorKl([0, 0], [Math.log(3), 0])).toBeCloseTo(0.75 * Math.log(1.5) + 0.25 * Math.log(0.5), 15);
    expect(anchorKl([0.3, -1, 2], [0.3, -1, 2])).toBe(0);
  });

  test('its logits gradient weight * (softmax(z) - softmax(z_ref)) is the finite difference of weight * KL', () => {
    const policy = [0.4, -1.3, 2.1, 0.05, -0.7];
    const reference = [1.1, 0.2, -0.5, 0.9, -2];
    const weight = 0.1 / 7;
    const gradient = anchorKlLogitGradient(policy, reference, weight);
    const fd = finiteDifferenceWeights(
      (z) => weight * anchorKl(z[0], reference),
      [Float64Array.from(policy)],
    );
    expect(firstMismatch([gradient], fd, FD_ABSOLUTE * weight, FD_RELATIVE)).toBeNull();
    expect(countNonZero([gradient], 1e-4)).toBe(5);
    expect(() => anchorKl([0, 1], [0, 1, 2])).toThrow(/same vocabulary/);
  });
});
