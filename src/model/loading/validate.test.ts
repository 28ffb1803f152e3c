// Checkpoint vs config.json: missing tensors, shape contradictions with the config values that
// imply the shape, GPT-2 name prefixes and mask buffers, dtypes, and the size check.
import { describe, expect, test } from 'vitest';
import { parseModelConfig } from '../config';
import { expectedTensors } from '../architectures/tensors';
import {
  assertCheckpointMatches,
  compareWithConfig,
  unexpectedTensorsWarning,
  type CheckpointTensorInfo,
} from './validate';
import { assertModelFits, checkModelFits, estimateModelBytes } from './estimate';
import { ModelLoadError } from './errors';

const GPT2_SMALL = parseModelConfig({
  model_type: 'gpt2', n_embd: 768, n_head: 12, n_layer: 4, n_positions: 1024, vocab_size: 50257,
}); // prettier-ignore
const LLAMA = parseModelConfig({
  model_type: 'llama', hidden_size: 576, num_attention_heads: 9, num_key_value_heads: 3, num_hidden_layers: 2,
  intermediate_size: 1536, max_position_embeddings: 2048, vocab_size: 49152,
}); // prettier-ignore

const FILE = 'model.safetensors';
const infos = (config = GPT2_SMALL, prefix = ''): CheckpointTensorInfo[] =>
  expectedTensors(config).map((s) => ({ name: prefix + s.name, dtype: 'F32', shape: s.shape, file: FILE }));

function mismatch(config: typeof GPT2_SMALL, tensors: CheckpointTensorInfo[], complete = true): string {
  try {
    assertCheckpointMatches(config, compareWithConfig(config, tensors), FILE, complete);
  } catch (error) {
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as ModelLoadError).kind).toBe('mismatch');
    return (error as Error).message;
  }
  throw new Error('expected a mismatch');
}

describe('compareWithConfig', () => {
  test('a matching checkpoint passes; every expected tensor is used', () => {
    const check = compareWithConfig(GPT2_SMALL, infos());
    expect(check.missing).toEqual([]);
    expect(check.problems).toEqual([]);
    expect(check.used.size).toBe(expectedTensors(GPT2_SMALL).length);
    expect(() => assertCheckpointMatches(GPT2_SMALL, check, FILE, true)).not.toThrow();
  });

  test('GPT-2\'s "transformer." prefix is stripped and the stored attn.bias masks are ignored', () => {
    const masks = [0, 1].flatMap((i) => [`transformer.h.${i}.attn.bias`, `h.${i}.attn.masked_bias`]);
    const stored = [
      ...infos(GPT2_SMALL, 'transformer.'),
      ...masks.map((name) => ({ name, dtype: 'BOOL', shape: [1], file: FILE })),
    ];
    const check = compareWithConfig(GPT2_SMALL, stored);
    expect(check.problems).toEqual([]);
    expect(check.missing).toEqual([]);
    expect(check.ignored).toEqual(masks);
    expect(check.used.get('wte.weight')!.name).toBe('transformer.wte.weight');
  });

  test('a shape that contradicts config.json names the config values that imply it', () => {
    const tensors = infos().map((t) => (t.name === 'h.3.mlp.c_fc.weight' ? { ...t, shape: [768, 3000] } : t));
    expect(mismatch(GPT2_SMALL, tensors)).toBe(
      'model.safetensors: h.3.mlp.c_fc.weight has shape [768, 3000] but config.json (n_embd 768, n_inner 3072) ' +
        'implies [768, 3072]. The weights and config.json must come from the same model (re-download, or fix config.json).',
    );
  });

  test('llama shape reasons mention heads, kv heads and head_dim', () => {
    const tensors = infos(LLAMA).map((t) =>
      t.name === 'model.layers.1.self_attn.k_proj.weight' ? { ...t, shape: [576, 576] } : t,
    );
    expect(mismatch(LLAMA, tensors)).toContain(
      'model.layers.1.self_attn.k_proj.weight has shape [576, 576] but config.json (hidden_size 576, ' +
        'num_key_value_heads 3, head_dim 64) implies [192, 576]',
    );
    const embed = infos(LLAMA).map((t) =>
      t.name === 'model.embed_tokens.weight' ? { ...t, shape: [49153, 576] } : t,
    );
    expect(mismatch(LLAMA, embed)).toContain('(vocab_size 49152, hidden_size 576) implies [49152, 576]');
  });

  test('missing tensors are listed by name (first 8, then a count)', () => {
    const tensors = infos().filter((t) => !t.name.startsWith('h.3.') && t.name !== 'ln_f.bias');
    expect(mismatch(GPT2_SMALL, tensors)).toBe(
      'model.safetensors lacks 13 tensors h.3.ln_1.weight, h.3.ln_1.bias, h.3.attn.c_attn.weight, ' +
        'h.3.attn.c_attn.bias, h.3.attn.c_proj.weight, h.3.attn.c_proj.bias, h.3.ln_2.weight, h.3.ln_2.bias and 5 more ' +
        'that config.json (gpt2, 4 layers) requires. The weights and config.json must come from the same model ' +
        '(re-download, or fix config.json).',
    );
    expect(() => mismatch(GPT2_SMALL, tensors, false)).toThrow('expected a mismatch'); // partial: shapes only
  });

  test('an untied config requires lm_head.weight', () => {
    const untied = { ...GPT2_SMALL, tieWordEmbeddings: false };
    expect(mismatch(untied, infos())).toContain(
      'lacks tensor lm_head.weight that config.json (gpt2, 4 layers) requires',
    );
  });

  test('a used tensor in a dtype LogitLab cannot compute with', () => {
    const tensors = infos().map((t) => (t.name === 'h.0.attn.c_attn.weight' ? { ...t, dtype: 'I64' } : t));
    expect(mismatch(GPT2_SMALL, tensors)).toBe(
      'model.safetensors: tensor h.0.attn.c_attn.weight has dtype I64; LogitLab loads F32, F16 and BF16. ' +
        'Convert the checkpoint to F32, F16 or BF16.',
    );
  });

  test('duplicates (with and without the prefix) are an error; extras are a warning', () => {
    const tensors = [
      ...infos(),
      { name: 'transformer.wte.weight', dtype: 'F32', shape: [50257, 768], file: 'b.safetensors' },
    ];
    expect(mismatch(GPT2_SMALL, tensors)).toContain(
      'b.safetensors: tensor transformer.wte.weight duplicates wte.weight in model.safetensors',
    );
    const extra = [...infos(), { name: 'lm_head.weight', dtype: 'F32', shape: [50257, 768], file: FILE }];
    const check = compareWithConfig(GPT2_SMALL, extra);
    expect(check.problems).toEqual([]);
    expect(unexpectedTensorsWarning(GPT2_SMALL, check)).toBe(
      'ignored 1 tensor that gpt2 does not use: lm_head.weight',
    );
  });
});

