// Before the weights: how many bytes a load will download, so that a large download waits for the
// user's yes (issue 8, "a size warning before large downloads"; issue 6, "a link that names a large
// remote model asks before downloading"). Sizes come from what the source can tell cheaply
// (ModelSource.sizeOf: a cache entry's stored length, a HEAD request's Content-Length), and for a
// sharded checkpoint from its small index file (which shards; metadata.total_size when the shards'
// own sizes are unknown). Whatever stays unknown is estimated from config.json (estimateModelBytes)
// and the plan says so (`exact: false`). Files already in the persistent cache cost nothing.
import type { ModelConfig } from '../config';
import { parseJsonFile } from './download';
import { ModelLoadError, formatBytes } from './errors';
import { estimateModelBytes, type SizeOptions } from './estimate';
import { SHARDED_INDEX_FILE, SINGLE_CHECKPOINT_FILE, parseShardedIndex } from './sharded';
import type { FileSizeInfo, ModelSource, OpenedFile } from './sources';

/** Downloads above this many bytes (files already in the cache not counted) ask first: 100 MB. */
export const LARGE_DOWNLOAD_BYTES = 100_000_000;

export interface DownloadFile {
  file: string;
  /** null when the source could not tell (then `DownloadInfo.bytes` holds an estimate for it). */
  bytes: number | null;
  /** Already in the persistent cache: costs no download. */
  cached: boolean;
}

export interface DownloadInfo {
  /** Bytes still to download, cached files excluded; partly estimated when `exact` is false. */
  bytes: number;
  /** False when a size was unknown and estimated from config.json. */
  exact: boolean;
  /** Bytes of the model's files that are already in the cache. */
  cachedBytes: number;
  /** The files after config.json (which is already read), in loading order. */
  files: DownloadFile[];
  /** The source's description: "gpt2 @ main (Hugging Face Hub)", a folder URL. */
  source: string;
  /** GPU memory the model will need (weights + KV cache), from config.json (estimateModelBytes). */
  gpuBytes: number;
}

/** Answers true to download, false to cancel the load. */
export type ConfirmDownload = (info: DownloadInfo) => Promise<boolean>;

export interface DownloadCheckOptions {
  confirm: ConfirmDownload;
  /** Ask when more than this many bytes would be downloaded; default LARGE_DOWNLOAD_BYTES. */
  thresholdBytes?: number;
  signal?: AbortSignal;
  /** How the GPU memory is estimated (the loader's fit limits). */
  size?: SizeOptions;
  /** Opens the sharded index through the loader (so it is read once, cached and hashed). */
  openIndex: () => Promise<OpenedFile | null>;
}

const UNKNOWN: FileSizeInfo = { bytes: null, from: 'network', absent: false };

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json'];

/**
 * Bytes per weight as stored, from config.json's torch_dtype (newer files: dtype); f32 when it
 * does not say, so an unknown checkpoint is over- rather than under-estimated.
 */
function storedWeightDtype(configJson: unknown): 'f32' | 'f16' {
  const fields = typeof configJson === 'object' && configJson !== null ? configJson : {};
  const dtype = (fields as Record<string, unknown>).torch_dtype ?? (fields as Record<string, unknown>).dtype;
  return dtype === 'float16' || dtype === 'bfloat16' ? 'f16' : 'f32';
}

