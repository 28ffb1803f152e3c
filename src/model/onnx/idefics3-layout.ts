// The Idefics3 / SmolVLM layout of the Hub's ONNX repositories (onnx-community/SmolVLM-256M-Instruct,
// onnx-community/SmolVLM-500M-Instruct...), as transformers.js loads and runs it
// (huggingface/transformers.js: the ImageTextToText sessions { embed_tokens, vision_encoder,
// decoder_model_merged } in src/models.js; Idefics3ForConditionalGeneration.encode_image in
// src/models/idefics3/modeling_idefics3.js; encode_text and the masked scatter of
// default_merge_input_ids_with_image_features in src/models.js):
//
//   onnx/vision_encoder{suffix}.onnx   pixel_values [batch, num_images, 3, H, W] f32,
//                                      pixel_attention_mask [batch, num_images, H, W] bool
//                                      -> image_features [frames, image_seq_len, hidden]
//   onnx/embed_tokens{suffix}.onnx     input_ids [batch, seq] int64 -> inputs_embeds [batch, seq, hidden]
//   onnx/decoder_model_merged{suffix}.onnx   inputs_embeds, attention_mask, position_ids,
//                                      past_key_values.{i}.key|value -> logits, present.{i}.key|value
//
// Suffixes by dtype as for text decoders (layout.ts). This file checks the first two graphs' names
// and types; the decoder is checked by matchDecoderLayout with tokenInput 'inputs_embeds'. Pure.
import { ModelLoadError, listNames } from '../loading/errors';
import { onnxFileName, type GraphValue, type OnnxDtype } from './layout';

