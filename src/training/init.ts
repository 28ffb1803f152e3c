// Seeded initial weights for a new model, in the scheme of GPT-2 (Radford et al., "Language Models
// are Unsupervised Multitask Learners", 2019, §2.3) as nanoGPT and Hugging Face implement it:
//
//   embeddings and linear weights  ~ normal(0, 0.02)          (HF `initializer_range`)
//   residual output projections    ~ normal(0, 0.02 / sqrt(2L))  (attention c_proj / o_proj and
//                                    MLP c_proj / down_proj: the 2L residual additions of L layers)
//   LayerNorm / RMSNorm gains = 1, every bias = 0
//
// Interpretation: the Llama family gets the same scheme (its reference initialisation is normal(0,
// 0.02) everywhere; the residual scaling is the GPT-2 choice, which trains tiny models more
// stably). Tensor k of expectedTensors(config) draws from Philox stream k, so a tensor's values
// depend only on (seed, its position in the list).
import type { ModelConfig } from '../model/config';
import { expectedTensors } from '../model/architectures/tensors';
import { fillNormal, seedFromNumber } from './random';

export const INIT_STD = 0.02;

export type InitKind = 'normal' | 'residual' | 'gain' | 'zero';

/** How a tensor of `expectedTensors` is initialised, from its canonical name. */
export function initKindOf(name: string): InitKind {
  if (name.endsWith('.bias')) return 'zero';
  if (/(^|\.)(ln_\d|ln_f|input_layernorm|post_attention_layernorm|norm)\.weight$/.test(name)) return 'gain';
  if (/\.(attn\.c_proj|mlp\.c_proj|self_attn\.o_proj|mlp\.down_proj)\.weight$/.test(name)) return 'residual';
  return 'normal';
}

/** Initial values for every tensor `expectedTensors(config)` lists, by canonical name. */
export function initialWeights(config: ModelConfig, seed: number): Map<string, Float32Array> {
  const random = seedFromNumber(seed);
  const residualStd = INIT_STD / Math.sqrt(2 * config.numLayers);
  const weights = new Map<string, Float32Array>();
  expectedTensors(config).forEach(({ name, shape }, stream) => {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const kind = initKindOf(name);
    if (kind === 'gain') values.fill(1);
    else if (kind === 'normal') fillNormal(values, INIT_STD, random, stream);
    else if (kind === 'residual') fillNormal(values, residualStd, random, stream);
    weights.set(name, values);
  });
  return weights;
}
