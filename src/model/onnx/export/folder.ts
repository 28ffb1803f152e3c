// Exports a model folder of LogitLab's own format (config.json, model.safetensors, tokenizer files)
// to the file layout of the Hub's ONNX repositories (onnx-community / Xenova):
//   config.json, generation_config.json, tokenizer.json, tokenizer_config.json (copied as they are)
//   onnx/decoder_model_merged.onnx                                             (./llama.ts)
// dtype fp16 writes onnx/decoder_model_merged_fp16.onnx instead: the interface of the Hub's fp16
// exports (float16 logits and KV cache) around f32 weights and arithmetic, so a test can tell the
// backend's float16 handling apart from half-precision weights.
// Runs in Node (scripts/export-onnx.mjs) and in the page (tests build bad graphs with it).
import { parseModelConfig } from '../../config';
import { expectedTensors } from '../../architectures/tensors';
import { parseJsonFile } from '../../loading/download';
import { parseSafetensors } from '../../loading/safetensors';
import { decoderFileName } from '../layout';
import { exportLlamaDecoder, type ExportOptions } from './llama';

export type FolderFiles = Record<string, Uint8Array>;

/** The Hub's file name of the merged decoder (fp32); dtype variants add a suffix (../layout.ts). */
export const DECODER_FILE = 'onnx/decoder_model_merged.onnx';

/** The Hub dtypes whose decoder interface the exporter writes. */
export const EXPORT_DTYPES = ['fp32', 'fp16'] as const;
export type ExportDtype = (typeof EXPORT_DTYPES)[number];

export interface FolderExportOptions extends ExportOptions {
  /** Default fp32; fp16 sets logitsType and cacheType to float16 unless they are given. */
  dtype?: ExportDtype;
}

const COPIED = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];

/** Files of the Hub ONNX layout for the model in `files` (a folder of config.json + model.safetensors). */
export function exportOnnxFolder(
  files: FolderFiles,
  name: string,
  options: FolderExportOptions = {},
): FolderFiles {
  const { dtype = 'fp32', ...graphOptions } = options;
  if (!EXPORT_DTYPES.includes(dtype)) {
    throw new Error(`export ${name}: dtype "${String(dtype)}" is not one of ${EXPORT_DTYPES.join(', ')}`);
  }
  const need = (file: string): Uint8Array => {
    const bytes = files[file];
    if (!bytes) throw new Error(`export ${name}: ${file} is missing (have ${Object.keys(files).join(', ')})`);
    return bytes;
  };
  const config = parseModelConfig(parseJsonFile(need('config.json'), 'config.json'), 'config.json');
  const weightsFile = need('model.safetensors');
  // parseSafetensors wants an ArrayBuffer-backed view; copy once if the caller's is shared.
  const checkpoint = parseSafetensors(new Uint8Array(weightsFile), 'model.safetensors');
  const missing = expectedTensors(config).filter((t) => !checkpoint.tensors.has(t.name));
  if (missing.length > 0) {
    throw new Error(`export ${name}: model.safetensors lacks ${missing.map((t) => t.name).join(', ')}`);
  }
  const decoder = exportLlamaDecoder(
    config,
    {
      get: (tensor) => {
        const found = checkpoint.tensors.get(tensor);
        if (!found) throw new Error(`export ${name}: model.safetensors has no tensor ${tensor}`);
        return found.toFloat32();
      },
    },
    name,
    dtype === 'fp16' ? { logitsType: 'float16', cacheType: 'float16', ...graphOptions } : graphOptions,
  );
  const out: FolderFiles = {};
  for (const file of COPIED) if (files[file]) out[file] = files[file];
  out[decoderFileName(dtype)] = decoder;
  return out;
}
