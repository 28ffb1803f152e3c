// The ONNX layouts of the Hugging Face Hub that the onnxruntime-web backend runs, and the check
// of a loaded graph's inputs and outputs against them. Pure: no onnxruntime import, so it is
// tested in Node.
//
// Text decoders (onnx-community and Xenova exports of GPT-2, Llama, Qwen2, SmolLM...):
//   onnx/decoder_model_merged{suffix}.onnx, suffix by dtype as transformers.js names them
//   (DEFAULT_DTYPE_SUFFIX_MAPPING): fp32 "", fp16 "_fp16", q8 "_quantized", int8 "_int8",
//   uint8 "_uint8", q4 "_q4", q4f16 "_q4f16", bnb4 "_bnb4". Weights above 2 GB sit in
//   "{file}_data", "{file}_data_1", ... when config.json's transformers.js_config says so.
//   inputs  input_ids, attention_mask, past_key_values.{i}.key|value; optional position_ids
//           (newer exports) and use_cache_branch (bool [1]; older Xenova merges with an If node)
//   outputs logits, present.{i}.key|value; cache tensors [batch, kvHeads, length, headDim]
// The decoder of an Idefics3/SmolVLM folder (./idefics3-layout.ts) has the same names with
// inputs_embeds [batch, seq, hidden] in place of input_ids (tokenInput 'inputs_embeds').
import type { ModelConfig } from '../config';
import { ModelLoadError, listNames } from '../loading/errors';

export const ONNX_DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'] as const;
export type OnnxDtype = (typeof ONNX_DTYPES)[number];

export const DTYPE_SUFFIX: Record<OnnxDtype, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

const DECODER_BASE = 'decoder_model_merged';

/** "onnx/vision_encoder_q4.onnx": a graph of the Hub layout by its base name and dtype. */
export function onnxFileName(base: string, dtype: OnnxDtype): string {
  return `onnx/${base}${DTYPE_SUFFIX[dtype]}.onnx`;
}

/** "onnx/decoder_model_merged_q4.onnx" */
export function decoderFileName(dtype: OnnxDtype): string {
  return onnxFileName(DECODER_BASE, dtype);
}

/** The dtype whose decoder file is `path` ("onnx/decoder_model_merged_fp16.onnx" -> fp16), else null. */
export function dtypeOfDecoderFile(path: string): OnnxDtype | null {
  return ONNX_DTYPES.find((dtype) => decoderFileName(dtype) === path) ?? null;
}

/** The base name of a Hub graph file ("onnx/embed_tokens_q4.onnx" -> "embed_tokens"). */
export function baseNameOf(file: string): string {
  const stem = file
    .split('/')
    .pop()!
    .replace(/\.onnx$/, '');
  // Longest suffix first: "_q4f16" before "_q4" (fp32's suffix is empty and never matches).
  const suffixes = Object.values(DTYPE_SUFFIX)
    .filter(Boolean)
    .sort((a, b) => b.length - a.length);
  const suffix = suffixes.find((s) => stem.endsWith(s));
  return suffix ? stem.slice(0, -suffix.length) : stem;
}

/**
 * External data files of `file` as transformers.js finds them: config.json's
 * `transformers.js_config.use_external_data_format` is true/a chunk count, or an object by file
 * name ("decoder_model_merged_q4.onnx") or base name ("decoder_model_merged", "vision_encoder").
 */
export function externalDataFiles(configJson: unknown, file: string): string[] {
  const jsConfig = (configJson as Record<string, unknown> | null)?.['transformers.js_config'];
  const setting = (jsConfig as Record<string, unknown> | undefined)?.use_external_data_format;
  const fullName = file.split('/').pop()!;
  let chunks = 0;
  if (typeof setting === 'boolean' || typeof setting === 'number') chunks = Number(setting);
  else if (setting && typeof setting === 'object') {
    const byFile = setting as Record<string, unknown>;
    chunks = Number(byFile[fullName] ?? byFile[baseNameOf(file)] ?? 0);
  }
  if (!Number.isInteger(chunks) || chunks < 0) chunks = 0;
  return Array.from({ length: chunks }, (_, i) => `${file}_data${i === 0 ? '' : `_${i}`}`);
}

