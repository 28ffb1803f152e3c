// Contrastive Decoding (Li et al., "Contrastive Decoding: Open-ended Text Generation as
// Optimization", ACL 2023): an expert and an amateur language model, and the tokens the expert
// likes much more than the amateur, among those the expert finds plausible:
//
//   paper:   score(y) = log p_E(y | x) - log p_A(y | x)            for y in V_head
//            V_head   = { y : p_E(y | x) >= beta max_w p_E(w | x) }, beta = 0.1 (the paper's alpha)
//   ours:    score(y) = (1 + a) log p_E(y) - a log p_A(y)           on V_head        (weights [1+a, -a])
//
// Interpretation (shared with the method catalog, src/share/methods.ts): we use the (1+a) form of
// O'Brien & Lewis ("Contrastive Decoding Improves Reasoning in Large Language Models", 2023) so that
// every method of the contrastive family has one shape. On V_head, (1+a) log p_E - a log p_A =
// log p_E + a (log p_E - log p_A): a -> infinity ranks tokens like the paper's difference, and
// a = 1 (the default) adds the expert's own log-probability as a tie-breaker. Log-probabilities
// rather than logits: the expert and the amateur are different models, so only normalised scores
// are on one scale (per-row shifts do not change the softmax, so for one model it is the same).
// The amateur reads the same prompt; it keeps the image only if it is itself a VLM.
import type { DecodingMethod } from './types';

export const cd: DecodingMethod<'cd'> = {
  name: 'cd',
  components: (_config, context) => [
    { label: 'expert', model: 'main', prompt: context.prompt, image: context.image, distortion: null },
    {
      label: 'amateur',
      model: 'amateur',
      prompt: context.prompt,
      image: context.amateurReadsImages ? context.image : null,
      distortion: null,
    },
  ],
  combination: ({ alpha, beta }) => ({ weights: [1 + alpha, -alpha], beta }),
};
