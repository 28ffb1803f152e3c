// The Hub layouts: dtype file names as transformers.js resolves them, external data files, and the
// check of a graph's names, types and shapes against decoder_model_merged and config.json.
import { describe, expect, test } from 'vitest';
import { parseModelConfig } from '../config';
import { ModelLoadError } from '../loading/errors';
import { tinyLlamaConfigJson } from '../reference/tiny';
import {
  baseNameOf,
  batchingOf,
  decoderFileName,
  graphMentions,
  dtypeOfDecoderFile,
  expectedDecoderNames,
  externalDataFiles,
  matchDecoderLayout,
  onnxFileName,
  type GraphValue,
} from './layout';

const config = parseModelConfig(tinyLlamaConfigJson()); // 2 layers, 2 kv heads, head dim 8, vocab 67
const FILE = 'onnx/decoder_model_merged.onnx';

/** The names and metadata of a Hub export of `config`, with edits. */
function hubGraph(
  options: { cacheType?: string; logitsType?: string; positionIds?: boolean; useCacheBranch?: boolean } = {},
) {
  const cache = (name: string): GraphValue => ({
    name,
    type: options.cacheType ?? 'float32',
    shape: ['batch_size', 2, 'past_sequence_length', 8],
  });
  const inputs: GraphValue[] = [
    { name: 'input_ids', type: 'int64', shape: ['batch_size', 'sequence_length'] },
    { name: 'attention_mask', type: 'int64', shape: ['batch_size', 'total_sequence_length'] },
  ];
  if (options.positionIds !== false)
    inputs.push({ name: 'position_ids', type: 'int64', shape: ['batch_size', 'sequence_length'] });
  const outputs: GraphValue[] = [
    { name: 'logits', type: options.logitsType ?? 'float32', shape: ['batch_size', 'sequence_length', 67] },
  ];
  for (let i = 0; i < 2; i++) {
    inputs.push(cache(`past_key_values.${i}.key`), cache(`past_key_values.${i}.value`));
    outputs.push(cache(`present.${i}.key`), cache(`present.${i}.value`));
  }
  if (options.useCacheBranch) inputs.push({ name: 'use_cache_branch', type: 'bool', shape: [1] });
  return { inputs, outputs };
}

function refusal(run: () => unknown): ModelLoadError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelLoadError);
    return error as ModelLoadError;
  }
  throw new Error('expected a refusal');
}

describe('Hub file names', () => {
  test('dtype suffixes as transformers.js names them', () => {
    expect(decoderFileName('fp32')).toBe('onnx/decoder_model_merged.onnx');
    expect(decoderFileName('fp16')).toBe('onnx/decoder_model_merged_fp16.onnx');
    expect(decoderFileName('q8')).toBe('onnx/decoder_model_merged_quantized.onnx');
    expect(decoderFileName('q4')).toBe('onnx/decoder_model_merged_q4.onnx');
    expect(decoderFileName('q4f16')).toBe('onnx/decoder_model_merged_q4f16.onnx');
    expect(dtypeOfDecoderFile('onnx/decoder_model_merged_bnb4.onnx')).toBe('bnb4');
    expect(dtypeOfDecoderFile('onnx/model.onnx')).toBeNull();
  });

  test('external data chunks from transformers.js_config', () => {
    const file = 'onnx/decoder_model_merged_fp16.onnx';
    expect(externalDataFiles({}, file)).toEqual([]);
    expect(externalDataFiles({ 'transformers.js_config': { use_external_data_format: true } }, file)).toEqual(
      [`${file}_data`],
    );
    expect(externalDataFiles({ 'transformers.js_config': { use_external_data_format: 3 } }, file)).toEqual([
      `${file}_data`,
      `${file}_data_1`,
      `${file}_data_2`,
    ]);
    const byFile = {
      'transformers.js_config': { use_external_data_format: { 'decoder_model_merged_fp16.onnx': 2 } },
    };
    expect(externalDataFiles(byFile, file)).toEqual([`${file}_data`, `${file}_data_1`]);
    expect(externalDataFiles(byFile, 'onnx/decoder_model_merged.onnx')).toEqual([]);
  });

  test('the other graphs of a folder (Idefics3: vision_encoder, embed_tokens) by base name and dtype', () => {
    expect(onnxFileName('vision_encoder', 'q4f16')).toBe('onnx/vision_encoder_q4f16.onnx');
    expect(onnxFileName('embed_tokens', 'fp32')).toBe('onnx/embed_tokens.onnx');
    expect(baseNameOf('onnx/vision_encoder_q4f16.onnx')).toBe('vision_encoder');
    expect(baseNameOf('onnx/decoder_model_merged_uint8.onnx')).toBe('decoder_model_merged');
    expect(baseNameOf('onnx/embed_tokens.onnx')).toBe('embed_tokens');
    // By base name, a setting names only its own graph: the decoder's chunks are not the encoder's.
    const byBase = { 'transformers.js_config': { use_external_data_format: { decoder_model_merged: 1 } } };
    expect(externalDataFiles(byBase, 'onnx/decoder_model_merged_q4.onnx')).toEqual([
      'onnx/decoder_model_merged_q4.onnx_data',
    ]);
    expect(externalDataFiles(byBase, 'onnx/vision_encoder_q4.onnx')).toEqual([]);
    const vision = { 'transformers.js_config': { use_external_data_format: { vision_encoder: 2 } } };
    expect(externalDataFiles(vision, 'onnx/vision_encoder.onnx')).toEqual([
      'onnx/vision_encoder.onnx_data',
      'onnx/vision_encoder.onnx_data_1',
    ]);
  });
});

