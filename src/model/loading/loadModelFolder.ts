// Loads a Hugging Face style model folder from any ModelSource: config.json first (parsed and,
// given GPU limits, checked to fit before any weight is fetched), then the tokenizer files, then
// model.safetensors or model.safetensors.index.json + shards, each header checked against
// config.json as soon as its first bytes arrive. With `confirmDownload`, a download above
// LARGE_DOWNLOAD_BYTES waits for the user's yes right after config.json (downloadPlan.ts).
// Returns everything or throws: nothing partial.
// Nothing is uploaded to the GPU here; the engine does that from the returned tensor views.
import { parseModelConfig, type ModelConfig } from '../config';
import { canonicalTensorName, expectedTensors, isIgnoredTensor } from '../architectures/tensors';
import { ModelLoadError, listNames } from './errors';
import { parseJsonFile, type PrefixCheck, type ProgressCallback } from './download';
import { confirmLargeDownload, type ConfirmDownload } from './downloadPlan';
import { assertModelFits, type FitLimits } from './estimate';
import {
  parseSafetensors,
  parseSafetensorsHeader,
  safetensorsHeaderEnd,
  type FloatDtype,
  type SafetensorsHeader,
  type SafetensorsTensor,
} from './safetensors';
import {
  SHARDED_INDEX_FILE,
  SINGLE_CHECKPOINT_FILE,
  checkShardHeader,
  parseShardedIndex,
  type ShardedIndex,
} from './sharded';
import type { ModelSource, OpenOptions, OpenedFile } from './sources';
import {
  assertCheckpointMatches,
  compareWithConfig,
  unexpectedTensorsWarning,
  type CheckpointTensorInfo,
} from './validate';

export interface LoadModelOptions {
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** GPU limits and memory budget: refuse a model that cannot fit before fetching its weights. */
  fit?: FitLimits;
  /** Each warning as it happens (also returned in `warnings`). */
  onWarning?: (message: string) => void;
  /**
   * Asked once, after config.json, when more than `confirmAboveBytes` would be downloaded (cached
   * and local files do not count); false cancels with a 'cancelled' ModelLoadError before any
   * weight is fetched. Not called for local files. The signal still aborts while it waits.
   */
  confirmDownload?: ConfirmDownload;
  /** Default LARGE_DOWNLOAD_BYTES (100 MB). */
  confirmAboveBytes?: number;
}

export interface LoadedFileInfo {
  file: string;
  bytes: number;
  sha256: string;
  from: OpenedFile['from'];
}

export interface LoadedModelFolder {
  /** The source's description ("gpt2 @ main (Hugging Face Hub)"). */
  name: string;
  config: ModelConfig;
  /** Canonical name (no "transformer." prefix) → tensor; exactly `expectedTensors(config)`. */
  tensors: Map<string, SafetensorsTensor>;
  /** Dtypes of the loaded tensors as stored (usually one). */
  weightDtypes: FloatDtype[];
  tokenizerJson: unknown;
  tokenizerConfig: unknown | null;
  generationConfig: unknown | null;
  /** SHA-256 (hex) of every file, by name (ModelInfo.fileHashes). */
  fileHashes: Record<string, string>;
  files: LoadedFileInfo[];
  totalBytes: number;
  warnings: string[];
}

const infoOf =
  (file: string) =>
  (t: { name: string; dtype: string; shape: number[] }): CheckpointTensorInfo => ({
    ...t,
    file,
  });

/** A PrefixCheck that parses a safetensors header once its bytes are in and hands it on. */
function headerCheck(file: string, onHeader: (header: SafetensorsHeader) => void): PrefixCheck {
  return (prefix, totalBytes) => {
    if (prefix.length < 8 || prefix.length < safetensorsHeaderEnd(prefix, file, totalBytes)) return false;
    onHeader(parseSafetensorsHeader(prefix, file, totalBytes));
    return true;
  };
}

function requireJsonObject(value: unknown, file: string, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelLoadError('format', `${file} is not a JSON object: ${what}`, file);
  }
  return value as Record<string, unknown>;
}

