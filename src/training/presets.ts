// Size presets for new models trained from scratch in the Train workbench. They are deliberately
// tiny: a software adapter (SwiftShader) runs a step of "nano" in well under a second, and a real
// GPU trains "small" on a few KB of text in a minute. Each produces a Hugging Face config.json, so a
// trained model saves and reloads through the same loader as any Hub checkpoint.
import type { Architecture } from '../model/config';

export type PresetId = 'nano' | 'micro' | 'small';

export interface SizePreset {
  id: PresetId;
  label: string;
  architecture: Architecture;
  /** One line for the picker: shape and what it is for. */
  description: string;
  /** config.json for a vocabulary of `vocabSize` tokens and windows of `contextLength` tokens. */
  configJson(vocabSize: number, contextLength: number): Record<string, unknown>;
}

/** GPT-2 layout (learned positions, LayerNorm, GELU, tied head). */
function gpt2(d: number, layers: number, heads: number) {
  return (vocabSize: number, contextLength: number): Record<string, unknown> => ({
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    vocab_size: vocabSize,
    n_embd: d,
    n_layer: layers,
    n_head: heads,
    n_inner: 4 * d,
    // Positions past the training windows would be untrained rows: the context is what was trained.
    n_positions: contextLength,
    n_ctx: contextLength,
    activation_function: 'gelu_new',
    layer_norm_epsilon: 1e-5,
    initializer_range: 0.02,
    tie_word_embeddings: true,
  });
}

/** Llama layout (RoPE, RMSNorm, SwiGLU, grouped-query attention, tied head). */
function llama(d: number, layers: number, heads: number, kvHeads: number, intermediate: number) {
  return (vocabSize: number, contextLength: number): Record<string, unknown> => ({
    model_type: 'llama',
    architectures: ['LlamaForCausalLM'],
    vocab_size: vocabSize,
    hidden_size: d,
    intermediate_size: intermediate,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    max_position_embeddings: contextLength,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    hidden_act: 'silu',
    initializer_range: 0.02,
    tie_word_embeddings: true,
  });
}

export const SIZE_PRESETS: readonly SizePreset[] = [
  {
    id: 'nano',
    label: 'nano · GPT-2',
    architecture: 'gpt2',
    description: 'd 64 · 2 layers · 4 heads: seconds per hundred steps, even on a software adapter',
    configJson: gpt2(64, 2, 4),
  },
  {
    id: 'micro',
    label: 'micro · Llama',
    architecture: 'llama',
    description: 'd 96 · 3 layers · 6 heads, 2 KV heads · SwiGLU 256: RoPE and grouped-query attention',
    configJson: llama(96, 3, 6, 2, 256),
  },
  {
    id: 'small',
    label: 'small · GPT-2',
    architecture: 'gpt2',
    description: 'd 128 · 4 layers · 4 heads: learns words from the built-in corpus on a real GPU',
    configJson: gpt2(128, 4, 4),
  },
];

export function sizePreset(id: string): SizePreset {
  const preset = SIZE_PRESETS.find((p) => p.id === id);
  if (!preset) {
    throw new Error(
      `There is no size preset "${id}": choose one of ${SIZE_PRESETS.map((p) => p.id).join(', ')}.`,
    );
  }
  return preset;
}