describe('estimateModelBytes / checkModelFits', () => {
  const QWEN = parseModelConfig({
    model_type: 'qwen2', hidden_size: 896, intermediate_size: 4864, max_position_embeddings: 32768,
    num_attention_heads: 14, num_hidden_layers: 24, num_key_value_heads: 2, tie_word_embeddings: true,
    vocab_size: 151936,
  }); // prettier-ignore

  test('counts weights and the KV cache', () => {
    const e = estimateModelBytes(QWEN, { dtype: 'f32', contextTokens: 1024, sequences: 2 });
    expect(e.parameterCount).toBe(494_032_768);
    expect(e.weightBytes).toBe(494_032_768 * 4);
    expect(e.kvCacheBytes).toBe(2 * 24 * 2 * 64 * 1024 * 2 * 4);
    expect(e.largestTensor).toEqual({ name: 'model.embed_tokens.weight', bytes: 151936 * 896 * 4 });
    expect(estimateModelBytes(QWEN, { dtype: 'f16' }).weightBytes).toBe(494_032_768 * 2);
    expect(estimateModelBytes(QWEN).contextTokens).toBe(2048);
  });

  test('big tensors are split, not refused; a budget overrun is refused with the numbers', () => {
    const limits = { maxBufferSize: 256 * 2 ** 20, memoryBudgetBytes: 4e9 };
    const report = checkModelFits(QWEN, limits);
    expect(report.fits).toBe(true);
    expect(report.splitTensors).toEqual(['model.embed_tokens.weight']); // 545 MB head in f32
    expect(() => assertModelFits(QWEN, { ...limits, memoryBudgetBytes: 1e9 }, 'Qwen/Qwen2.5-0.5B')).toThrow(
      'Qwen/Qwen2.5-0.5B needs about 2.0 GB of GPU memory in f32 (2.0 GB of weights for 494.0 M parameters + ' +
        '50 MB of KV cache for 1 sequence of 2048 tokens) but the budget is 1.0 GB: choose a smaller model, ' +
        'fewer lanes, or f16 weights (needs shader-f16)',
    );
    expect(assertModelFits(QWEN, { ...limits, memoryBudgetBytes: 1.1e9, dtype: 'f16' }).fits).toBe(true);
  });

  test('a single row above the binding limit cannot be split', () => {
    const report = checkModelFits(QWEN, { maxBufferSize: 2048, memoryBudgetBytes: 1e12 });
    expect(report.fits).toBe(false);
    expect(report.problems).toEqual([
      'one row of a tensor needs 19 kB but this GPU binds at most 2.0 kB per buffer (maxStorageBufferBindingSize)',
    ]);
  });
});