/** One graph input or output as onnxruntime's session metadata describes it. */
export interface GraphValue {
  name: string;
  /** Element type ("float32", "int64", ...); null when unknown. */
  type: string | null;
  /** Dimensions: numbers, symbolic names, or null when unknown. */
  shape: readonly (number | string | null)[] | null;
}

/** What the decoder reads its new tokens as: ids (text decoders) or embeddings (Idefics3's decoder). */
export type TokenInput = 'input_ids' | 'inputs_embeds';

export interface DecoderLayout {
  numLayers: number;
  tokenInput: TokenInput;
  /** Element type of inputs_embeds (tokenInput 'inputs_embeds'); null for input_ids. */
  embedsType: 'float32' | 'float16' | null;
  /**
   * The graph takes position_ids (newer exports). Without it the graph numbers the new tokens from
   * the past length, so sequences can share a forward only when their lengths are equal.
   */
  positionIds: boolean;
  /** The graph takes use_cache_branch (bool [1]): true once the past is non-empty. */
  useCacheBranch: boolean;
  /** Element type of past_key_values / present. */
  cacheType: 'float32' | 'float16';
  logitsType: 'float32' | 'float16';
}

const pastName = (i: number, kind: 'key' | 'value') => `past_key_values.${i}.${kind}`;
const presentName = (i: number, kind: 'key' | 'value') => `present.${i}.${kind}`;

/** The names a decoder of `numLayers` layers must have. */
export function expectedDecoderNames(
  numLayers: number,
  tokenInput: TokenInput = 'input_ids',
): {
  inputs: string[];
  optional: string[];
  outputs: string[];
} {
  const inputs = [tokenInput, 'attention_mask'];
  const outputs = ['logits'];
  for (let i = 0; i < numLayers; i++) {
    inputs.push(pastName(i, 'key'), pastName(i, 'value'));
    outputs.push(presentName(i, 'key'), presentName(i, 'value'));
  }
  return { inputs, optional: ['position_ids', 'use_cache_branch'], outputs };
}

function cacheLayers(names: readonly string[], prefix: string): number {
  const pattern = new RegExp(`^${prefix.replace('.', '\\.')}\\.(\\d+)\\.(key|value)$`);
  let layers = 0;
  for (const name of names) {
    const match = pattern.exec(name);
    if (match) layers = Math.max(layers, Number(match[1]) + 1);
  }
  return layers;
}

/** Why a graph is not a decoder_model_merged, when its names say so plainly. */
function layoutHint(inputs: readonly string[], outputs: readonly string[], tokenInput: TokenInput): string {
  if (tokenInput === 'input_ids' && inputs.includes('inputs_embeds')) {
    return (
      'it takes inputs_embeds instead of input_ids: it is the decoder of a vision-language model ' +
      '(Idefics3/SmolVLM layout: vision_encoder, embed_tokens, decoder_model_merged); load the whole folder as ' +
      'one (its config.json says model_type "idefics3"), not this graph as a text decoder'
    );
  }
  if (tokenInput === 'inputs_embeds' && inputs.includes('input_ids')) {
    return (
      "it takes input_ids instead of inputs_embeds: it is a text decoder, not the decoder of an Idefics3 folder's " +
      'vision-language model (whose embed_tokens graph turns ids into inputs_embeds)'
    );
  }
  if (inputs.includes('pixel_values'))
    return 'it takes pixel_values: it is an image encoder, not a text decoder';
  if (!inputs.some((n) => n.startsWith('past_key_values.'))) {
    return (
      'it has no past_key_values inputs: it is a decoder without a KV cache (decoder_model.onnx) or not a ' +
      'decoder at all; choose the decoder_model_merged file of the repo'
    );
  }
  if (inputs.includes('encoder_hidden_states'))
    return 'it takes encoder_hidden_states: it is the decoder of an encoder-decoder model';
  if (!outputs.includes('logits')) return 'it has no logits output';
  return "its names are not those of the Hub's decoder_model_merged export";
}

