// Exports a model folder of LogitLab's own format (config.json, model.safetensors, tokenizer files)
// to the file layout of the Hub's ONNX repositories (onnx-community / Xenova):
//   config.json, generation_config.json, tokenizer.json, tokenizer_config.json (copied as they are)
//   onnx/decoder_model_merged.onnx                                             (./llama.ts)
// Runs in Node (scripts/export-onnx.mjs) and in the page (tests build bad graphs with it).
import { parseModelConfig } from '../../config';
import { expectedTensors } from '../../architectures/tensors';
import { parseJsonFile } from '../../loading/download';
import { parseSafetensors } from '../../loading/safetensors';
import { exportLlamaDecoder, type ExportOptions } from './llama';

export type FolderFiles = Record<string, Uint8Array>;

/** The Hub's file name of the merged decoder (fp32); dtype variants add a suffix (../layout.ts). */
export const DECODER_FILE = 'onnx/decoder_model_merged.onnx';

const COPIED = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];

/** Files of the Hub ONNX layout for the model in `files` (a folder of config.json + model.safetensors). */
export function exportOnnxFolder(files: FolderFiles, name: string, options: ExportOptions = {}): FolderFiles {
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
    options,
  );
  const out: FolderFiles = {};
  for (const file of COPIED) if (files[file]) out[file] = files[file];
  out[DECODER_FILE] = decoder;
  return out;
}
