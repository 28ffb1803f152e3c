// Loads a Hub ONNX repository (or a folder with its layout, from any ModelSource: Hub, URL, local
// files) for the onnxruntime-web backend: config.json, the tokenizer files, and
// onnx/decoder_model_merged{suffix}.onnx of the chosen dtype with its external data files.
// Returns everything or throws a ModelLoadError that names the file; nothing touches the GPU.
import { parseModelConfig, type ModelConfig } from '../config';
import { parseJsonFile, type ProgressCallback } from '../loading/download';
import { ModelLoadError, listNames } from '../loading/errors';
import type { ModelSource, OpenOptions, OpenedFile } from '../loading/sources';
import {
  DTYPE_SUFFIX,
  ONNX_DTYPES,
  decoderFileName,
  dtypeOfDecoderFile,
  externalDataFiles,
  type OnnxDtype,
} from './layout';

export interface LoadOnnxOptions {
  /** Which decoder file (see layout.ts); default fp32. */
  dtype?: OnnxDtype;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  onWarning?: (message: string) => void;
}

export interface LoadedOnnxFolder {
  /** The source's description ("onnx-community/Qwen2.5-0.5B-Instruct @ main (Hugging Face Hub)"). */
  name: string;
  config: ModelConfig;
  dtype: OnnxDtype;
  /** "onnx/decoder_model_merged_q4.onnx" */
  decoderFile: string;
  decoderBytes: Uint8Array;
  /** onnxruntime's externalData: paths as the graph names them (file names next to the decoder). */
  externalData: { path: string; data: Uint8Array }[];
  tokenizerJson: unknown;
  tokenizerConfig: unknown | null;
  generationConfig: unknown | null;
  /** SHA-256 (hex) of every file, by name (ModelInfo.fileHashes). */
  fileHashes: Record<string, string>;
  totalBytes: number;
  warnings: string[];
}

/**
 * config.json keys that change the computation of the WGSL engine but not of an ONNX graph (the
 * graph already computes them): the engine's parser refuses them, this backend ignores them.
 */
const GRAPH_OWNED_KEYS = ['rope_scaling', 'use_sliding_window', 'attention_bias', 'mlp_bias'];

/** config.json as the ONNX backend needs it: sizes and token ids; the graph owns the math. */
export function parseOnnxModelConfig(json: unknown, file = 'config.json'): ModelConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return parseModelConfig(json, file);
  const relaxed: Record<string, unknown> = { ...(json as Record<string, unknown>) };
  for (const key of GRAPH_OWNED_KEYS) delete relaxed[key];
  if (relaxed.model_type === 'gpt2') delete relaxed.activation_function;
  else delete relaxed.hidden_act;
  return parseModelConfig(relaxed, file);
}

function requireObject(value: unknown, file: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelLoadError('format', `${file} is not a JSON object: take it from the same repo`, file);
  }
  return value as Record<string, unknown>;
}

/** The missing-decoder message: which variants the folder has, when the source can list it. */
function missingDecoder(source: ModelSource, file: string, dtype: OnnxDtype): ModelLoadError {
  const listed = source.list();
  const variants = listed?.map((name) => dtypeOfDecoderFile(name)).filter((d): d is OnnxDtype => d !== null);
  let advice: string;
  if (variants && variants.length > 0)
    advice = `it has the dtypes ${variants.join(', ')}: choose one of them`;
  else if (listed?.includes('model.safetensors') || listed?.includes('model.safetensors.index.json')) {
    advice = 'it is a safetensors checkpoint: load it with the WGSL engine instead';
  } else {
    advice =
      `the Hub's ONNX repos (onnx-community/..., Xenova/...) name the decoder ${decoderFileName('fp32')} ` +
      `plus a suffix per dtype (${ONNX_DTYPES.map((d) => `${d} ${DTYPE_SUFFIX[d] || '(none)'}`).join(', ')}); ` +
      'choose a dtype the repo has';
  }
  return new ModelLoadError(
    'missing-file',
    `${source.describe()} has no ${file} (dtype ${dtype})` +
      (listed ? ` (it holds ${listed.length > 0 ? listNames(listed) : 'no files'})` : '') +
      `: ${advice}`,
    file,
  );
}

export async function loadOnnxFolder(
  source: ModelSource,
  options: LoadOnnxOptions = {},
): Promise<LoadedOnnxFolder> {
  const { signal, onProgress } = options;
  const dtype = options.dtype ?? 'fp32';
  if (!ONNX_DTYPES.includes(dtype)) {
    throw new ModelLoadError('input', `dtype "${String(dtype)}" is not one of ${ONNX_DTYPES.join(', ')}`);
  }
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    options.onWarning?.(message);
  };
  const opened: OpenedFile[] = [];
  const open = async (file: string, extra: Partial<OpenOptions> = {}): Promise<OpenedFile | null> => {
    const result = await source.open(file, { signal, onProgress, onWarning: warn, ...extra });
    if (result) opened.push(result);
    return result;
  };
  const required = (result: OpenedFile | null, file: string): OpenedFile => {
    if (!result)
      throw new ModelLoadError('missing-file', `${file} is missing from ${source.describe()}`, file);
    return result;
  };

  const configJson = parseJsonFile(required(await open('config.json'), 'config.json').bytes, 'config.json');
  const config = parseOnnxModelConfig(configJson, 'config.json');
  const tokenizerJson = parseJsonFile(
    required(await open('tokenizer.json'), 'tokenizer.json').bytes,
    'tokenizer.json',
  );
  if (typeof requireObject(tokenizerJson, 'tokenizer.json').model !== 'object') {
    throw new ModelLoadError(
      'format',
      'tokenizer.json has no "model" object: LogitLab needs the tokenizer.json of the Hugging Face tokenizers library',
      'tokenizer.json',
    );
  }
  const optionalJson = async (file: string): Promise<unknown | null> => {
    const found = await open(file, { optional: true });
    return found ? requireObject(parseJsonFile(found.bytes, file), file) : null;
  };
  const tokenizerConfig = await optionalJson('tokenizer_config.json');
  const generationConfig = await optionalJson('generation_config.json');

  const decoderFile = decoderFileName(dtype);
  const decoder = await open(decoderFile, { optional: true });
  if (!decoder) throw missingDecoder(source, decoderFile, dtype);
  const externalData: LoadedOnnxFolder['externalData'] = [];
  for (const file of externalDataFiles(configJson, decoderFile)) {
    const data = required(await open(file), file);
    externalData.push({ path: file.split('/').pop()!, data: data.bytes });
  }
  const fileHashes: Record<string, string> = {};
  for (const file of opened) fileHashes[file.file] = file.sha256;
  return {
    name: source.describe(),
    config,
    dtype,
    decoderFile,
    decoderBytes: decoder.bytes,
    externalData,
    tokenizerJson,
    tokenizerConfig,
    generationConfig,
    fileHashes,
    totalBytes: opened.reduce((sum, f) => sum + f.bytes.length, 0),
    warnings,
  };
}
