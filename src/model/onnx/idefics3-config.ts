// The configuration files of an Idefics3 / SmolVLM folder as the ONNX backend needs them:
//   config.json            model_type "idefics3" (or "smolvlm"), image_token_id, text_config (the
//                          Llama decoder's sizes), vision_config (num_channels, image_size, patch_size),
//                          scale_factor
//   preprocessor_config.json   the image preprocessing (./preprocess-idefics3.ts)
//   processor_config.json  image_seq_len: image_features rows per frame (transformers.js's
//                          Idefics3Processor reads it from there; when the file is absent it is
//                          (image_size / patch_size)^2 / scale_factor^2, transformers' own default rule)
// The model's VisionConfig (src/model/config.ts) describes the images the LanguageModel interface
// takes: square, imageSize = max_image_size.longest_edge unless asked otherwise, and numPatches =
// the "<image>" tokens one such image becomes (frames x image_seq_len); patchSize and patchDim
// are vision_config's (informative: the vision encoder graph owns the patching). Pure.
import type { ModelConfig } from '../config';
import { ModelLoadError } from '../loading/errors';
import { imageTokenCount } from './idefics3-prompt';
import { parseOnnxModelConfig } from './loadOnnxFolder';
import {
  imageGeometry,
  parseIdefics3Preprocessing,
  type Idefics3Preprocessing,
  type ImageGeometry,
} from './preprocess-idefics3';

/** config.json model types whose folders have the Idefics3 layout (SmolVLM extends Idefics3). */
export const IDEFICS3_MODEL_TYPES = ['idefics3', 'smolvlm'];

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** True for the config.json of an Idefics3 / SmolVLM folder. */
export function isIdefics3ConfigJson(json: unknown): boolean {
  return (
    isObject(json) && typeof json.model_type === 'string' && IDEFICS3_MODEL_TYPES.includes(json.model_type)
  );
}

export interface Idefics3Options {
  /** Side of the square images the model takes; default max_image_size.longest_edge. */
  imageSize?: number;
  /** Overrides preprocessor_config.json's do_image_splitting. */
  imageSplitting?: boolean;
}

export interface Idefics3Config {
  /** The text decoder's sizes, with `vision` describing the images forward() takes. */
  config: ModelConfig & { vision: NonNullable<ModelConfig['vision']> };
  preprocessing: Idefics3Preprocessing;
  /** image_features rows per frame. */
  imageSeqLen: number;
  /** Frames (and prompt rows and columns) of one image of imageSize x imageSize. */
  geometry: ImageGeometry;
}

function positiveInt(value: unknown, key: string, file: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ModelLoadError(
      'format',
      `${file}: "${key}" must be a positive integer, got ${JSON.stringify(value)}`,
      file,
    );
  }
  return value;
}

function imageSeqLenOf(vision: Json, scale: number, processorJson: unknown): number {
  const fromProcessor = isObject(processorJson)
    ? positiveInt(processorJson.image_seq_len, 'image_seq_len', 'processor_config.json')
    : undefined;
  if (fromProcessor !== undefined) return fromProcessor;
  const side = positiveInt(vision.image_size, 'vision_config.image_size', 'config.json');
  const patch = positiveInt(vision.patch_size, 'vision_config.patch_size', 'config.json');
  if (side === undefined || patch === undefined || side % patch !== 0 || (side / patch) % scale !== 0) {
    throw new ModelLoadError(
      'missing-file',
      'processor_config.json with "image_seq_len" is missing, and config.json\'s vision_config (image_size ' +
        `${String(vision.image_size)}, patch_size ${String(vision.patch_size)}, scale_factor ${scale}) does not ` +
        'give it either: take processor_config.json from the same repo',
      'processor_config.json',
    );
  }
  return (side / patch / scale) ** 2;
}

/** Parses the three files; errors name the file and the key. */
export function parseIdefics3Config(
  configJson: unknown,
  preprocessorJson: unknown,
  processorJson: unknown,
  options: Idefics3Options = {},
): Idefics3Config {
  if (!isIdefics3ConfigJson(configJson)) {
    const type = isObject(configJson) ? JSON.stringify(configJson.model_type) : 'not an object';
    throw new ModelLoadError(
      'format',
      `config.json: model_type ${type} is not an Idefics3 layout (${IDEFICS3_MODEL_TYPES.join(', ')})`,
      'config.json',
    );
  }
  const c = configJson as Json;
  const text = c.text_config ?? {};
  if (!isObject(text))
    throw new ModelLoadError('format', 'config.json: "text_config" must be an object', 'config.json');
  const vision = c.vision_config ?? {};
  if (!isObject(vision))
    throw new ModelLoadError('format', 'config.json: "vision_config" must be an object', 'config.json');
  // Keys Idefics3Config keeps at the top level are the text model's defaults.
  const inherited: Json = {};
  for (const key of ['vocab_size', 'bos_token_id', 'eos_token_id', 'pad_token_id', 'tie_word_embeddings']) {
    if (c[key] !== undefined) inherited[key] = c[key];
  }
  const decoder = parseOnnxModelConfig(
    { model_type: 'llama', ...inherited, ...text },
    'config.json (text_config)',
  );
  const imageTokenId = c.image_token_id;
  if (
    typeof imageTokenId !== 'number' ||
    !Number.isInteger(imageTokenId) ||
    imageTokenId < 0 ||
    imageTokenId >= decoder.vocabSize
  ) {
    throw new ModelLoadError(
      'format',
      `config.json: "image_token_id" must be a token id below vocab_size ${decoder.vocabSize}, got ${JSON.stringify(imageTokenId)}`,
      'config.json',
    );
  }
  const channels = positiveInt(vision.num_channels, 'vision_config.num_channels', 'config.json') ?? 3;
  if (channels !== 3) {
    throw new ModelLoadError(
      'format',
      `config.json: vision_config.num_channels is ${channels}; Idefics3 reads RGB (3)`,
      'config.json',
    );
  }
  const scale = positiveInt(c.scale_factor, 'scale_factor', 'config.json') ?? 1;
  const preprocessing = parseIdefics3Preprocessing(preprocessorJson, channels);
  if (options.imageSplitting !== undefined) preprocessing.doImageSplitting = options.imageSplitting;
  const imageSize = options.imageSize ?? preprocessing.maxImageSize;
  if (!Number.isInteger(imageSize) || imageSize < 1) {
    throw new ModelLoadError('input', `imageSize must be a positive integer, got ${imageSize}`);
  }
  const imageSeqLen = imageSeqLenOf(vision, scale, processorJson);
  const geometry = imageGeometry({ height: imageSize, width: imageSize }, preprocessing);
  const patchSize = positiveInt(vision.patch_size, 'vision_config.patch_size', 'config.json') ?? imageSize;
  return {
    config: {
      ...decoder,
      vision: {
        imageSize,
        patchSize,
        channels,
        numPatches: imageTokenCount(geometry.rows, geometry.cols, imageSeqLen),
        patchDim: patchSize * patchSize * channels,
        imageTokenId,
      },
    },
    preprocessing,
    imageSeqLen,
    geometry,
  };
}