function elementType(
  value: GraphValue | undefined,
  allowed: readonly string[],
  what: string,
  file: string,
): string {
  const type = value?.type ?? 'float32';
  if (!allowed.includes(type)) {
    throw new ModelLoadError(
      'format',
      `${file}: ${what} is ${type}; this backend reads ${allowed.join(' or ')} (export the model again or choose another dtype)`,
      file,
    );
  }
  return type;
}

/**
 * Checks the graph's inputs and outputs against the decoder_model_merged layout and config.json.
 * Throws a ModelLoadError naming what the graph has and what was expected.
 */
export function matchDecoderLayout(
  config: ModelConfig,
  inputs: readonly GraphValue[],
  outputs: readonly GraphValue[],
  file: string,
  tokenInput: TokenInput = 'input_ids',
): DecoderLayout {
  const inputNames = inputs.map((v) => v.name);
  const outputNames = outputs.map((v) => v.name);
  const graphLayers = cacheLayers(inputNames, 'past_key_values');
  const expected = expectedDecoderNames(config.numLayers, tokenInput);
  const missingInputs = expected.inputs.filter((n) => !inputNames.includes(n));
  const unknownInputs = inputNames.filter(
    (n) => !expected.inputs.includes(n) && !expected.optional.includes(n),
  );
  const missingOutputs = expected.outputs.filter((n) => !outputNames.includes(n));
  if (missingInputs.length > 0 || unknownInputs.length > 0 || missingOutputs.length > 0) {
    const found = `it has inputs [${listNames(inputNames, 12)}] and outputs [${listNames(outputNames, 12)}]`;
    const wanted =
      `expected inputs [${listNames(expected.inputs, 12)}] (optional: ${expected.optional.join(', ')}) ` +
      `and outputs [${listNames(expected.outputs, 12)}]`;
    if (
      graphLayers > 0 &&
      graphLayers !== config.numLayers &&
      unknownInputs.every((n) => n.startsWith('past_key_values.'))
    ) {
      throw new ModelLoadError(
        'mismatch',
        `${file} has a KV cache for ${graphLayers} layers but config.json says num_hidden_layers ${config.numLayers}: ` +
          `the graph and config.json must come from the same repo (${found}; ${wanted})`,
        file,
      );
    }
    const problems = [
      missingInputs.length > 0 ? `missing inputs ${listNames(missingInputs)}` : '',
      unknownInputs.length > 0 ? `inputs this backend cannot feed: ${listNames(unknownInputs)}` : '',
      missingOutputs.length > 0 ? `missing outputs ${listNames(missingOutputs)}` : '',
    ].filter(Boolean);
    const what = tokenInput === 'input_ids' ? 'text decoder' : 'vision-language decoder (inputs_embeds)';
    throw new ModelLoadError(
      'format',
      `${file} is not a supported ${what}: ${layoutHint(inputNames, outputNames, tokenInput)} (${problems.join('; ')}). ` +
        `${found}; ${wanted}.`,
      file,
    );
  }
  const byName = new Map(inputs.map((v) => [v.name, v]));
  const outByName = new Map(outputs.map((v) => [v.name, v]));
  for (const name of ['input_ids', 'attention_mask', 'position_ids']) {
    if (byName.has(name)) elementType(byName.get(name), ['int64'], `input ${name}`, file);
  }
  let embedsType: DecoderLayout['embedsType'] = null;
  if (tokenInput === 'inputs_embeds') {
    const embeds = byName.get('inputs_embeds');
    embedsType = elementType(embeds, ['float32', 'float16'], 'input inputs_embeds', file) as
      'float32' | 'float16';
    const width = embeds?.shape?.[2];
    if (typeof width === 'number' && width !== config.hiddenSize) {
      throw new ModelLoadError(
        'mismatch',
        `${file}: inputs_embeds rows have ${width} values but config.json says hidden_size ${config.hiddenSize}: ` +
          'the graph and config.json must come from the same repo',
        file,
      );
    }
  }
  const cacheType = elementType(byName.get(pastName(0, 'key')), ['float32', 'float16'], 'the KV cache', file);
  for (let i = 0; i < config.numLayers; i++) {
    for (const kind of ['key', 'value'] as const) {
      for (const value of [byName.get(pastName(i, kind)), outByName.get(presentName(i, kind))]) {
        const type = elementType(value, ['float32', 'float16'], value!.name, file);
        if (type !== cacheType) {
          throw new ModelLoadError(
            'format',
            `${file}: ${value!.name} is ${type} but ${pastName(0, 'key')} is ${cacheType}`,
            file,
          );
        }
        const shape = value!.shape;
        const heads = shape?.[1];
        const headDim = shape?.[3];
        if (
          (typeof heads === 'number' && heads !== config.numKeyValueHeads) ||
          (typeof headDim === 'number' && headDim !== config.headDim)
        ) {
          throw new ModelLoadError(
            'mismatch',
            `${file}: ${value!.name} has shape [${shape!.join(', ')}] but config.json implies ` +
              `[batch, ${config.numKeyValueHeads}, length, ${config.headDim}] (key/value heads, head dimension): ` +
              'the graph and config.json must come from the same repo',
            file,
          );
        }
      }
    }
  }
  const logits = outByName.get('logits');
  const logitsType = elementType(logits, ['float32', 'float16'], 'output logits', file);
  const vocab = logits?.shape?.[2];
  if (typeof vocab === 'number' && vocab !== config.vocabSize) {
    throw new ModelLoadError(
      'mismatch',
      `${file}: logits have ${vocab} entries per row but config.json says vocab_size ${config.vocabSize}`,
      file,
    );
  }
  return {
    numLayers: config.numLayers,
    tokenInput,
    embedsType,
    positionIds: byName.has('position_ids'),
    useCacheBranch: byName.has('use_cache_branch'),
    cacheType: cacheType as DecoderLayout['cacheType'],
    logitsType: logitsType as DecoderLayout['logitsType'],
  };
}

