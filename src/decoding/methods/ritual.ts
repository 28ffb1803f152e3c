// RITUAL (Woo et al., "RITUAL: Random Image Transformations as a Universal Anti-hallucination
// Lever in Large Vision Language Models", 2024): *add* the distribution of a randomly transformed
// view T(v) (flip, rotation, crop, colour jitter, blur) to the original's, optionally minus a
// VCD-style noised view:
//
//   score(y) = l(y | v, x) + a_pos l(y | T(v), x) - a_neg l(y | v_noise, x)    on V_head (beta)
//   V_head from the original view p(y | v, x)                   (weights [1, a_pos, -a_neg])
//
// Reference code (sangminwoo/RITUAL, ritual_utils/ritual_sample.py): diffs = l + a_pos l_T with
// a_pos = 3, beta = 0.1, the cutoff on the original logits; its VCD branch is
// (1 + a_neg) l - a_neg l_noise with a_neg = 1. The two are separate branches there; the paper
// reports them combined without printing the formula, so we follow shared/METHODS.md and the method
// catalog (src/share/methods.ts): the noised term is added to RITUAL's sum as written above.
// Interpretations: a_neg = 0 is RITUAL alone and then has no noised component (two inputs, not
// three). One transform T is drawn per experiment from its seed (randomTransform), as the
// reference draws one per image; the noised view uses the same diffusion noise as VCD
// (diffusionNoise with the experiment's seed), so RITUAL+VCD and VCD lanes see the same v_noise.
// We combine log-probabilities: with weights summing to 1 + a_pos - a_neg != 1 this differs from
// the logit sum only by a per-row shift, which the softmax ignores (one model).
import {
  applyTransform,
  describeTransform,
  diffusionNoise,
  randomTransform,
  transformRecord,
} from '../inputs';
import { requireImage } from './images';
import type { ComponentSpec, DecodingMethod } from './types';

export const ritual: DecodingMethod<'ritual'> = {
  name: 'ritual',
  components: ({ alphaNeg, noiseStep }, context) => {
    const image = requireImage(context, 'RITUAL');
    const size = context.imageSize as number;
    const transform = randomTransform(context.seed, size, size);
    const components: ComponentSpec[] = [
      { label: 'original image', model: 'main', prompt: context.prompt, image, distortion: null },
      {
        label: `transformed image (${describeTransform(transform)})`,
        model: 'main',
        prompt: context.prompt,
        image: applyTransform(image, size, size, transform),
        distortion: transformRecord(transform, context.seed),
      },
    ];
    if (alphaNeg > 0) {
      components.push({
        label: `noised image (t = ${noiseStep})`,
        model: 'main',
        prompt: context.prompt,
        image: diffusionNoise(image, noiseStep, context.seed),
        distortion: { kind: 'noise', step: noiseStep, seed: context.seed },
      });
    }
    return components;
  },
  combination: ({ alphaPos, alphaNeg, beta }) => ({
    weights: alphaNeg > 0 ? [1, alphaPos, -alphaNeg] : [1, alphaPos],
    beta,
  }),
};
