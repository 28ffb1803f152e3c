// The spec of contrastive search (formula and interpretations in ./contrastive-search.ts), run on
// the CPU reference model the way Hugging Face's _contrastive_search runs: the prompt's last-layer
// hidden states start the context; each step forks one sequence per top-k candidate, forwards the k
// candidates in one batch, scores them, keeps the winner's sequence, logits and hidden state.
import { maxCosineReference } from '../../kernels/cosine/reference';
import { rowStatsReference } from '../../kernels/logits/reference';
import type { ReferenceModel } from '../../model/reference/forward';
import { bestCandidate, contrastiveScore, type ContrastiveSearchConfig } from './config';

export interface ReferenceCandidate {
  id: number;
  probability: number;
  maxCosine: number;
  position: number | null;
  score: number;
}

export interface ReferenceToken {
  token: number;
  chosen: number;
  candidates: ReferenceCandidate[];
}

/** Scores of one step: candidates (ids, p) with their hidden states against the context. */
export function scoreCandidates(
  ids: readonly number[],
  probabilities: readonly number[],
  hidden: readonly ArrayLike<number>[],
  context: readonly ArrayLike<number>[],
  alpha: number,
): ReferenceToken {
  const cosines = maxCosineReference(hidden, context);
  const candidates = ids.map((id, i) => ({
    id,
    probability: probabilities[i],
    ...cosines[i],
    score: contrastiveScore(probabilities[i], cosines[i].maxCosine, alpha),
  }));
  const chosen = bestCandidate(candidates.map((c) => c.score));
  return { token: ids[chosen], chosen, candidates };
}

/** `steps` tokens of contrastive search after `prompt` on the CPU reference model. */
export function contrastiveSearchReference(
  model: ReferenceModel,
  prompt: readonly number[],
  steps: number,
  config: ContrastiveSearchConfig,
): ReferenceToken[] {
  const last = model.config.numLayers;
  let sequence = model.createSequence();
  const prefill = model.forward({
    sequences: [{ sequence, tokens: prompt }],
    logits: 'all',
    capture: { hiddenStates: true },
  });
  const context: Float32Array[] = [...prefill.hiddenStates![last]];
  let logits = prefill.logits[prompt.length - 1];
  const out: ReferenceToken[] = [];
  for (let step = 0; step < steps; step++) {
    const top = rowStatsReference(logits).top.slice(0, config.k);
    const forks = top.map((_, i) => (i === 0 ? sequence : model.fork(sequence)));
    const forward = model.forward({
      sequences: forks.map((s, i) => ({ sequence: s, tokens: [top[i].id] })),
      capture: { hiddenStates: true },
    });
    const hidden = forward.hiddenStates![last];
    const result = scoreCandidates(
      top.map((t) => t.id),
      top.map((t) => t.prob),
      hidden,
      context,
      config.alpha,
    );
    forks.forEach((s, i) => {
      if (i !== result.chosen) model.releaseSequence(s);
    });
    sequence = forks[result.chosen];
    context.push(hidden[result.chosen]);
    logits = forward.logits[result.chosen];
    out.push(result);
  }
  model.releaseSequence(sequence);
  return out;
}
