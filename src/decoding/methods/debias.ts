// Debias sampling (Zhang et al., "Debiasing Large Visual Language Models", 2024; v3: "Debiasing
// Multimodal Large Language Models via Penalization of Language Priors"): the model's answer
// without looking is its language prior; contrast it away:
//
//   p(y) = softmax[ (1 + a) l(y | v, x) - a l(y | x) ]     on V_head (beta, from p(y | v, x))
//
// Interpretation: "no image" is the prompt without image placeholders (the text-only template,
// as the paper's "image absent" input), so the contrast is the decoder's pure language prior. The
// paper's later version also contrasts with a meaningless image; that is VCD-like and available
// through src/decoding/inputs (meaninglessImage) if a lane ever wants it. The post-hoc
// calibration for yes/no answers is its own lane method, ./debias-calibrate.ts.
import { requireImage } from './images';
import type { DecodingMethod } from './types';

export const debias: DecodingMethod<'debias'> = {
  name: 'debias',
  components: (_config, context) => [
    {
      label: 'image',
      model: 'main',
      prompt: context.prompt,
      image: requireImage(context, 'Debias'),
      distortion: null,
    },
    {
      label: 'no image',
      model: 'main',
      prompt: context.prompt,
      image: null,
      distortion: { kind: 'no-image' },
    },
  ],
  combination: ({ alpha, beta }) => ({ weights: [1 + alpha, -alpha], beta }),
};
