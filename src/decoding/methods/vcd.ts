// VCD (Leng et al., "Mitigating Object Hallucinations in Large Vision-Language Models through
// Visual Contrastive Decoding", CVPR 2024): contrast the distribution given the image with the one
// given a noised copy, which leans on language priors and statistical bias:
//
//   p_vcd(y) = softmax[ (1 + a) l(y | v, x) - a l(y | v', x) ]     on V_head (beta, from p(y | v, x))
//   v'       = the forward diffusion process at step t applied to v (src/decoding/inputs/noise.ts)
//
// Reference code (DAMO-NLP-SG/VCD): a = 1, beta = 0.1, t = 500 of 1000; the noise is drawn once
// per image, so every step sees the same v'. We combine log-probabilities (weights [1+a, -a]),
// which gives the same softmax as combining logits (one model, per-row shifts cancel).
// Interpretation: the noise seed is the experiment's seed, not the lane's, so VCD lanes that differ
// only in a (or beta) see the same noised image and share its prefilled prompt.
import { diffusionNoise } from '../inputs';
import { requireImage } from './images';
import type { DecodingMethod } from './types';

export const vcd: DecodingMethod<'vcd'> = {
  name: 'vcd',
  components: ({ noiseStep }, context) => {
    const image = requireImage(context, 'VCD');
    return [
      { label: 'original image', model: 'main', prompt: context.prompt, image, distortion: null },
      {
        label: `noised image (t = ${noiseStep})`,
        model: 'main',
        prompt: context.prompt,
        image: diffusionNoise(image, noiseStep, context.seed),
        distortion: { kind: 'noise', step: noiseStep, seed: context.seed },
      },
    ];
  },
  combination: ({ alpha, beta }) => ({ weights: [1 + alpha, -alpha], beta }),
};
