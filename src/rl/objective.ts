// Shared machinery of the objectives in src/rl over the trainer's per-token seam
// (src/training/types.ts): Loss = sum_t w_t logp_t, w_t = dLoss/dlogp_t for every token of every
// micro-batch. Each objective computes its weights and its loss in float64 (tokenWeights64, loss
// over any array of numbers) and rounds the weights to float32 only for the trainer, so tests can
// compare the weights with central finite differences of the loss in float64.
//
// A sequence is addressed by its micro-batch and row: { batch: i, row: b } is tokens
// [b * T, (b + 1) * T) of batches[i]. Its response is the positions with mask != 0 (position t
// carries logp of targets[t], the token t predicts), and its log-probability is the sum over them:
//   log pi(y | x) = sum_{t: mask_t != 0} logp_t.
import type { Objective, TokenBatch } from '../training/types';
import { ObjectiveInputError } from './errors';

/** Log-probs of one micro-batch's tokens [B * T]: Float32Array from the trainer, float64 in tests. */
export type LogProbs = ArrayLike<number>;

export interface SequenceIndex {
  /** Index of the micro-batch in the step's list. */
  batch: number;
  /** Row (sequence) inside that micro-batch. */
  row: number;
}

export interface RlObjective extends Objective {
  /** The weights in float64; tokenWeights is this rounded to float32. */
  tokenWeights64(batches: readonly TokenBatch[], logProbs: readonly LogProbs[] | null): Float64Array[];
  loss(batches: readonly TokenBatch[], logProbs: readonly LogProbs[]): number;
}

export function makeObjective(
  name: string,
  needsLogProbs: boolean,
  tokenWeights64: RlObjective['tokenWeights64'],
  loss: RlObjective['loss'],
): RlObjective {
  return {
    name,
    needsLogProbs,
    tokenWeights64,
    tokenWeights: (batches, logProbs) => tokenWeights64(batches, logProbs).map((w) => Float32Array.from(w)),
    loss,
  };
}

/** The log-probs an objective that depends on the policy was given, or a clear refusal. */
export function requireLogProbs(
  objective: string,
  batches: readonly TokenBatch[],
  logProbs: readonly LogProbs[] | null,
  what = "the policy's log-probs",
): readonly LogProbs[] {
  if (logProbs === null) {
    throw new ObjectiveInputError(`${objective}: needs ${what} (the trainer's forward-only pass); got null`);
  }
  checkAligned(objective, batches, logProbs, what);
  return logProbs;
}

/** Throws unless there is one [B * T] array per micro-batch. */
export function checkAligned(
  objective: string,
  batches: readonly TokenBatch[],
  arrays: readonly LogProbs[],
  what: string,
): void {
  if (arrays.length !== batches.length) {
    throw new ObjectiveInputError(
      `${objective}: ${what} has ${arrays.length} arrays for ${batches.length} micro-batches`,
    );
  }
  batches.forEach((b, i) => {
    if (arrays[i].length !== b.batchSize * b.length) {
      throw new ObjectiveInputError(
        `${objective}: ${what}[${i}] has ${arrays[i].length} values, micro-batch ${i} has ${b.batchSize} x ${b.length} tokens`,
      );
    }
  });
}

/** Throws unless the sequence exists and has at least one token with mask != 0. */
export function checkSequence(
  objective: string,
  batches: readonly TokenBatch[],
  s: SequenceIndex,
  what: string,
): void {
  const batch = batches[s.batch];
  if (!Number.isInteger(s.batch) || batch === undefined) {
    throw new ObjectiveInputError(
      `${objective}: ${what} names micro-batch ${s.batch}, the step has ${batches.length}`,
    );
  }
  if (!Number.isInteger(s.row) || s.row < 0 || s.row >= batch.batchSize) {
    throw new ObjectiveInputError(
      `${objective}: ${what} names row ${s.row} of micro-batch ${s.batch}, which has ${batch.batchSize} rows`,
    );
  }
  if (responseLength(batch, s.row) === 0) {
    throw new ObjectiveInputError(
      `${objective}: ${what} (micro-batch ${s.batch}, row ${s.row}) has no token with mask 1: no response to score`,
    );
  }
}

/** Positions of row `row` whose mask is not 0, in order (indices into the [B * T] arrays). */
export function responsePositions(batch: TokenBatch, row: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < batch.length; t++) {
    const i = row * batch.length + t;
    if (batch.mask[i] !== 0) out.push(i);
  }
  return out;
}

export function responseLength(batch: TokenBatch, row: number): number {
  return responsePositions(batch, row).length;
}

/** log pi(y | x): the sum of logp over the response positions of the sequence. */
export function sequenceLogProb(
  batches: readonly TokenBatch[],
  logProbs: readonly LogProbs[],
  s: SequenceIndex,
): number {
  let sum = 0;
  for (const i of responsePositions(batches[s.batch], s.row)) sum += logProbs[s.batch][i];
  return sum;
}

/** log pi(y | x) of every row of one micro-batch (e.g. a frozen reference model's, before training). */
export function sequenceLogProbs(batch: TokenBatch, logProbs: LogProbs): Float64Array {
  const out = new Float64Array(batch.batchSize);
  for (let row = 0; row < batch.batchSize; row++) {
    for (const i of responsePositions(batch, row)) out[row] += logProbs[i];
  }
  return out;
}

/** Adds `value` to the weight of every response position of the sequence. */
export function addToSequence(
  weights: Float64Array[],
  batches: readonly TokenBatch[],
  s: SequenceIndex,
  value: number,
): void {
  for (const i of responsePositions(batches[s.batch], s.row)) weights[s.batch][i] += value;
}

export function zeroWeights(batches: readonly TokenBatch[]): Float64Array[] {
  return batches.map((b) => new Float64Array(b.batchSize * b.length));
}

/** -log sigmoid(x) = log(1 + e^-x), without overflow for large |x|. */
export function negativeLogSigmoid(x: number): number {
  return x >= 0 ? Math.log1p(Math.exp(-x)) : -x + Math.log1p(Math.exp(x));
}

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
