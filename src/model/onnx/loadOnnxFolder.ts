// Loads a Hub ONNX repository (or a folder with its layout, from any ModelSource: Hub, URL, local
// files) for the onnxruntime-web backend: config.json, the tokenizer files, and
// onnx/decoder_model_merged{suffix}.onnx of the chosen dtype with its external data files.
// Returns everything or throws a ModelLoadError that names the file; nothing touches the GPU.
// Before that, `detectFolderLayout` tells what a folder holds (safetensors, ONNX dtypes) from its
// file list or, for URLs and the Hub, from HEAD requests and the cache, so the Model tab can offer
// the dtypes that exist; a large download asks first, as the safetensors loader does.
import { parameterCount } from '../architectures/tensors';
import { parseModelConfig, type ModelConfig } from '../config';
import { parseJsonFile, type FileProgress, type ProgressCallback } from '../loading/download';
import {
  askBeforeLargeDownload,
  planFileDownload,
  type ConfirmDownload,
  type DownloadInfo,
} from '../loading/downloadPlan';
import { ModelLoadError, formatBytes, listNames } from '../loading/errors';
import type { LoadedFileInfo } from '../loading/loadModelFolder';
import { SHARDED_INDEX_FILE, SINGLE_CHECKPOINT_FILE } from '../loading/sharded';
import type { FileSizeInfo, ModelSource, OpenOptions, OpenedFile } from '../loading/sources';
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
  /**
   * Asked once, after config.json, when more than `confirmAboveBytes` (default 100 MB) would be
   * downloaded; false cancels before the decoder is fetched. Not called for local files.
   */
  confirmDownload?: ConfirmDownload;
  confirmAboveBytes?: number;
  /** Refuse, before the decoder is fetched, a model whose weights and KV cache exceed this. */
  memoryBudgetBytes?: number;
}

/** One decoder_model_merged file a folder holds. */
export interface OnnxVariant {
  dtype: OnnxDtype;
  /** "onnx/decoder_model_merged_q4.onnx" */
  file: string;
  /** The decoder file's size (external data not included); null when the source cannot tell. */
  bytes: number | null;
  from: FileProgress['from'];
}

/** What a model folder holds, as far as its file list or HEAD requests tell. */
export interface FolderLayout {
  /** model.safetensors or a sharded index (the WGSL engine's checkpoint). */
  safetensors: boolean;
  /** The decoder_model_merged dtypes found, in ONNX_DTYPES order. */
  onnx: OnnxVariant[];
  /** False when the source could not answer for some file (offline, HEAD refused). */
  complete: boolean;
}

