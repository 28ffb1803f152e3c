// Critic as policy: "LLaVA-Critic-R1: Your Critic Model is Secretly a Strong Policy Model" (2025).
// Preference pairs are recast as a verifiable task (which of two captions is right: ./tasks.ts,
// kind 'critic'), and the model is trained on it with GRPO (./grpo.ts): the reward is 1 when the
// verdict names the correct caption, so the objective is GRPO itself under another name.
// Interpretation: the paper also rewards the reasoning format; our answers are one word, so there is
// no format term.
//
// Self-critique at test time: sample N candidate responses, score each with the model's own verdict
// (e.g. the log-prob it gives to "yes" when asked whether the candidate is right, or the number of
// pairwise comparisons a candidate wins), and keep the best:
//   best = argmax_n score_n,  ties to the lowest n (deterministic).
// selfCritiqueBestOfN is that choice as a pure function over scores computed beforehand.
import { ObjectiveInputError } from './errors';
import { grpoObjective, type GrpoOptions } from './grpo';
import type { RlObjective } from './objective';

export function criticObjective(options: GrpoOptions): RlObjective {
  return { ...grpoObjective(options), name: 'critic-as-policy (grpo)' };
}

export interface BestOfN<T> {
  index: number;
  candidate: T;
  score: number;
  /** Candidate indices from best to worst (stable: equal scores keep their order). */
  ranking: number[];
}

export function selfCritiqueBestOfN<T>(candidates: readonly T[], scores: readonly number[]): BestOfN<T> {
  if (candidates.length === 0) {
    throw new ObjectiveInputError('self-critique: no candidates; sample N >= 1 responses first');
  }
  if (scores.length !== candidates.length) {
    throw new ObjectiveInputError(
      `self-critique: ${scores.length} verdict scores for ${candidates.length} candidates; score every candidate once`,
    );
  }
  const bad = scores.findIndex((s) => Number.isNaN(s) || s === Infinity);
  if (bad >= 0) {
    throw new ObjectiveInputError(
      `self-critique: candidate ${bad} has verdict score ${scores[bad]}; scores must be numbers below +Infinity (-Infinity means "never")`,
    );
  }
  const ranking = candidates.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const index = ranking[0];
  return { index, candidate: candidates[index], score: scores[index], ranking };
}
