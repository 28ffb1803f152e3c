// DPO: Rafailov, Sharma, Mitchell, Ermon, Manning, Finn, "Direct Preference Optimization: Your
// Language Model is Secretly a Reward Model" (NeurIPS 2023).
//
// Pairs (y_w chosen, y_l rejected) of sequences in the step's micro-batches, with the log-probs of
// each response under a frozen reference model computed beforehand (sums over the response mask,
// ./objective.ts sequenceLogProbs). The margin and the loss, averaged over the P pairs:
//   m = [log pi(y_w) - log ref(y_w)] - [log pi(y_l) - log ref(y_l)]
//   L = (1/P) sum_pairs -log sigmoid(beta m)
// dL/dm = -beta sigmoid(-beta m), and m is a sum of token log-probs, so every response token of the
// chosen sequence gets w_t = -beta sigmoid(-beta m) / P and every one of the rejected sequence gets
// +beta sigmoid(-beta m) / P. Default beta = 0.1 (the paper's usual value; it also tries 0.5).
// A sequence in several pairs accumulates the weights of each.
//
// pairwiseObjective is the shared form L = (1/P) sum f(m) used by robust DPO (./robust-dpo.ts).
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

export const DPO_BETA = 0.1;

export interface PreferencePairIndex {
  chosen: SequenceIndex;
  rejected: SequenceIndex;
  /** log ref(y_w | x) and log ref(y_l | x): the frozen reference model's sums over each response. */
  referenceChosen: number;
  referenceRejected: number;
}

export interface DpoOptions {
  pairs: readonly PreferencePairIndex[];
  beta?: number;
}

/** f(m) and f'(m) of one pair's loss as a function of its margin. */
export type MarginLoss = (margin: number) => { value: number; slope: number };

/** The preference margin m of every pair (also what the workbench charts as "preference margin"). */
export function preferenceMargins(
  batches: readonly TokenBatch[],
  logProbs: readonly LogProbs[],
  pairs: readonly PreferencePairIndex[],
): Float64Array {
  return Float64Array.from(
    pairs,
    (p) =>
      sequenceLogProb(batches, logProbs, p.chosen) -
      p.referenceChosen -
      (sequenceLogProb(batches, logProbs, p.rejected) - p.referenceRejected),
  );
}

function checkPairs(
  name: string,
  batches: readonly TokenBatch[],
  pairs: readonly PreferencePairIndex[],
): void {
  if (pairs.length === 0) {
    throw new ObjectiveInputError(
      `${name}: the preference set is empty; give at least one (chosen, rejected) pair`,
    );
  }
  pairs.forEach((p, k) => {
    checkSequence(name, batches, p.chosen, `pair ${k}'s chosen sequence`);
    checkSequence(name, batches, p.rejected, `pair ${k}'s rejected sequence`);
    if (p.chosen.batch === p.rejected.batch && p.chosen.row === p.rejected.row) {
      throw new ObjectiveInputError(`${name}: pair ${k} uses the same sequence as chosen and rejected`);
    }
    if (!Number.isFinite(p.referenceChosen) || !Number.isFinite(p.referenceRejected)) {
      throw new ObjectiveInputError(
        `${name}: pair ${k} has a non-finite reference log-prob (${p.referenceChosen}, ${p.referenceRejected}); compute them with the frozen reference model`,
      );
    }
  });
}

/** L = (1/P) sum_pairs f(m_pair), with w = f'(m)/P on chosen tokens and -f'(m)/P on rejected ones. */
export function pairwiseObjective(
  name: string,
  pairs: readonly PreferencePairIndex[],
  marginLoss: MarginLoss,
): RlObjective {
  if (pairs.length === 0) {
    throw new ObjectiveInputError(
      `${name}: the preference set is empty; give at least one (chosen, rejected) pair`,
    );
  }
  return makeObjective(
    name,
    true,
    (batches, logProbs) => {
      const lp = requireLogProbs(name, batches, logProbs);
      checkPairs(name, batches, pairs);
      const margins = preferenceMargins(batches, lp, pairs);
      const weights = zeroWeights(batches);
      pairs.forEach((p, k) => {
        const slope = marginLoss(margins[k]).slope / pairs.length;
        addToSequence(weights, batches, p.chosen, slope);
        addToSequence(weights, batches, p.rejected, -slope);
      });
      return weights;
    },
    (batches, logProbs) => {
      checkPairs(name, batches, pairs);
      const margins = preferenceMargins(batches, logProbs, pairs);
      let sum = 0;
      for (const m of margins) sum += marginLoss(m).value;
      return sum / pairs.length;
    },
  );
}

/** -log sigmoid(beta m) and its derivative -beta sigmoid(-beta m). */
export function dpoMarginLoss(beta: number): MarginLoss {
  return (m) => ({ value: negativeLogSigmoid(beta * m), slope: -beta * sigmoid(-beta * m) });
}

export function dpoObjective(options: DpoOptions): RlObjective {
  const beta = options.beta ?? DPO_BETA;
  requirePositive('dpo', 'beta', beta, 'the paper uses 0.1 to 0.5');
  return pairwiseObjective(`dpo (beta ${beta})`, options.pairs, dpoMarginLoss(beta));
}