export const IDEFICS3_PARTS = ['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const;
export type Idefics3Part = (typeof IDEFICS3_PARTS)[number];

/** "onnx/vision_encoder_q4.onnx" */
export function idefics3FileName(part: Idefics3Part, dtype: OnnxDtype): string {
  return onnxFileName(part, dtype);
}

type FloatType = 'float32' | 'float16';

export interface VisionEncoderLayout {
  pixelType: FloatType;
  /** The graph takes pixel_attention_mask (transformers.js feeds it when the graph has it). */
  attentionMask: boolean;
  featuresType: FloatType;
}

export interface EmbedTokensLayout {
  embedsType: FloatType;
}

interface Expected {
  inputs: string[];
  optional: string[];
  outputs: string[];
}

export const VISION_ENCODER_NAMES: Expected = {
  inputs: ['pixel_values'],
  optional: ['pixel_attention_mask'],
  outputs: ['image_features'],
};

export const EMBED_TOKENS_NAMES: Expected = {
  inputs: ['input_ids'],
  optional: [],
  outputs: ['inputs_embeds'],
};

/** Which graph of the folder the names look like, when it is another one. */
function partHint(inputs: readonly string[], outputs: readonly string[], part: Idefics3Part): string {
  const looksLike: Idefics3Part | null = inputs.includes('pixel_values')
    ? 'vision_encoder'
    : outputs.includes('inputs_embeds')
      ? 'embed_tokens'
      : outputs.includes('logits')
        ? 'decoder_model_merged'
        : null;
  if (looksLike && looksLike !== part) return `: it looks like the ${looksLike} graph, not the ${part}`;
  return '';
}

/** Refuses a graph whose names differ from `expected`, naming what it has and what was expected. */
function checkNames(
  inputs: readonly GraphValue[],
  outputs: readonly GraphValue[],
  expected: Expected,
  part: Idefics3Part,
  file: string,
): void {
  const inputNames = inputs.map((v) => v.name);
  const outputNames = outputs.map((v) => v.name);
  const missingInputs = expected.inputs.filter((n) => !inputNames.includes(n));
  const unknownInputs = inputNames.filter(
    (n) => !expected.inputs.includes(n) && !expected.optional.includes(n),
  );
  const missingOutputs = expected.outputs.filter((n) => !outputNames.includes(n));
  if (missingInputs.length === 0 && unknownInputs.length === 0 && missingOutputs.length === 0) return;
  const problems = [
    missingInputs.length > 0 ? `missing inputs ${listNames(missingInputs)}` : '',
    unknownInputs.length > 0 ? `inputs this backend cannot feed: ${listNames(unknownInputs)}` : '',
    missingOutputs.length > 0 ? `missing outputs ${listNames(missingOutputs)}` : '',
  ].filter(Boolean);
  const optional = expected.optional.length > 0 ? ` (optional: ${expected.optional.join(', ')})` : '';
  throw new ModelLoadError(
    'format',
    `${file} is not the ${part} graph of an Idefics3/SmolVLM folder${partHint(inputNames, outputNames, part)} ` +
      `(${problems.join('; ')}). It has inputs [${listNames(inputNames, 12)}] and outputs [${listNames(outputNames, 12)}]; ` +
      `expected inputs [${expected.inputs.join(', ')}]${optional} and outputs [${expected.outputs.join(', ')}].`,
    file,
  );
}

function typeOf(
  value: GraphValue | undefined,
  allowed: readonly string[],
  what: string,
  file: string,
): string {
  const type = value?.type ?? allowed[0];
  if (!allowed.includes(type)) {
    throw new ModelLoadError(
      'format',
      `${file}: ${what} is ${type}; this backend feeds ${allowed.join(' or ')}`,
      file,
    );
  }
  return type;
}

/** A known dimension that contradicts config.json is a mismatch; symbolic ones pass. */
function checkDim(value: GraphValue, axis: number, want: number, meaning: string, file: string): void {
  const got = value.shape?.[axis];
  if (typeof got === 'number' && got !== want) {
    throw new ModelLoadError(
      'mismatch',
      `${file}: ${value.name} has shape [${value.shape!.join(', ')}], but ${meaning} is ${want} ` +
        '(config.json and preprocessor_config.json must come from the same repo as the graph)',
      file,
    );
  }
}

export function matchVisionEncoderLayout(
  inputs: readonly GraphValue[],
  outputs: readonly GraphValue[],
  file: string,
  expect: { channels: number; frameSize: number; hiddenSize: number },
): VisionEncoderLayout {
  checkNames(inputs, outputs, VISION_ENCODER_NAMES, 'vision_encoder', file);
  const pixels = inputs.find((v) => v.name === 'pixel_values')!;
  const mask = inputs.find((v) => v.name === 'pixel_attention_mask');
  const features = outputs.find((v) => v.name === 'image_features')!;
  const pixelType = typeOf(pixels, ['float32', 'float16'], 'input pixel_values', file) as FloatType;
  if (mask) typeOf(mask, ['bool'], 'input pixel_attention_mask', file);
  const featuresType = typeOf(features, ['float32', 'float16'], 'output image_features', file) as FloatType;
  checkDim(pixels, 2, expect.channels, 'the number of channels (vision_config.num_channels)', file);
  checkDim(pixels, 3, expect.frameSize, 'the frame height (max_image_size.longest_edge)', file);
  checkDim(pixels, 4, expect.frameSize, 'the frame width (max_image_size.longest_edge)', file);
  const rank = features.shape?.length;
  if (rank !== undefined) checkDim(features, rank - 1, expect.hiddenSize, "the decoder's hidden_size", file);
  return { pixelType, attentionMask: mask !== undefined, featuresType };
}

export function matchEmbedTokensLayout(
  inputs: readonly GraphValue[],
  outputs: readonly GraphValue[],
  file: string,
  hiddenSize: number,
): EmbedTokensLayout {
  checkNames(inputs, outputs, EMBED_TOKENS_NAMES, 'embed_tokens', file);
  typeOf(
    inputs.find((v) => v.name === 'input_ids'),
    ['int64'],
    'input input_ids',
    file,
  );
  const embeds = outputs.find((v) => v.name === 'inputs_embeds')!;
  const embedsType = typeOf(embeds, ['float32', 'float16'], 'output inputs_embeds', file) as FloatType;
  checkDim(embeds, 2, hiddenSize, "the decoder's hidden_size", file);
  return { embedsType };
}

/** The three graphs must agree on the embedding type: image rows are copied into the token rows. */
export function checkEmbeddingTypes(
  parts: { vision: FloatType; embed: FloatType; decoder: FloatType },
  files: { vision: string; embed: string; decoder: string },
): void {
  if (parts.vision === parts.embed && parts.embed === parts.decoder) return;
  throw new ModelLoadError(
    'mismatch',
    `the graphs disagree on the embedding type: ${files.vision} gives ${parts.vision} image_features, ` +
      `${files.embed} gives ${parts.embed} inputs_embeds and ${files.decoder} takes ${parts.decoder} inputs_embeds; ` +
      'choose one dtype for all three',
    files.decoder,
  );
}