describe('matchDecoderLayout', () => {
  test('accepts the current Hub export and the older Xenova merge (use_cache_branch, no position_ids)', () => {
    const current = hubGraph();
    expect(matchDecoderLayout(config, current.inputs, current.outputs, FILE)).toEqual({
      numLayers: 2,
      tokenInput: 'input_ids',
      embedsType: null,
      positionIds: true,
      useCacheBranch: false,
      cacheType: 'float32',
      logitsType: 'float32',
    });
    const older = hubGraph({ positionIds: false, useCacheBranch: true });
    expect(matchDecoderLayout(config, older.inputs, older.outputs, FILE)).toMatchObject({
      positionIds: false,
      useCacheBranch: true,
    });
    const half = hubGraph({ cacheType: 'float16', logitsType: 'float16' });
    expect(matchDecoderLayout(config, half.inputs, half.outputs, FILE)).toMatchObject({
      cacheType: 'float16',
      logitsType: 'float16',
    });
  });

  test('the expected names for a number of layers', () => {
    expect(expectedDecoderNames(1)).toEqual({
      inputs: ['input_ids', 'attention_mask', 'past_key_values.0.key', 'past_key_values.0.value'],
      optional: ['position_ids', 'use_cache_branch'],
      outputs: ['logits', 'present.0.key', 'present.0.value'],
    });
  });

  test('a graph without a KV cache is refused with what it has and what was expected', () => {
    const error = refusal(() =>
      matchDecoderLayout(
        config,
        [
          { name: 'input_ids', type: 'int64', shape: null },
          { name: 'attention_mask', type: 'int64', shape: null },
        ],
        [{ name: 'logits', type: 'float32', shape: null }],
        'onnx/decoder_model.onnx',
      ),
    );
    expect(error.kind).toBe('format');
    expect(error.file).toBe('onnx/decoder_model.onnx');
    expect(error.message).toContain('it has no past_key_values inputs');
    expect(error.message).toContain('it has inputs [input_ids, attention_mask] and outputs [logits]');
    expect(error.message).toContain(
      'expected inputs [input_ids, attention_mask, past_key_values.0.key, past_key_values.0.value, past_key_values.1.key, past_key_values.1.value]',
    );
    expect(error.message).toContain(
      'missing outputs present.0.key, present.0.value, present.1.key, present.1.value',
    );
  });

  test('an input the backend cannot feed is named', () => {
    const graph = hubGraph();
    graph.inputs.push({ name: 'cache_position', type: 'int64', shape: ['sequence_length'] });
    const error = refusal(() => matchDecoderLayout(config, graph.inputs, graph.outputs, FILE));
    expect(error.message).toContain('inputs this backend cannot feed: cache_position');
  });

  test('a cache of another layer count, head count or head size than config.json is a mismatch', () => {
    const three = parseModelConfig(tinyLlamaConfigJson({ num_hidden_layers: 3 }));
    const graph = hubGraph();
    const layers = refusal(() => matchDecoderLayout(three, graph.inputs, graph.outputs, FILE));
    expect(layers.kind).toBe('mismatch');
    expect(layers.message).toContain('has a KV cache for 2 layers but config.json says num_hidden_layers 3');
    const oneKvHead = parseModelConfig(tinyLlamaConfigJson({ num_key_value_heads: 1 }));
    const heads = refusal(() => matchDecoderLayout(oneKvHead, graph.inputs, graph.outputs, FILE));
    expect(heads.kind).toBe('mismatch');
    expect(heads.message).toContain(
      'past_key_values.0.key has shape [batch_size, 2, past_sequence_length, 8] but config.json implies [batch, 1, length, 8]',
    );
  });

  test('logits of another vocabulary size and inputs of other types are refused', () => {
    const bigger = parseModelConfig(tinyLlamaConfigJson({ vocab_size: 68 }));
    const graph = hubGraph();
    expect(refusal(() => matchDecoderLayout(bigger, graph.inputs, graph.outputs, FILE)).message).toContain(
      'logits have 67 entries per row but config.json says vocab_size 68',
    );
    const int32Ids = hubGraph();
    int32Ids.inputs[0] = { name: 'input_ids', type: 'int32', shape: null };
    expect(
      refusal(() => matchDecoderLayout(config, int32Ids.inputs, int32Ids.outputs, FILE)).message,
    ).toContain('input input_ids is int32; this backend reads int64');
    const bf16 = hubGraph({ cacheType: 'bfloat16' });
    expect(refusal(() => matchDecoderLayout(config, bf16.inputs, bf16.outputs, FILE)).message).toContain(
      'the KV cache is bfloat16; this backend reads float32 or float16',
    );
  });
});

