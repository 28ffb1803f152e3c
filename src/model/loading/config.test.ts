// parseModelConfig (src/model/config.ts) on the config.json files of the checkpoints issue 3
// must load, and on the bad inputs a user can hand it.
import { describe, expect, test } from 'vitest';
import { ModelConfigError, parseModelConfig } from '../config';
import { parameterCount } from '../architectures/tensors';

const GPT2 = {
  activation_function: 'gelu_new', architectures: ['GPT2LMHeadModel'], attn_pdrop: 0.1, bos_token_id: 50256,
  embd_pdrop: 0.1, eos_token_id: 50256, initializer_range: 0.02, layer_norm_epsilon: 1e-5, model_type: 'gpt2',
  n_ctx: 1024, n_embd: 768, n_head: 12, n_layer: 12, n_positions: 1024, resid_pdrop: 0.1, vocab_size: 50257,
}; // prettier-ignore

const SMOLLM2_135M = {
  architectures: ['LlamaForCausalLM'], attention_bias: false, bos_token_id: 0, eos_token_id: 0, hidden_act: 'silu',
  hidden_size: 576, intermediate_size: 1536, max_position_embeddings: 8192, model_type: 'llama',
  num_attention_heads: 9, num_hidden_layers: 30, num_key_value_heads: 3, rms_norm_eps: 1e-5, rope_scaling: null,
  rope_theta: 100000, tie_word_embeddings: true, vocab_size: 49152,
}; // prettier-ignore

const QWEN25_05B = {
  architectures: ['Qwen2ForCausalLM'], bos_token_id: 151643, eos_token_id: 151643, hidden_act: 'silu',
  hidden_size: 896, intermediate_size: 4864, max_position_embeddings: 32768, max_window_layers: 24,
  model_type: 'qwen2', num_attention_heads: 14, num_hidden_layers: 24, num_key_value_heads: 2, rms_norm_eps: 1e-6,
  rope_theta: 1000000.0, sliding_window: 32768, tie_word_embeddings: true, use_sliding_window: false,
  vocab_size: 151936,
}; // prettier-ignore

