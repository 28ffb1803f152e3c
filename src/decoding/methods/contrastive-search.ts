// Contrastive search (Su et al., "A Contrastive Framework for Neural Text Generation", NeurIPS 2022;
// Su & Collier, "Contrastive Search Is What You Need For Neural Text Generation", TMLR 2023):
//
//   x_t = argmax_{v in V(k)} (1 - alpha) p(v | x_<t) - alpha max_{j < t} cos(h_v, h_{x_j})
//
// The step itself is ContrastiveSearch (src/decoding/contrastive-search/, formula and
// interpretations in its header); this module wires it into the lane runner as a stepper that owns
// its sequences (LaneStepper.ownsSequences): at step 0, in the decide phase, it forks the shared
// prompt prefill and runs the prompt again with logits 'all' and hidden states (the context of the
// degeneration penalty holds every prompt position, as in Hugging Face), then every token is one
// batched forward of the k candidates on forks of the lane's sequence; the winner's fork holds the
// chosen token and the next step's logits, so the lane is left out of the shared forwards after
// step 0. Forwards per lane: the shared prefill + its own prompt forward + 1 per token.
// Deterministic: the lane's sampling settings do not apply (the paper's method has no draw).
// Record: one component, the model's distribution p(. | x_<t) the candidates came from; combined:
// p restricted to V(k) and renormalised (what the decision was made over; plausibleCount = k);
// extra: ContrastiveSearch's numbers (the winner's score and penalty, its rank) and each candidate
// as cand<i> = "id:p:maxCos:score" (i = 1 the most probable). Readback: 128 bytes once (the prompt's
// summary) and k x 136 bytes per token (the candidates' cosines and summaries); no inspection pass
// is needed, every number comes from that readback.
import { SUMMARY_WORDS } from '../../kernels/logits/layout';
import type { DistributionSummary } from '../../share/trace';
import {
  checkContrastiveSearchConfig,
  ContrastiveSearch,
  type ContrastiveStepResult,
} from '../contrastive-search';
import type { DecodingMethod, StepDecision, StepModel } from './types';

const fixed = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));

/** The inspector's record of one contrastive-search token. */
export function contrastiveRecord(label: string, result: ContrastiveStepResult): StepDecision['record'] {
  const { candidates, distribution } = result;
  const winner = candidates[result.chosen];
  // Candidates are the top-k of p (most probable first); ties share the best rank (as token-rank).
  const rank = 1 + candidates.filter((c) => c.probability > winner.probability).length;
  const mass = candidates.reduce((sum, c) => sum + c.probability, 0);
  const restricted = candidates.map((c) => c.probability / mass);
  const base: DistributionSummary = {
    label,
    top: distribution.top.map((entry) => [entry.id, entry.prob]),
    entropy: distribution.entropy,
    chosenProbability: winner.probability,
    chosenRank: rank,
  };
  const combined: DistributionSummary = {
    label: `top-${candidates.length} candidates`,
    top: candidates.map((c, i) => [c.id, restricted[i]]),
    entropy: -restricted.reduce((sum, q) => (q > 0 ? sum + q * Math.log(q) : sum), 0),
    chosenProbability: restricted[result.chosen],
    chosenRank: rank,
  };
  const extra: Record<string, number | string> = { ...result.extra };
  candidates.forEach((c, i) => {
    extra[`cand${i + 1}`] = `${c.id}:${fixed(c.probability)}:${fixed(c.maxCosine)}:${fixed(c.score)}`;
  });
  return {
    components: [base],
    combined,
    plausibleCount: candidates.length,
    divergences: [],
    changedByMethod: result.token !== distribution.argmax,
    extra,
  };
}

export const contrastiveSearch: DecodingMethod<'contrastive-search'> = {
  name: 'contrastive-search',
  components: (config, context) => {
    checkContrastiveSearchConfig(config);
    return [
      { label: 'model', model: 'main', prompt: context.prompt, image: context.image, distortion: null },
    ];
  },
  combination: () => ({ weights: [1], beta: 0 }),
  async createStepper({ k, alpha }, setup) {
    const base = setup.components[0];
    const shape = { vocab: setup.vocab, hiddenSize: setup.hiddenSize, numLayers: setup.numLayers };
    const search = await ContrastiveSearch.create(setup.gpu, shape, { k, alpha }, base.ids.length + 64);
    // The model the lane's sequence lives in (released with it in dispose()).
    let owner: StepModel | null = null;
    return {
      ownsSequences: true,
      async observe() {
        // Nothing to read from the shared forward: the prompt is forwarded again in phase 2.
        return {
          async decide({ models, sequences, countReadback }) {
            if (owner === null) {
              const source = sequences[0];
              if (source === undefined)
                throw new Error('contrastive search: no prompt sequence to start from');
              owner = models.main;
              await search.prefill(models.main, source, base.ids, base.image ?? undefined);
              countReadback(SUMMARY_WORDS * 4);
            }
            const result = await search.step(models.main);
            countReadback(result.readbackBytes);
            return { token: result.token, record: contrastiveRecord(base.label, result) };
          },
        };
      },
      dispose() {
        if (owner) search.release(owner);
        search.destroy();
      },
    };
  },
};
