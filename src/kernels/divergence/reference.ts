// The spec for the row-divergence kernels: plain f64 loops over one row of logits at a time.
//
//   logp_i   = l_i - max_j l_j - log sum_j e^(l_j - max)           (log-softmax)
//   H(P)     = -sum_i p_i log p_i
//   KL(P||Q) =  sum_i p_i (log p_i - log q_i)
//   JS(P,Q)  =  1/2 KL(P||M) + 1/2 KL(Q||M),  M = (P + Q)/2,  in [0, ln 2]
//   TV(P,Q)  =  1/2 sum_i |p_i - q_i|  =  1 - sum_i min(p_i, q_i),  in [0, 1]
//   argmax   =  the index of the largest logit, the lowest one among equal logits
// Natural logarithms throughout.
//
// Conventions (shared with shaders/divergence.wgsl):
// - a -Infinity logit is probability 0, and 0 log 0 = 0;
// - KL(P||Q) = +Infinity when some token has p > 0 and q = 0 (finite l_p, l_q = -Infinity);
// - NaN or +Infinity logits make the distribution undefined: KernelInputError;
// - a row with no finite logit has no distribution: EmptyDistributionError.
import { EmptyDistributionError, KernelInputError } from '../../gpu/errors';

export interface DivergenceValues {
  entropyP: number;
  entropyQ: number;
  /** KL(P||Q) */
  klPQ: number;
  /** KL(Q||P) */
  klQP: number;
  js: number;
  /** TV(P,Q) */
  totalVariation: number;
  argmaxP: number;
  argmaxQ: number;
  /** p(argmax Q): P's probability of Q's top token. */
  pOfArgmaxQ: number;
}

/** log-softmax of one row of logits ([vocab] -> [vocab], f64); -Infinity stays -Infinity. */
export function logSoftmax(row: ArrayLike<number>, rowIndex = 0): Float64Array {
  let nan = 0;
  let positiveInfinity = 0;
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) {
    const x = row[i];
    if (Number.isNaN(x)) nan++;
    else if (x === Infinity) positiveInfinity++;
    else if (x > max) max = x;
  }
  if (nan > 0 || positiveInfinity > 0) {
    const what = nan > 0 ? `${nan} NaN` : `${positiveInfinity} +Infinity`;
    throw new KernelInputError(
      `divergence reference: row ${rowIndex} contains ${what} logits; softmax is undefined. ` +
        'Fix the step that produced them (overflow, 0/0 or an uninitialised buffer).',
    );
  }
  if (max === -Infinity) throw new EmptyDistributionError([rowIndex], 'divergence reference');
  let sum = 0;
  for (let i = 0; i < row.length; i++) if (row[i] !== -Infinity) sum += Math.exp(row[i] - max);
  const logSum = Math.log(sum);
  const out = new Float64Array(row.length);
  for (let i = 0; i < row.length; i++) out[i] = row[i] === -Infinity ? -Infinity : row[i] - max - logSum;
  return out;
}

function sameLength(p: ArrayLike<number>, q: ArrayLike<number>): void {
  if (p.length !== q.length) {
    throw new KernelInputError(
      `divergence reference: P has ${p.length} logits but Q has ${q.length}; both rows must cover the same vocabulary.`,
    );
  }
}

function entropyOfLogProbs(logp: Float64Array): number {
  let h = 0;
  for (const lp of logp) if (lp !== -Infinity) h -= Math.exp(lp) * lp;
  return h;
}

function klOfLogProbs(logp: Float64Array, logq: Float64Array): number {
  let kl = 0;
  for (let i = 0; i < logp.length; i++) {
    if (logp[i] === -Infinity) continue;
    if (logq[i] === -Infinity) return Infinity;
    kl += Math.exp(logp[i]) * (logp[i] - logq[i]);
  }
  return kl;
}

function jsOfLogProbs(logp: Float64Array, logq: Float64Array): number {
  let js = 0;
  for (let i = 0; i < logp.length; i++) {
    const p = Math.exp(logp[i]);
    const q = Math.exp(logq[i]);
    const m = 0.5 * (p + q);
    if (p > 0) js += 0.5 * p * Math.log(p / m);
    if (q > 0) js += 0.5 * q * Math.log(q / m);
  }
  return js;
}

function totalVariationOfLogProbs(logp: Float64Array, logq: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < logp.length; i++) sum += Math.abs(Math.exp(logp[i]) - Math.exp(logq[i]));
  return 0.5 * sum;
}

/** Index of the largest entry, the lowest among ties; -1 when no entry is above -Infinity (NaN never wins). */
export function argmax(row: ArrayLike<number>): number {
  let best = -1;
  for (let i = 0; i < row.length; i++) if (best < 0 ? row[i] > -Infinity : row[i] > row[best]) best = i;
  return best;
}

/** H(P) of a row of logits, nats. */
export function entropy(logits: ArrayLike<number>): number {
  return entropyOfLogProbs(logSoftmax(logits));
}

/** KL(P||Q) between two rows of logits, nats; +Infinity on support mismatch. Errors name P row 0, Q row 1. */
export function kl(pLogits: ArrayLike<number>, qLogits: ArrayLike<number>): number {
  sameLength(pLogits, qLogits);
  return klOfLogProbs(logSoftmax(pLogits), logSoftmax(qLogits, 1));
}

/** Jensen-Shannon divergence between two rows of logits, nats, in [0, ln 2]. Errors name P row 0, Q row 1. */
export function jsDivergence(pLogits: ArrayLike<number>, qLogits: ArrayLike<number>): number {
  sameLength(pLogits, qLogits);
  return jsOfLogProbs(logSoftmax(pLogits), logSoftmax(qLogits, 1));
}

/** Total variation distance between two rows of logits, in [0, 1]. Errors name P row 0, Q row 1. */
export function totalVariation(pLogits: ArrayLike<number>, qLogits: ArrayLike<number>): number {
  sameLength(pLogits, qLogits);
  return totalVariationOfLogProbs(logSoftmax(pLogits), logSoftmax(qLogits, 1));
}

/** Every quantity for one pair of rows (the GPU kernel's output per pair). */
export function rowDivergence(
  pLogits: ArrayLike<number>,
  qLogits: ArrayLike<number>,
  pRow = 0,
  qRow = 0,
): DivergenceValues {
  sameLength(pLogits, qLogits);
  const logp = logSoftmax(pLogits, pRow);
  const logq = logSoftmax(qLogits, qRow);
  return {
    entropyP: entropyOfLogProbs(logp),
    entropyQ: entropyOfLogProbs(logq),
    klPQ: klOfLogProbs(logp, logq),
    klQP: klOfLogProbs(logq, logp),
    js: jsOfLogProbs(logp, logq),
    totalVariation: totalVariationOfLogProbs(logp, logq),
    argmaxP: argmax(pLogits),
    argmaxQ: argmax(qLogits),
    pOfArgmaxQ: Math.exp(logp[argmax(qLogits)]),
  };
}

/** Row `row` of a row-major [rows, vocab] array, without copying. */
export function rowOf(data: Float32Array, row: number, vocab: number): Float32Array {
  return data.subarray(row * vocab, (row + 1) * vocab);
}