function configError(json: unknown): string {
  try {
    parseModelConfig(json);
  } catch (error) {
    expect(error).toBeInstanceOf(ModelConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ModelConfigError');
}

describe('parseModelConfig: checkpoints that must load', () => {
  test('gpt2', () => {
    const c = parseModelConfig(GPT2);
    expect(c).toEqual({
      architecture: 'gpt2', modelType: 'gpt2', vocabSize: 50257, hiddenSize: 768, numLayers: 12, numHeads: 12,
      numKeyValueHeads: 12, headDim: 64, intermediateSize: 3072, maxPositions: 1024, normEps: 1e-5, ropeTheta: null,
      tieWordEmbeddings: true, qkvBias: true, outputBias: true, bosTokenId: 50256, eosTokenIds: [50256],
      vision: null,
    }); // prettier-ignore
    expect(parameterCount(c)).toBe(124_439_808); // GPT-2 small's well-known count (tied head)
  });

  test('distilgpt2-like: 6 layers, n_inner null falls back to 4 × n_embd', () => {
    const c = parseModelConfig({ ...GPT2, n_layer: 6, n_inner: null, _num_labels: 1 });
    expect(c.numLayers).toBe(6);
    expect(c.intermediateSize).toBe(3072);
    expect(parameterCount(c)).toBe(81_912_576);
  });

  test('llama (SmolLM2-135M): GQA, tied head, RoPE theta, no biases', () => {
    const c = parseModelConfig(SMOLLM2_135M);
    expect(c).toMatchObject({
      architecture: 'llama', modelType: 'llama', hiddenSize: 576, numHeads: 9, numKeyValueHeads: 3, headDim: 64,
      intermediateSize: 1536, maxPositions: 8192, normEps: 1e-5, ropeTheta: 100000, tieWordEmbeddings: true,
      qkvBias: false, outputBias: false, bosTokenId: 0, eosTokenIds: [0],
    }); // prettier-ignore
    expect(parameterCount(c)).toBe(134_515_008);
  });

  test('qwen2 (Qwen2.5-0.5B): q/k/v biases, 7:1 GQA, theta 1e6', () => {
    const c = parseModelConfig(QWEN25_05B);
    expect(c).toMatchObject({ architecture: 'llama', modelType: 'qwen2', numHeads: 14, numKeyValueHeads: 2 });
    expect(c).toMatchObject({ headDim: 64, ropeTheta: 1e6, qkvBias: true, tieWordEmbeddings: true });
    expect(parameterCount(c)).toBe(494_032_768);
  });

  test('llama defaults: untied head, kv heads = heads, eps 1e-6, theta 1e4; explicit head_dim; eos list', () => {
    const c = parseModelConfig({
      model_type: 'llama', hidden_size: 64, num_attention_heads: 4, num_hidden_layers: 2, intermediate_size: 128,
      max_position_embeddings: 128, vocab_size: 100, eos_token_id: [1, 2, 'x'],
    }); // prettier-ignore
    expect(c).toMatchObject({ numKeyValueHeads: 4, headDim: 16, normEps: 1e-6, ropeTheta: 10000 });
    expect(c).toMatchObject({ tieWordEmbeddings: false, bosTokenId: null, eosTokenIds: [1, 2] });
    const wide = parseModelConfig({ ...SMOLLM2_135M, head_dim: 128 });
    expect(wide.headDim).toBe(128);
  });

  test('llama has no q/k/v biases; qwen2 has them', () => {
    expect(parseModelConfig(SMOLLM2_135M).qkvBias).toBe(false);
    expect(parseModelConfig({ ...SMOLLM2_135M, model_type: 'qwen2' }).qkvBias).toBe(true);
  });

  test('mistral sliding_window bounds the positions (full attention is exact within it)', () => {
    expect(
      parseModelConfig({ ...SMOLLM2_135M, model_type: 'mistral', sliding_window: 4096 }).maxPositions,
    ).toBe(4096);
  });
});

describe('parseModelConfig: bad input', () => {
  test('not an object', () => {
    expect(configError([1])).toBe('config.json: expected a JSON object');
    expect(configError(null)).toBe('config.json: expected a JSON object');
  });

  test('unsupported or missing model_type', () => {
    expect(configError({ model_type: 'bert' })).toBe(
      'config.json: model_type "bert" is not supported; LogitLab\'s engine runs gpt2 and the Llama family ' +
        '(llama, qwen2, mistral). Larger or other models can run through the ONNX backend.',
    );
    expect(configError({ n_embd: 768 })).toContain('model_type "(missing)" is not supported');
  });

  test('missing keys name the key and its aliases', () => {
    const { n_embd: _, ...noEmbd } = GPT2;
    expect(configError(noEmbd)).toBe('config.json: missing "n_embd" (or hidden_size)');
    const { vocab_size: __, ...noVocab } = SMOLLM2_135M;
    expect(configError(noVocab)).toBe('config.json: missing "vocab_size"');
    const { n_positions: ___, n_ctx: ____, ...noPositions } = GPT2;
    expect(configError(noPositions)).toBe(
      'config.json: missing "n_positions" (or n_ctx, max_position_embeddings)',
    );
  });

  test.each([
    [{ ...GPT2, n_head: 0 }, 'config.json: "n_head" must be a positive integer, got 0'],
    [{ ...GPT2, n_embd: '768' }, 'config.json: "n_embd" must be a positive integer, got "768"'],
    [{ ...GPT2, n_layer: 2.5 }, 'config.json: "n_layer" must be a positive integer, got 2.5'],
    [{ ...GPT2, n_head: 7 }, 'config.json: n_embd 768 is not divisible by n_head 7'],
    [
      { ...GPT2, layer_norm_epsilon: -1 },
      'config.json: "layer_norm_epsilon" must be a positive number, got -1',
    ],
    [
      { ...SMOLLM2_135M, num_key_value_heads: 4 },
      'config.json: num_attention_heads 9 is not a multiple of num_key_value_heads 4',
    ],
    [{ ...SMOLLM2_135M, head_dim: 63 }, 'config.json: head dimension 63 must be an even integer for RoPE'],
    [
      { ...SMOLLM2_135M, hidden_size: 580 },
      'config.json: hidden_size 580 is not divisible by num_attention_heads 9',
    ],
    [
      { ...SMOLLM2_135M, attention_bias: true },
      'config.json: attention_bias true (a bias on o_proj too) is not supported yet for llama',
    ],
    [{ ...SMOLLM2_135M, mlp_bias: true }, 'config.json: mlp_bias true is not supported yet'],
    [
      { ...SMOLLM2_135M, model_type: 'qwen2', use_sliding_window: true },
      'config.json: use_sliding_window true (sliding-window attention) is not supported yet',
    ],
    [
      { ...GPT2, activation_function: 'relu' },
      'config.json: activation_function "relu" is not supported (gelu_new, the tanh approximation, only)',
    ],
    [{ ...SMOLLM2_135M, hidden_act: 'gelu' }, 'config.json: hidden_act "gelu" is not supported (silu only)'],
    [
      { ...SMOLLM2_135M, rms_norm_eps: 'small' },
      'config.json: "rms_norm_eps" must be a positive number, got "small"',
    ],
    [
      { ...SMOLLM2_135M, rope_scaling: { rope_type: 'llama3', factor: 8 } },
      'config.json: rope_scaling {"rope_type":"llama3","factor":8} is not supported yet',
    ],
  ])('%# refuses with the key and value', (json, message) => {
    expect(configError(json)).toBe(message);
  });

  test('the file name in messages is the one given', () => {
    expect(() => parseModelConfig({ model_type: 'gpt2' }, 'tiny/config.json')).toThrow(
      'tiny/config.json: missing "n_embd"',
    );
  });
});
