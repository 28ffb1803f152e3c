// ICD / LQCD: contrast against the same image with a disturbed or leading prompt.
//   ICD:  Wang et al., "Mitigating Hallucinations in Large Vision-Language Models with Instruction
//         Contrastive Decoding" (Findings of ACL 2024): x' = a disturbance instruction before x.
//   LQCD: Zhao et al., "Towards Analyzing and Mitigating Sycophancy in Large Vision-Language
//         Models" (2024): x' = a leading query.
//
//   p(y) = softmax[ (1 + a) l(y | v, x) - a l(y | v, x') ]     on V_head (beta, from p(y | v, x))
//
// Reference scripts (ICD): disturbance "You are a confused object detector.", a = 1, beta = 0.1.
// Interpretation: the lane's `disturbance` text goes in front of the prompt (icdPrompt,
// src/decoding/inputs/prompts.ts), and the image template wraps the result as it wraps the prompt;
// a leading cue that must follow the question can be written into the experiment's prompt of a
// plain lane instead. Works on text models too (the image is then absent from both components).
// Words outside a small vocabulary become its unknown token, as in any prompt.
import { icdPrompt } from '../inputs';
import type { DecodingMethod } from './types';

export const icd: DecodingMethod<'icd'> = {
  name: 'icd',
  components: ({ disturbance }, context) => {
    const disturbed = icdPrompt(context.prompt, disturbance);
    return [
      { label: 'prompt', model: 'main', prompt: context.prompt, image: context.image, distortion: null },
      {
        label: 'disturbed prompt',
        model: 'main',
        prompt: disturbed,
        image: context.image,
        distortion: { kind: 'prompt', text: disturbed },
      },
    ];
  },
  combination: ({ alpha, beta }) => ({ weights: [1 + alpha, -alpha], beta }),
};
