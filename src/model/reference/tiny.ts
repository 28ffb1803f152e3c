// Tiny random-weight models of both architectures, as Hugging Face style config.json objects and
// weight maps: the fixtures of the engine's parity tests (saved as real safetensors and loaded
// through the real loader there). Weights are seeded; scales keep activations O(1) so attention
// patterns and logits are far from uniform and comparisons are meaningful.
import { gaussian, seededRandom } from '../../testing/logits';
import { parseModelConfig, type ModelConfig, type VisionConfig } from '../config';
import { expectedTensors } from '../architectures/tensors';

export interface TinyModel {
  /** The config.json object, as a checkpoint folder would hold it. */
  configJson: Record<string, unknown>;
  config: ModelConfig;
  weights: Map<string, Float32Array>;
}

export function tinyGpt2ConfigJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    vocab_size: 61,
    n_embd: 32,
    n_layer: 2,
    n_head: 4,
    n_positions: 64,
    layer_norm_epsilon: 1e-5,
    activation_function: 'gelu_new',
    bos_token_id: 0,
    eos_token_id: 0,
    ...overrides,
  };
}

export function tinyLlamaConfigJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model_type: 'llama',
    architectures: ['LlamaForCausalLM'],
    vocab_size: 67,
    hidden_size: 32,
    intermediate_size: 80,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 128,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    hidden_act: 'silu',
    tie_word_embeddings: false,
    bos_token_id: 1,
    eos_token_id: 2,
    ...overrides,
  };
}

/**
 * A tiny vision-language model: a decoder plus `vision_config` (16 x 16 RGB images, 8 x 8
 * patches: 4 patches of 192 values) and `image_token_id` = vocab_size - 1. The decoder is the tiny
 * Llama (d = 32, vocab 67, image token 66) unless `overrides.model_type` says otherwise: "gpt2"
 * starts from the tiny GPT-2 (vocab 61, image token 60), "qwen2"/"mistral" from the tiny Llama.
 */
export function tinyVlmConfigJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const decoder =
    overrides.model_type === 'gpt2' ? tinyGpt2ConfigJson(overrides) : tinyLlamaConfigJson(overrides);
  const vocab = typeof decoder.vocab_size === 'number' ? decoder.vocab_size : 0;
  return {
    ...decoder,
    architectures: ['LogitLabVlmForCausalLM'],
    vision_config: { image_size: 16, patch_size: 8, num_channels: 3 },
    image_token_id: vocab - 1,
    ...overrides,
  };
}

/** Seeded weights for every tensor `expectedTensors` lists. */
export function randomWeights(config: ModelConfig, seed: number): Map<string, Float32Array> {
  const random = seededRandom(seed);
  const weights = new Map<string, Float32Array>();
  for (const { name, shape } of expectedTensors(config)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    const isNormGain = /(ln_\d|ln_f|layernorm|norm)\.weight$/.test(name);
    const isBias = name.endsWith('.bias');
    const isEmbedding = /(wte|wpe|embed_tokens)\.weight$/.test(name);
    // Linear weights: std 1/sqrt(fan_in), fan_in = the input dimension of the layout (vision
    // weights are nn.Linear [out, in] under either decoder).
    const isVision = name.startsWith('vision.');
    const fanIn = config.architecture === 'gpt2' && !isVision ? shape[0] : (shape[1] ?? shape[0]);
    const std = isBias ? 0.1 : isEmbedding ? 1 : (visionStd(name, fanIn) ?? 1 / Math.sqrt(fanIn));
    for (let i = 0; i < size; i++)
      values[i] = isNormGain ? 1 + 0.2 * gaussian(random) : std * gaussian(random);
    weights.set(name, values);
  }
  return weights;
}

/**
 * Uniform pixels in [0, 1] have E[p^2] = 1/3, so W1 at std 2/sqrt(fan_in) gives pre-activations of
 * std ~1.2, where gelu bends; positions at std 0.5 leave the image content the larger part of e_k
 * (tests check that changing the image changes the logits).
 */
function visionStd(name: string, fanIn: number): number | null {
  if (name === 'vision.patch_embed.weight') return 2 / Math.sqrt(fanIn);
  if (name === 'vision.position_embedding.weight') return 0.5;
  return null;
}

/** A seeded image for `vision`: [imageSize, imageSize, channels] uniform values in [0, 1). */
export function tinyImage(vision: VisionConfig, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: vision.imageSize * vision.imageSize * vision.channels }, random);
}

export function tinyModel(configJson: Record<string, unknown>, seed = 1): TinyModel {
  const config = parseModelConfig(configJson);
  return { configJson, config, weights: randomWeights(config, seed) };
}