export interface LoadedOnnxFolder {
  /** The source's description ("onnx-community/Qwen2.5-0.5B-Instruct @ main (Hugging Face Hub)"). */
  name: string;
  /** Every file read, in order, with its size, hash and origin (the model card lists them). */
  files: LoadedFileInfo[];
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

const UNKNOWN_SIZE: FileSizeInfo = { bytes: null, from: 'network', absent: false };

/**
 * A remote file counts as present when the source knows its size or has it cached: a HEAD that
 * failed (offline, refused) says nothing, and treating it as present would send the loader to a
 * file it cannot fetch.
 */
const present = (info: FileSizeInfo) => !info.absent && (info.bytes !== null || info.from !== 'network');

/**
 * Which checkpoint formats and ONNX dtypes `source` holds; reads no file's content. A remote
 * folder is asked file by file (HEAD requests, or the cache): with `safetensorsFirst`, a folder
 * that has model.safetensors is not asked about ONNX files (no requests for files it lacks).
 */
export async function detectFolderLayout(
  source: ModelSource,
  options: { signal?: AbortSignal; safetensorsFirst?: boolean } = {},
): Promise<FolderLayout> {
  const listed = source.list();
  const candidates = ONNX_DTYPES.map((dtype) => decoderFileName(dtype));
  const sizeOf = (file: string) =>
    source.sizeOf ? source.sizeOf(file, { signal: options.signal }) : Promise.resolve(UNKNOWN_SIZE);
  const info = new Map<string, FileSizeInfo>();
  const probe = async (files: readonly string[]) => {
    const sizes = await Promise.all(files.map(sizeOf));
    files.forEach((file, i) => info.set(file, sizes[i]));
  };
  if (listed) await probe(candidates.filter((file) => listed.includes(file)));
  else if (options.safetensorsFirst) {
    await probe([SINGLE_CHECKPOINT_FILE]);
    if (present(info.get(SINGLE_CHECKPOINT_FILE)!)) return { safetensors: true, onnx: [], complete: false };
    await probe([SHARDED_INDEX_FILE, ...candidates]);
  } else await probe([SINGLE_CHECKPOINT_FILE, SHARDED_INDEX_FILE, ...candidates]);
  const sizes = [...info.values()];
  const has = (file: string) => (listed ? listed.includes(file) : present(info.get(file) ?? UNKNOWN_SIZE));
  const onnx: OnnxVariant[] = [];
  for (const dtype of ONNX_DTYPES) {
    const file = decoderFileName(dtype);
    if (!has(file)) continue;
    const size = info.get(file) ?? UNKNOWN_SIZE;
    onnx.push({ dtype, file, bytes: size.bytes, from: listed ? 'local' : size.from });
  }
  return {
    safetensors: has(SINGLE_CHECKPOINT_FILE) || has(SHARDED_INDEX_FILE),
    onnx,
    complete: listed !== null || sizes.every((size) => size.absent || present(size)),
  };
}

/** The dtype loaded when none is chosen: the first the folder has, in ONNX_DTYPES order (fp32 first). */
export function defaultOnnxDtype(layout: Pick<FolderLayout, 'onnx'>): OnnxDtype | null {
  return layout.onnx[0]?.dtype ?? null;
}

/** Stored bytes per weight of each dtype, for a decoder whose size the source cannot tell. */
const BYTES_PER_WEIGHT: Record<OnnxDtype, number> = {
  fp32: 4,
  fp16: 2,
  q8: 1,
  int8: 1,
  uint8: 1,
  q4: 0.5,
  q4f16: 0.5,
  bnb4: 0.5,
};

/** K and V of every layer for one sequence of min(context, 2048) tokens, in f32. */
function kvCacheBytes(config: ModelConfig): number {
  return 2 * config.numLayers * config.numKeyValueHeads * config.headDim * Math.min(config.maxPositions, 2048) * 4; // prettier-ignore
}

/**
 * The download plan of an ONNX folder (tokenizer files, the decoder, its external data), asked
 * about when large, and the memory check; before any of those files is fetched.
 */
async function checkBeforeDownload(
  source: ModelSource,
  config: ModelConfig,
  decoderFile: string,
  external: readonly string[],
  dtype: OnnxDtype,
  options: LoadOnnxOptions,
): Promise<DownloadInfo> {
  const weightFiles = [decoderFile, ...external];
  const estimatedWeights = Math.round(parameterCount(config) * BYTES_PER_WEIGHT[dtype]);
  const plan = await planFileDownload(
    source,
    ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json', ...weightFiles],
    0,
    {
      signal: options.signal,
      // Unknown external chunks share the estimate with the decoder file.
      estimate: (file) => (weightFiles.includes(file) ? estimatedWeights / weightFiles.length : 0),
    },
  );
  const known = plan.files.filter((f) => weightFiles.includes(f.file));
  const weightBytes =
    known.length > 0 && known.every((f) => f.bytes !== null)
      ? known.reduce((sum, f) => sum + (f.bytes ?? 0), 0)
      : estimatedWeights;
  plan.gpuBytes = weightBytes + kvCacheBytes(config);
  const budget = options.memoryBudgetBytes;
  if (budget !== undefined && plan.gpuBytes > budget) {
    throw new ModelLoadError(
      'too-large',
      `${source.describe()}: ${decoderFile} needs about ${formatBytes(plan.gpuBytes)} of memory (weights and a ` +
        `KV cache), more than the ${formatBytes(budget)} LogitLab allows itself: choose a smaller dtype (q4) or ` +
        'unload other models',
      decoderFile,
    );
  }
  if (options.confirmDownload && source.kind !== 'local') {
    await askBeforeLargeDownload(plan, {
      confirm: options.confirmDownload,
      thresholdBytes: options.confirmAboveBytes,
      signal: options.signal,
    });
  }
  return plan;
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
  const external = externalDataFiles(configJson, decoderFile);
  if (options.confirmDownload || options.memoryBudgetBytes !== undefined)
    await checkBeforeDownload(source, config, decoderFile, external, dtype, options);
  const decoder = await open(decoderFile, { optional: true });
  if (!decoder) throw missingDecoder(source, decoderFile, dtype);
  const externalData: LoadedOnnxFolder['externalData'] = [];
  for (const file of external) {
    const data = required(await open(file), file);
    externalData.push({ path: file.split('/').pop()!, data: data.bytes });
  }
  const fileHashes: Record<string, string> = {};
  for (const file of opened) fileHashes[file.file] = file.sha256;
  return {
    name: source.describe(),
    files: opened.map(({ file, bytes, sha256, from }) => ({ file, bytes: bytes.length, sha256, from })),
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
