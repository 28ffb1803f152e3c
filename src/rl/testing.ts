// Test helpers for the objectives: hand-built micro-batches, seeded log-probs, and the independent
// check of every objective's weights, a central finite difference of its loss in float64,
//   w_t ≈ [L(logp + h e_t) - L(logp - h e_t)] / (2h),   h = 1e-6,
// over every position (masked ones included, where it must be 0). The truncation error is
// O(h^2 L''') ≈ 1e-12 and the rounding error about 1e-16 |L| / h ≈ 1e-10, hence the tolerance
// |fd - w| <= 1e-7 + 1e-6 |w| the tests use.
import { seededRandom } from '../testing/logits';
import type { TokenBatch } from '../training/types';
import { preferenceMargins, type PreferencePairIndex } from './dpo';
import { responsePositions, type LogProbs } from './objective';

export const FD_STEP = 1e-6;
export const FD_ABSOLUTE = 1e-7;
export const FD_RELATIVE = 1e-6;

/**
 * One micro-batch from rows of [prompt tokens, response tokens]: tokens = prompt + response, the
 * positions that predict the response have mask 1, padding at the end has mask 0 (ids 0).
 */
export function batchOf(
  rows: readonly { prompt: readonly number[]; response: readonly number[] }[],
): TokenBatch {
  const length = Math.max(...rows.map((r) => r.prompt.length + r.response.length)) - 1;
  const B = rows.length;
  const tokens = new Uint32Array(B * length);
  const targets = new Uint32Array(B * length);
  const mask = new Float32Array(B * length);
  rows.forEach((r, b) => {
    const all = [...r.prompt, ...r.response];
    for (let t = 0; t < all.length - 1; t++) {
      tokens[b * length + t] = all[t];
      targets[b * length + t] = all[t + 1];
      mask[b * length + t] = t >= r.prompt.length - 1 ? 1 : 0;
    }
  });
  return { batchSize: B, length, tokens, targets, mask };
}

/** Log-probs in [-3, -0.05] for every position of every micro-batch, from a seed. */
export function randomLogProbs(batches: readonly TokenBatch[], seed: number): Float64Array[] {
  const random = seededRandom(seed);
  return batches.map((b) =>
    Float64Array.from({ length: b.batchSize * b.length }, () => -0.05 - 2.95 * random()),
  );
}

/** dL/dlogp_t by central differences at every position. */
export function finiteDifferenceWeights(
  loss: (logProbs: readonly LogProbs[]) => number,
  logProbs: readonly Float64Array[],
  step = FD_STEP,
): Float64Array[] {
  const work = logProbs.map((l) => Float64Array.from(l));
  return work.map((array) =>
    array.map((value, t) => {
      array[t] = value + step;
      const up = loss(work);
      array[t] = value - step;
      const down = loss(work);
      array[t] = value;
      return (up - down) / (2 * step);
    }),
  );
}

/**
 * The first entry where |actual - expected| > atol + rtol |expected|, or null when all agree
 * (as llm.c's checker: the report names the place and both values).
 */
export function firstMismatch(
  actual: readonly ArrayLike<number>[],
  expected: readonly ArrayLike<number>[],
  atol: number,
  rtol: number,
): string | null {
  if (actual.length !== expected.length) return `${actual.length} arrays, expected ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i].length !== expected[i].length)
      return `array ${i}: length ${actual[i].length}, expected ${expected[i].length}`;
    for (let t = 0; t < actual[i].length; t++) {
      const a = actual[i][t];
      const e = expected[i][t];
      if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) return `[${i}][${t}]: ${a} vs ${e}`;
    }
  }
  return null;
}

/** Entries whose absolute value exceeds `threshold` (to show a weight array is not trivially 0). */
export function countNonZero(arrays: readonly ArrayLike<number>[], threshold = 0): number {
  let n = 0;
  for (const a of arrays) for (let t = 0; t < a.length; t++) if (Math.abs(a[t]) > threshold) n++;
  return n;
}

// --- Preference-pair fixtures (DPO and robust DPO tests) ---------------------------------------

export const pairBatches = [
  batchOf([
    { prompt: [1, 2], response: [3, 4, 5] },
    { prompt: [1, 2], response: [6, 7] },
    { prompt: [1, 8], response: [9] },
  ]),
  batchOf([
    { prompt: [1, 8, 2], response: [3, 3] },
    { prompt: [1, 4], response: [5, 6, 7, 8] },
  ]),
];

/** Three pairs: one inside a micro-batch, one across micro-batches, one reusing a rejected sequence. */
export const pairs: PreferencePairIndex[] = [
  {
    chosen: { batch: 0, row: 0 },
    rejected: { batch: 0, row: 1 },
    referenceChosen: -4.2,
    referenceRejected: -3.1,
  },
  {
    chosen: { batch: 1, row: 0 },
    rejected: { batch: 0, row: 2 },
    referenceChosen: -2.5,
    referenceRejected: -1.9,
  },
  {
    chosen: { batch: 1, row: 1 },
    rejected: { batch: 0, row: 1 },
    referenceChosen: -6.0,
    referenceRejected: -2.2,
  },
];

export const pairLogProbs = randomLogProbs(pairBatches, 5);

/** The closed form of a pairwise objective, token by token, from d(pair loss)/d(margin). */
export function closedFormWeights(slopeOfMargin: (m: number) => number): Float64Array[] {
  const weights = pairBatches.map((b) => new Float64Array(b.batchSize * b.length));
  const margins = preferenceMargins(pairBatches, pairLogProbs, pairs);
  pairs.forEach((p, k) => {
    const slope = slopeOfMargin(margins[k]) / pairs.length;
    for (const i of responsePositions(pairBatches[p.chosen.batch], p.chosen.row))
      weights[p.chosen.batch][i] += slope;
    for (const i of responsePositions(pairBatches[p.rejected.batch], p.rejected.row))
      weights[p.rejected.batch][i] -= slope;
  });
  return weights;
}
