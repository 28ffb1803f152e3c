// Exports one of LogitLab's own vision-language model folders (config.json with vision_config,
// model.safetensors, tokenizer files) to the Hub's Idefics3 / SmolVLM ONNX layout
// (../idefics3-layout.ts), so the ONNX backend's VLM path runs a real model of ours:
//   onnx/vision_encoder.onnx, onnx/embed_tokens.onnx   (./vision.ts)
//   onnx/decoder_model_merged.onnx                     (./llama.ts with inputsEmbeds)
//   config.json              model_type "idefics3": image_token_id, text_config (the decoder's
//                            config.json without its vision keys), vision_config, scale_factor 1
//   preprocessor_config.json Idefics3's preprocessing reduced to the identity on our images:
//                            size and max_image_size = image_size (no resize), no splitting,
//                            rescale 1/255 and mean 0, std 1, so pixel_values are the image's
//                            [0, 1] values the WGSL engine reads (../preprocess-idefics3.ts reads
//                            a value v as the byte 255 v)
//   processor_config.json    image_seq_len = numPatches (one frame per image)
//   generation_config.json, tokenizer.json, tokenizer_config.json (copied)
import { expectedTensors } from '../../architectures/tensors';
import { parseModelConfig, type ModelConfig } from '../../config';
import { parseJsonFile } from '../../loading/download';
import { parseSafetensors } from '../../loading/safetensors';
import { idefics3FileName } from '../idefics3-layout';
import type { FolderFiles } from './folder';
import { exportLlamaDecoder, type WeightSource } from './llama';
import { exportEmbedTokens, exportVisionEncoder } from './vision';

const COPIED = ['generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];

const json = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);

/** The three JSON files of the Idefics3 layout for `config` (its config.json as `configJson`). */
export function idefics3ConfigFiles(configJson: Record<string, unknown>, config: ModelConfig): FolderFiles {
  const vision = config.vision;
  if (!vision) throw new Error('idefics3ConfigFiles: the config has no vision_config');
  const text = Object.fromEntries(
    Object.entries(configJson).filter(
      ([key]) => !['vision_config', 'image_token_id', 'architectures'].includes(key),
    ),
  );
  const top: Record<string, unknown> = {
    architectures: ['Idefics3ForConditionalGeneration'],
    model_type: 'idefics3',
    image_token_id: vision.imageTokenId,
    scale_factor: 1,
    vocab_size: config.vocabSize,
    tie_word_embeddings: config.tieWordEmbeddings,
    text_config: text,
    vision_config: {
      model_type: 'idefics3_vision',
      image_size: vision.imageSize,
      patch_size: vision.patchSize,
      num_channels: vision.channels,
      hidden_size: config.hiddenSize,
    },
  };
  for (const key of ['bos_token_id', 'eos_token_id', 'pad_token_id']) {
    if (configJson[key] !== undefined) top[key] = configJson[key];
  }
  return {
    'config.json': json(top),
    'preprocessor_config.json': json({
      image_processor_type: 'Idefics3ImageProcessor',
      processor_class: 'Idefics3Processor',
      do_convert_rgb: true,
      do_resize: true,
      size: { longest_edge: vision.imageSize },
      resample: 2,
      do_rescale: true,
      rescale_factor: 1 / 255,
      do_normalize: true,
      image_mean: Array<number>(vision.channels).fill(0),
      image_std: Array<number>(vision.channels).fill(1),
      do_pad: false,
      do_image_splitting: false,
      max_image_size: { longest_edge: vision.imageSize },
    }),
    'processor_config.json': json({ processor_class: 'Idefics3Processor', image_seq_len: vision.numPatches }),
  };
}

/** Files of the Idefics3 layout for the vision-language model in `files`. */
export function exportIdefics3Folder(files: FolderFiles, name: string): FolderFiles {
  const need = (file: string): Uint8Array => {
    const bytes = files[file];
    if (!bytes) throw new Error(`export ${name}: ${file} is missing (have ${Object.keys(files).join(', ')})`);
    return bytes;
  };
  const configJson = parseJsonFile(need('config.json'), 'config.json') as Record<string, unknown>;
  const config = parseModelConfig(configJson, 'config.json');
  if (!config.vision)
    throw new Error(`export ${name}: config.json has no vision_config; export it with exportOnnxFolder`);
  if (config.architecture !== 'llama')
    throw new Error(
      `export ${name}: the Idefics3 export writes Llama-family decoders, not ${config.modelType}`,
    );
  const checkpoint = parseSafetensors(new Uint8Array(need('model.safetensors')), 'model.safetensors');
  const missing = expectedTensors(config).filter((t) => !checkpoint.tensors.has(t.name));
  if (missing.length > 0) {
    throw new Error(`export ${name}: model.safetensors lacks ${missing.map((t) => t.name).join(', ')}`);
  }
  const weights: WeightSource = {
    get: (tensor) => {
      const found = checkpoint.tensors.get(tensor);
      if (!found) throw new Error(`export ${name}: model.safetensors has no tensor ${tensor}`);
      return found.toFloat32();
    },
  };
  const out: FolderFiles = { ...idefics3ConfigFiles(configJson, config) };
  for (const file of COPIED) if (files[file]) out[file] = files[file];
  out[idefics3FileName('vision_encoder', 'fp32')] = exportVisionEncoder(config, weights, name);
  out[idefics3FileName('embed_tokens', 'fp32')] = exportEmbedTokens(config, weights, name);
  out[idefics3FileName('decoder_model_merged', 'fp32')] = exportLlamaDecoder(config, weights, name, {
    inputsEmbeds: true,
  });
  return out;
}