/** What is left to download for `source` after config.json; reads only the sharded index. */
export async function planDownload(
  source: ModelSource,
  config: ModelConfig,
  configJson: unknown,
  options: Omit<DownloadCheckOptions, 'confirm' | 'thresholdBytes'>,
): Promise<DownloadInfo> {
  const { signal } = options;
  const sizeOf = (file: string): Promise<FileSizeInfo> =>
    source.sizeOf ? source.sizeOf(file, { signal }) : Promise.resolve(UNKNOWN);
  const [single, ...others] = await Promise.all([SINGLE_CHECKPOINT_FILE, ...TOKENIZER_FILES].map(sizeOf));
  let weights: [string, FileSizeInfo][] = [];
  let indexTotal: number | null = null;
  if (!single.absent) {
    weights = [[SINGLE_CHECKPOINT_FILE, single]];
  } else {
    const indexFile = await options.openIndex();
    if (indexFile) {
      const json = parseJsonFile(indexFile.bytes, SHARDED_INDEX_FILE);
      const index = parseShardedIndex(json, SHARDED_INDEX_FILE);
      const sizes = await Promise.all(index.shards.map(sizeOf));
      weights = index.shards.map((shard, i) => [shard, sizes[i]]);
      const total = index.metadata?.total_size;
      if (typeof total === 'number' && Number.isSafeInteger(total) && total >= 0) indexTotal = total;
    } // neither checkpoint: the loader refuses the folder with its own message
  }

  const files: DownloadFile[] = [];
  let bytes = 0;
  let cachedBytes = 0;
  let exact = true;
  const count = (file: string, info: FileSizeInfo): void => {
    const cached = info.from !== 'network';
    files.push({ file, bytes: info.bytes, cached });
    if (info.bytes !== null && cached) cachedBytes += info.bytes;
    else if (info.bytes !== null) bytes += info.bytes;
  };
  TOKENIZER_FILES.forEach((file, i) => {
    if (others[i].absent) return;
    count(file, others[i]);
    if (others[i].bytes === null) exact = false; // a tokenizer is small next to the weights
  });
  for (const [file, info] of weights) count(file, info);

  // Unknown weight files get what the checkpoint should weigh minus the files whose size is known.
  const unknownWeights = weights.filter(([, info]) => info.bytes === null).length;
  if (unknownWeights > 0) {
    const knownWeights = weights.reduce((sum, [, info]) => sum + (info.bytes ?? 0), 0);
    const expected =
      indexTotal ?? estimateModelBytes(config, { dtype: storedWeightDtype(configJson) }).weightBytes;
    bytes += Math.max(0, expected - knownWeights);
    // The index's total_size is the checkpoint's own number (short only by the shard headers).
    if (indexTotal === null) exact = false;
  }
  const gpuBytes = estimateModelBytes(config, options.size).totalBytes;
  return { bytes, exact, cachedBytes, files, source: source.describe(), gpuBytes };
}

/** Resolves with `promise`, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * What is left to download of a known list of files (an ONNX folder: tokenizer files, the decoder
 * and its external data), from their sizes: a size the source cannot tell counts as
 * `options.estimate(file)` (0 without it) and makes the plan inexact. `gpuBytes` is the caller's
 * estimate of the memory the model needs.
 */
export async function planFileDownload(
  source: ModelSource,
  fileNames: readonly string[],
  gpuBytes: number,
  options: { signal?: AbortSignal; estimate?: (file: string) => number } = {},
): Promise<DownloadInfo> {
  const sizes = await Promise.all(
    fileNames.map((file) =>
      source.sizeOf ? source.sizeOf(file, { signal: options.signal }) : Promise.resolve(UNKNOWN),
    ),
  );
  const files: DownloadFile[] = [];
  let bytes = 0;
  let cachedBytes = 0;
  let exact = true;
  fileNames.forEach((file, i) => {
    const info = sizes[i];
    if (info.absent) return;
    const cached = info.from !== 'network';
    files.push({ file, bytes: info.bytes, cached });
    if (info.bytes === null) {
      exact = false;
      bytes += options.estimate?.(file) ?? 0;
    } else if (cached) cachedBytes += info.bytes;
    else bytes += info.bytes;
  });
  return { bytes, exact, cachedBytes, files, source: source.describe(), gpuBytes };
}

/**
 * Asks `confirm` when `plan` downloads more than the threshold; a "no" throws a 'cancelled'
 * ModelLoadError (nothing beyond what the plan read has been fetched).
 */
export async function askBeforeLargeDownload(
  plan: DownloadInfo,
  options: Pick<DownloadCheckOptions, 'confirm' | 'thresholdBytes' | 'signal'>,
): Promise<void> {
  if (plan.bytes <= (options.thresholdBytes ?? LARGE_DOWNLOAD_BYTES)) return;
  const proceed = await untilAborted(options.confirm(plan), options.signal);
  if (!proceed) {
    throw new ModelLoadError(
      'cancelled',
      `${plan.source}: the download of ${plan.exact ? '' : 'about '}${formatBytes(plan.bytes)} was cancelled ` +
        'before any weights were fetched; nothing was loaded',
    );
  }
}

/**
 * Plans the download and, above the threshold, asks; a "no" throws a 'cancelled' ModelLoadError
 * before any weight is fetched. Returns the plan (also when nobody was asked).
 */
export async function confirmLargeDownload(
  source: ModelSource,
  config: ModelConfig,
  configJson: unknown,
  options: DownloadCheckOptions,
): Promise<DownloadInfo> {
  const plan = await planDownload(source, config, configJson, options);
  await askBeforeLargeDownload(plan, options);
  return plan;
}