function checkTokenizerJson(json: unknown): void {
  const advice =
    'LogitLab needs the tokenizer.json of the Hugging Face tokenizers library from the same repo';
  const object = requireJsonObject(json, 'tokenizer.json', advice);
  const model = object.model;
  if (typeof model !== 'object' || model === null || Array.isArray(model)) {
    throw new ModelLoadError('format', `tokenizer.json has no "model" object: ${advice}`, 'tokenizer.json');
  }
}

export async function loadModelFolder(
  source: ModelSource,
  options: LoadModelOptions = {},
): Promise<LoadedModelFolder> {
  const { signal, onProgress } = options;
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    options.onWarning?.(message);
  };
  const opened: OpenedFile[] = [];
  // Each file is read once: the download check may already have read the sharded index.
  const openedByName = new Map<string, OpenedFile | null>();
  const open: Opener = async (file, extra = {}) => {
    if (openedByName.has(file)) return openedByName.get(file)!;
    const result = await source.open(file, { signal, onProgress, onWarning: warn, ...extra });
    openedByName.set(file, result);
    if (result) opened.push(result);
    return result;
  };

  const configFile = required(await open('config.json'), 'config.json');
  const configJson = parseJsonFile(configFile.bytes, 'config.json');
  const config = parseModelConfig(configJson, 'config.json');
  if (options.fit) assertModelFits(config, options.fit, source.describe());
  if (options.confirmDownload && source.kind !== 'local') {
    await confirmLargeDownload(source, config, configJson, {
      confirm: options.confirmDownload,
      thresholdBytes: options.confirmAboveBytes,
      signal,
      size: options.fit,
      openIndex: () => open(SHARDED_INDEX_FILE, { optional: true }),
    });
  }

  const tokenizerFile = required(await open('tokenizer.json'), 'tokenizer.json');
  const tokenizerJson = parseJsonFile(tokenizerFile.bytes, 'tokenizer.json');
  checkTokenizerJson(tokenizerJson);
  const optionalJson = async (file: string): Promise<unknown | null> => {
    const found = await open(file, { optional: true });
    if (!found) return null;
    return requireJsonObject(
      parseJsonFile(found.bytes, file),
      file,
      'remove it or take it from the same repo',
    );
  };
  const tokenizerConfig = await optionalJson('tokenizer_config.json');
  const generationConfig = await optionalJson('generation_config.json');

  const checkpoint = await loadCheckpoint(source, config, open);
  const check = compareWithConfig(config, checkpoint.infos);
  assertCheckpointMatches(config, check, checkpoint.where, true);
  const unexpected = unexpectedTensorsWarning(config, check);
  if (unexpected) warn(unexpected);
  for (const note of checkpoint.notes) warn(note);

  const tensors = new Map<string, SafetensorsTensor>();
  for (const [canonical, info] of check.used) tensors.set(canonical, checkpoint.tensors.get(info.name)!);
  const fileHashes: Record<string, string> = {};
  for (const file of opened) fileHashes[file.file] = file.sha256;
  return {
    name: source.describe(),
    config,
    tensors,
    weightDtypes: [...new Set([...tensors.values()].map((t) => t.dtype as FloatDtype))],
    tokenizerJson,
    tokenizerConfig,
    generationConfig,
    fileHashes,
    files: opened.map(({ file, bytes, sha256, from }) => ({ file, bytes: bytes.length, sha256, from })),
    totalBytes: opened.reduce((sum, f) => sum + f.bytes.length, 0),
    warnings,
  };
}

interface LoadedCheckpoint {
  /** Stored name → tensor (from every file that is part of the checkpoint). */
  tensors: Map<string, SafetensorsTensor>;
  infos: CheckpointTensorInfo[];
  /** How the missing-tensor sentence names the checkpoint. */
  where: string;
  notes: string[];
}

type Opener = (file: string, extra?: Partial<OpenOptions>) => Promise<OpenedFile | null>;

/** Sources throw for a missing required file; this keeps the types honest if one does not. */
function required(opened: OpenedFile | null, file: string): OpenedFile {
  if (!opened) throw new ModelLoadError('missing-file', `${file} is missing from the model folder`, file);
  return opened;
}

