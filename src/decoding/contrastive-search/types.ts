// What a contrastive-search step returns, the part of a LanguageModel it uses (the lane runner's
// StepModel in phase 2 has exactly these: fork, truncate, forward, release) and the checks of the
// forwards it reads.
import { KernelInputError } from '../../gpu/errors';
import type { MaxCosine } from '../../kernels/cosine/reference';
import type { RowSummary } from '../../kernels/logits/layout';
import type { ForwardResult, LanguageModel, SequenceId } from '../../model/interface';

export type CandidateModel = Pick<LanguageModel, 'fork' | 'truncate' | 'forward' | 'releaseSequence'>;

export interface Candidate extends MaxCosine {
  id: number;
  /** p(v | x_<t) */
  probability: number;
  /** (1 - alpha) p - alpha maxCosine */
  score: number;
}

export interface ContrastiveStepResult {
  token: number;
  probability: number;
  /** Index of the winner among `candidates` (0 = the most probable). */
  chosen: number;
  candidates: Candidate[];
  /** Summary of p(. | x_<t), the distribution the candidates came from. */
  distribution: RowSummary;
  /** The lane's sequence from now on (the winner's candidate sequence). */
  sequence: SequenceId;
  /** Bytes mapped back for this token. */
  readbackBytes: number;
  /** For TokenRecord.extra. */
  extra: Record<string, number>;
}

/** The extra numbers a trace keeps for one contrastive-search token. */
export function stepExtra(candidates: readonly Candidate[], chosen: number): Record<string, number> {
  const winner = candidates[chosen];
  return {
    candidates: candidates.length,
    chosenRank: chosen + 1,
    score: winner.score,
    degenerationPenalty: winner.maxCosine,
    ...(winner.position === null ? {} : { mostSimilarPosition: winner.position }),
  };
}

/** The prompt forward must return hidden states and rows for positions 0 .. promptRows - 1. */
export function checkPromptRows(forward: ForwardResult, firstRow: number, promptRows: number): GPUBuffer {
  if (!forward.hiddenStates) {
    throw new KernelInputError('contrastive search: the prompt forward needs capture { hiddenStates: true }');
  }
  const rows = forward.rows.slice(firstRow, firstRow + promptRows);
  if (promptRows < 1 || rows.length !== promptRows || rows.some((r, i) => r.position !== i)) {
    throw new KernelInputError(
      `contrastive search: rows ${firstRow}..${firstRow + promptRows - 1} must hold positions ` +
        `0..${promptRows - 1} of the prompt (run its forward with logits: 'all')`,
    );
  }
  return forward.hiddenStates;
}

/** The candidate forward must hold the candidate sequences in order, with hidden states. */
export function checkCandidateRows(
  forward: ForwardResult,
  firstRow: number,
  sequences: readonly SequenceId[],
): GPUBuffer {
  const k = sequences.length;
  const rows = forward.rows.slice(firstRow, firstRow + k);
  if (!forward.hiddenStates || rows.length !== k || rows.some((r, i) => r.sequence !== sequences[i])) {
    throw new KernelInputError(
      `contrastive search: rows ${firstRow}..${firstRow + k - 1} of the forward must be the ${k} candidate ` +
        'sequences from prepare(), in order, with capture { hiddenStates: true }',
    );
  }
  return forward.hiddenStates;
}
