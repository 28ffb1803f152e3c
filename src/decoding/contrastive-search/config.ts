// Contrastive search's parameters (MethodConfig 'contrastive-search' without the method name), the
// defaults, validation and the score itself: plain data, no GPU (the CPU reference and the UI use it).
import { KernelInputError } from '../../gpu/errors';
import { TOP } from '../../kernels/logits/layout';

export interface ContrastiveSearchConfig {
  /** Candidates per step: the k most likely tokens. */
  k: number;
  /** Degeneration penalty weight in [0, 1]; 0 is greedy decoding. */
  alpha: number;
}

/** Su & Collier, "Contrastive Search Is What You Need For Neural Text Generation": k = 5, alpha = 0.6. */
export const CONTRASTIVE_SEARCH_DEFAULTS: ContrastiveSearchConfig = { k: 5, alpha: 0.6 };

/** The candidates come from the step summary's top list, which holds 10 tokens. */
export const MAX_CANDIDATES = TOP;

export function checkContrastiveSearchConfig(config: ContrastiveSearchConfig): void {
  if (!Number.isInteger(config.k) || config.k < 1 || config.k > MAX_CANDIDATES) {
    throw new KernelInputError(
      `contrastive search k must be an integer in 1..${MAX_CANDIDATES} (the paper uses 4..10, default 5), got ${config.k}`,
    );
  }
  if (!(config.alpha >= 0 && config.alpha <= 1)) {
    throw new KernelInputError(
      `contrastive search alpha must be in [0, 1] (default 0.6), got ${config.alpha}`,
    );
  }
}

/** (1 - alpha) p(v | x_<t) - alpha max_j cos(h_v, h_j) */
export function contrastiveScore(probability: number, maxCosine: number, alpha: number): number {
  return (1 - alpha) * probability - alpha * maxCosine;
}

/** Index of the best score; ties go to the lower index, i.e. the more likely candidate. */
export function bestCandidate(scores: readonly number[]): number {
  let best = 0;
  scores.forEach((score, i) => {
    if (score > scores[best]) best = i;
  });
  return best;
}