async function loadCheckpoint(
  source: ModelSource,
  config: ModelConfig,
  open: Opener,
): Promise<LoadedCheckpoint> {
  const earlyCheck = (header: SafetensorsHeader, complete: boolean, only?: Set<string>): void => {
    const tensors = header.tensors.filter((t) => !only || only.has(t.name)).map(infoOf(header.file));
    assertCheckpointMatches(config, compareWithConfig(config, tensors), header.file, complete);
  };
  const single = await open(SINGLE_CHECKPOINT_FILE, {
    optional: true,
    checkPrefix: headerCheck(SINGLE_CHECKPOINT_FILE, (header) => earlyCheck(header, true)),
  });
  if (single) {
    const parsed = parseSafetensors(single.bytes, SINGLE_CHECKPOINT_FILE);
    return {
      tensors: parsed.tensors,
      infos: parsed.header.tensors.map(infoOf(SINGLE_CHECKPOINT_FILE)),
      where: SINGLE_CHECKPOINT_FILE,
      notes: [],
    };
  }
  const indexFile = await open(SHARDED_INDEX_FILE, { optional: true });
  if (!indexFile) {
    const listed = source.list();
    throw new ModelLoadError(
      'missing-file',
      `${source.describe()} has neither ${SINGLE_CHECKPOINT_FILE} nor ${SHARDED_INDEX_FILE}` +
        (listed ? ` (it holds ${listed.length > 0 ? listNames(listed) : 'no files'})` : '') +
        ': LogitLab loads safetensors checkpoints (convert pytorch_model.bin with the safetensors converter)',
      SINGLE_CHECKPOINT_FILE,
    );
  }
  const index = parseShardedIndex(parseJsonFile(indexFile.bytes, SHARDED_INDEX_FILE), SHARDED_INDEX_FILE);
  checkIndexCoversConfig(index, config);
  const tensors = new Map<string, SafetensorsTensor>();
  const infos: CheckpointTensorInfo[] = [];
  const notes: string[] = [];
  for (const shard of index.shards) {
    const mapped = new Set([...index.weightMap].filter(([, file]) => file === shard).map(([name]) => name));
    const shardFile = required(
      await open(shard, {
        checkPrefix: headerCheck(shard, (header) => {
          checkShardHeader(index, shard, header);
          earlyCheck(header, false, mapped);
        }),
      }),
      shard,
    );
    const parsed = parseSafetensors(shardFile.bytes, shard);
    checkShardHeader(index, shard, parsed.header);
    const stray = parsed.header.tensors.filter((t) => !mapped.has(t.name)).map((t) => t.name);
    if (stray.length > 0) {
      notes.push(
        `${shard}: ignored ${stray.length} tensor(s) the index does not map to it: ${listNames(stray)}`,
      );
    }
    for (const entry of parsed.header.tensors) {
      if (!mapped.has(entry.name)) continue;
      tensors.set(entry.name, parsed.tensors.get(entry.name)!);
      infos.push(infoOf(shard)(entry));
    }
  }
  return { tensors, infos, where: `the shards of ${SHARDED_INDEX_FILE}`, notes };
}

/** Missing tensors are known from the index alone: refuse before downloading any shard. */
function checkIndexCoversConfig(index: ShardedIndex, config: ModelConfig): void {
  const present = new Set(
    [...index.weightMap.keys()].filter((n) => !isIgnoredTensor(n)).map(canonicalTensorName),
  );
  const missing = expectedTensors(config)
    .map((s) => s.name)
    .filter((name) => !present.has(name));
  if (missing.length > 0) {
    throw new ModelLoadError(
      'mismatch',
      `${index.file} maps no shard for ${missing.length === 1 ? 'tensor' : `${missing.length} tensors`} ` +
        `${listNames(missing)} that config.json (${config.modelType}, ${config.numLayers} layers) requires. ` +
        'The weights and config.json must come from the same model (re-download, or fix config.json).',
      index.file,
    );
  }
}