describe('matchDecoderLayout for the decoder of an Idefics3 folder (inputs_embeds)', () => {
  /** hubGraph with inputs_embeds [batch, seq, 32] (the tiny config's hidden size) for input_ids. */
  const embedsGraph = (width: number | string = 32, type = 'float32') => {
    const graph = hubGraph();
    graph.inputs[0] = { name: 'inputs_embeds', type, shape: ['batch_size', 'sequence_length', width] };
    return graph;
  };

  test('accepts it and records the embedding type', () => {
    const graph = embedsGraph();
    expect(matchDecoderLayout(config, graph.inputs, graph.outputs, FILE, 'inputs_embeds')).toMatchObject({
      tokenInput: 'inputs_embeds',
      embedsType: 'float32',
      positionIds: true,
    });
    const half = embedsGraph('hidden_size', 'float16');
    expect(matchDecoderLayout(config, half.inputs, half.outputs, FILE, 'inputs_embeds').embedsType).toBe(
      'float16',
    );
  });

  test('a text decoder in its place is refused, and it is refused as a text decoder', () => {
    const text = hubGraph();
    const asVlm = refusal(() => matchDecoderLayout(config, text.inputs, text.outputs, FILE, 'inputs_embeds'));
    expect(asVlm.kind).toBe('format');
    expect(asVlm.message).toContain('is not a supported vision-language decoder (inputs_embeds)');
    expect(asVlm.message).toContain('it takes input_ids instead of inputs_embeds: it is a text decoder');
    expect(asVlm.message).toContain('expected inputs [inputs_embeds, attention_mask, past_key_values.0.key');
    expect(asVlm.message).toContain(
      'missing inputs inputs_embeds; inputs this backend cannot feed: input_ids',
    );
    const vlm = embedsGraph();
    const asText = refusal(() => matchDecoderLayout(config, vlm.inputs, vlm.outputs, FILE));
    expect(asText.message).toContain('it takes inputs_embeds instead of input_ids');
    expect(asText.message).toContain('load the whole folder as one');
  });

  test('rows of another width than hidden_size are a mismatch', () => {
    const graph = embedsGraph(64);
    const error = refusal(() =>
      matchDecoderLayout(config, graph.inputs, graph.outputs, FILE, 'inputs_embeds'),
    );
    expect(error.kind).toBe('mismatch');
    expect(error.message).toContain('inputs_embeds rows have 64 values but config.json says hidden_size 32');
  });
});

describe('batchingOf', () => {
  const layout = (positionIds: boolean) => ({
    numLayers: 2,
    positionIds,
    useCacheBranch: false,
    cacheType: 'float32' as const,
    logitsType: 'float32' as const,
  });
  const graph = (opType: string) => new TextEncoder().encode(`\x08\x01"\x13${opType}*\x04name`);
  test('pads with position_ids and standard attention; equal lengths otherwise', () => {
    expect(batchingOf(layout(true), graph('MatMul'))).toBe('padded');
    expect(batchingOf(layout(false), graph('MatMul'))).toBe('equal-lengths');
    expect(batchingOf(layout(true), graph('GroupQueryAttention'))).toBe('equal-lengths');
  });
  test('graphMentions finds a string anywhere, including at the end', () => {
    const bytes = new TextEncoder().encode('xxGroupQueryAttention');
    expect(graphMentions(bytes, 'GroupQueryAttention')).toBe(true);
    expect(graphMentions(bytes.subarray(0, bytes.length - 1), 'GroupQueryAttention')).toBe(false);
    expect(graphMentions(new Uint8Array(0), 'G')).toBe(false);
  });
});
