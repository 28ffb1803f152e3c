// Plain decoding: the model's own next-token distribution, then the lane's sampling settings.
//
//   greedy:   y_t = argmax_y l(y | v, x, y_<t)                          (temperature not applied)
//   sampling: p(y) = softmax(l / T)(y), truncated by top-k (Fan et al., "Hierarchical Neural Story
//             Generation"), top-p (Holtzman et al., "The Curious Case of Neural Text
//             Degeneration": the smallest set with cumulative probability >= p) and min-p (Nguyen
//             et al., "Turning Up the Heat: Min-p Sampling for Creative and Coherent LLM Outputs":
//             p(y) >= min_p max_w p(w)), in Hugging Face's order, renormalised, and drawn with
//             Philox4x32-10 at (experiment seed, the lane's stream, counter = step).
// One component, weight 1, no plausibility mask: the fused pipeline then reduces to exactly the
// single-lane generate() (src/decoding/generate.ts); a greedy plain lane gives its tokens.
import type { DecodingMethod } from './types';

export const plain: DecodingMethod<'plain'> = {
  name: 'plain',
  components: (_config, context) => [
    { label: 'model', model: 'main', prompt: context.prompt, image: context.image, distortion: null },
  ],
  combination: () => ({ weights: [1], beta: 0 }),
};
