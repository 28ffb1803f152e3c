// D2O: Duan, Yi, Zhang, Lu, Xie, Gu, "Negating Negatives: Alignment without Human Positive Samples
// via Distributional Dispreference Optimization" (2024). Chosen over SparsePO for this seam: D2O's
// loss is a function of sequence log-probs only, while SparsePO's token masks come from the
// reference model's activations or from a learned mask network, neither of which the per-token
// seam carries.
//
// Only negatives are labelled. For each negative y_l of a prompt, K responses y_1..y_K sampled from
// the reference model stand in for the "preferred distribution":
//   z = (beta/K) sum_i [log pi(y_i) - log ref-(y_i)] - alpha [log pi(y_l) - log ref+(y_l)]
//   L = (1/M) sum_items -log sigmoid(z)
// so with s = sigmoid(-z) / M: each response token of a sample y_i gets w_t = -beta s / K, each one
// of the negative gets w_t = +alpha s. The paper allows two reference models (ref- for the samples,
// ref+ for the negative); here each sequence carries the reference log-prob the caller computed,
// so one frozen model or two both fit. Defaults: beta = alpha = 0.1 (interpretation: the abstract
// gives no values; 0.1 is DPO's customary beta).
import type { TokenBatch } from '../training/types';
import { ObjectiveInputError, requirePositive } from './errors';
import {
  addToSequence,
  checkSequence,
  makeObjective,
  negativeLogSigmoid,
  requireLogProbs,
  sequenceLogProb,
  sigmoid,
  zeroWeights,
  type LogProbs,
  type RlObjective,
  type SequenceIndex,
} from './objective';

export const D2O_BETA = 0.1;
export const D2O_ALPHA = 0.1;

export interface ScoredSequence {
  sequence: SequenceIndex;
  /** log ref(y | x) of this response under its reference model. */
  reference: number;
}

export interface DispreferenceItem {
  /** K >= 1 responses sampled from the reference model for the prompt. */
  samples: readonly ScoredSequence[];
  negative: ScoredSequence;
}

export interface D2oOptions {
  items: readonly DispreferenceItem[];
  beta?: number;
  alpha?: number;
}

function checkItems(name: string, batches: readonly TokenBatch[], items: readonly DispreferenceItem[]): void {
  items.forEach((item, k) => {
    if (item.samples.length === 0) {
      throw new ObjectiveInputError(`${name}: item ${k} has no self-generated sample (K must be at least 1)`);
    }
    for (const [j, s] of [...item.samples, item.negative].entries()) {
      const what = j < item.samples.length ? `item ${k}'s sample ${j}` : `item ${k}'s negative`;
      checkSequence(name, batches, s.sequence, what);
      if (!Number.isFinite(s.reference)) {
        throw new ObjectiveInputError(
          `${name}: ${what} has reference log-prob ${s.reference}; it must be finite`,
        );
      }
    }
  });
}

/** z of every item (the quantity inside the sigmoid). */
export function d2oScores(
  batches: readonly TokenBatch[],
  logProbs: readonly LogProbs[],
  items: readonly DispreferenceItem[],
  beta: number,
  alpha: number,
): Float64Array {
  const ratio = (s: ScoredSequence) => sequenceLogProb(batches, logProbs, s.sequence) - s.reference;
  return Float64Array.from(items, (item) => {
    let samples = 0;
    for (const s of item.samples) samples += ratio(s);
    return (beta / item.samples.length) * samples - alpha * ratio(item.negative);
  });
}

export function d2oObjective(options: D2oOptions): RlObjective {
  const beta = options.beta ?? D2O_BETA;
  const alpha = options.alpha ?? D2O_ALPHA;
  const { items } = options;
  requirePositive('d2o', 'beta', beta, 'try 0.1');
  requirePositive('d2o', 'alpha', alpha, 'try 0.1');
  const name = `d2o (beta ${beta}, alpha ${alpha})`;
  if (items.length === 0) {
    throw new ObjectiveInputError(
      `${name}: the dispreference set is empty; give at least one negative with its samples`,
    );
  }
  return makeObjective(
    name,
    true,
    (batches, logProbs) => {
      const lp = requireLogProbs(name, batches, logProbs);
      checkItems(name, batches, items);
      const z = d2oScores(batches, lp, items, beta, alpha);
      const weights = zeroWeights(batches);
      items.forEach((item, k) => {
        const s = sigmoid(-z[k]) / items.length;
        for (const sample of item.samples)
          addToSequence(weights, batches, sample.sequence, (-beta * s) / item.samples.length);
        addToSequence(weights, batches, item.negative.sequence, alpha * s);
      });
      return weights;
    },
    (batches, logProbs) => {
      checkItems(name, batches, items);
      let sum = 0;
      for (const z of d2oScores(batches, logProbs, items, beta, alpha)) sum += negativeLogSigmoid(z);
      return sum / items.length;
    },
  );
}