/**
 * Operators that read a sequence's valid cache from the start of its rows (onnxruntime's
 * GroupQueryAttention takes per-row lengths from attention_mask and assumes right padding), so a
 * batch with a left-padded past would read padding: such graphs only batch equal lengths.
 */
const PADDING_SENSITIVE_OPS = ['GroupQueryAttention'];

/**
 * Whether the encoded graph mentions `text` (an operator type is stored as plain UTF-8 in each
 * NodeProto; a node name that contains it counts too, which only makes batching more careful).
 */
export function graphMentions(bytes: Uint8Array, text: string): boolean {
  const needle = new TextEncoder().encode(text);
  for (
    let at = bytes.indexOf(needle[0]);
    at !== -1 && at + needle.length <= bytes.length;
    at = bytes.indexOf(needle[0], at + 1)
  ) {
    let i = 1;
    while (i < needle.length && bytes[at + i] === needle[i]) i++;
    if (i === needle.length) return true;
  }
  return false;
}

/**
 * 'padded': sequences of unequal lengths share one run (left-padded past, position_ids given).
 * 'equal-lengths': only sequences with equal cached and new lengths share a run (no position_ids,
 * or a padding-sensitive operator).
 */
export function batchingOf(
  layout: Pick<DecoderLayout, 'positionIds'>,
  decoderBytes: Uint8Array,
): 'padded' | 'equal-lengths' {
  if (!layout.positionIds) return 'equal-lengths';
  return PADDING_SENSITIVE_OPS.some((op) => graphMentions(decoderBytes, op)) ? 'equal-lengths' : 'padded';
}
