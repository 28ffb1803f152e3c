// The words shaders/speculative-verify.wgsl writes per trial, and their parser. This is all that
// is read back: 5 + 4K words per trial, never a vocabulary row.
//   0 status (0 ok), 1 accepted (the offending row when status != 0), 2 bonus, 3 candidate,
//   4 .. 4+K tokens (accepted + 1 used), then p bits [K], q bits [K], rho bits [K].
import { EmptyDistributionError, KernelInputError } from '../../gpu/errors';
import { bitsToFloat } from '../logits/layout';
import type { ResolvedShape, VerifyResult } from './params';

export const STATUS_OK = 0;
export const STATUS_EMPTY_TARGET = 1;
export const STATUS_EMPTY_DRAFT = 2;
export const STATUS_INVALID_TARGET = 3;
export const STATUS_INVALID_DRAFT = 4;
export const STATUS_SAMPLING_FAILED = 5;

export function resultWords(draftLength: number): number {
  return 5 + 4 * draftLength;
}

function statusError(status: number, row: number, trial: number): Error {
  switch (status) {
    case STATUS_EMPTY_TARGET:
      return new EmptyDistributionError([row], 'verify: target logits');
    case STATUS_EMPTY_DRAFT:
      return new EmptyDistributionError([row], 'verify: draft logits');
    case STATUS_INVALID_TARGET:
    case STATUS_INVALID_DRAFT:
      return new KernelInputError(
        `verify: ${status === STATUS_INVALID_TARGET ? 'target' : 'draft'} logits row ${row} holds NaN or ` +
          '+Infinity; the forward that produced it overflowed or read uninitialised memory',
      );
    default:
      return new Error(
        `verify: trial ${trial} found no token in its fixed-point inverse CDF (status ${status}, row ${row}); ` +
          'this is a kernel bug, please report it with the inputs',
      );
  }
}

/** Parses `shape.trials` results; throws the first trial's error (empty or invalid rows). */
export function parseResults(
  words: Uint32Array,
  shape: ResolvedShape,
  opts: { greedy: boolean; hasDraft: boolean },
): VerifyResult[] {
  const K = shape.draftLength;
  const stride = resultWords(K);
  const withRho = shape.candidates > 1 && opts.hasDraft && !opts.greedy;
  return Array.from({ length: shape.trials }, (_, t) => {
    const o = t * stride;
    const status = words[o];
    if (status !== STATUS_OK) throw statusError(status, words[o + 1], t);
    const accepted = words[o + 1];
    const visited = Math.min(accepted + 1, K);
    const float = (first: number) => Array.from({ length: visited }, (_, j) => bitsToFloat(words[first + j]));
    const result: VerifyResult = {
      accepted,
      tokens: Array.from(words.subarray(o + 4, o + 4 + accepted + 1)),
      bonus: words[o + 2] === 1,
      candidate: words[o + 3],
      p: float(o + 5 + K),
      q: float(o + 5 + 2 * K),
    };
    if (withRho) result.rho = float(o + 5 + 3 * K);
    return result;
  });
}
