// Sharded checkpoints: `model.safetensors.index.json` maps every tensor to the shard file that
// holds it. The index is read before any shard, so the loader knows which files to fetch and
// which tensors are missing before downloading gigabytes.
import { ModelLoadError, listNames } from './errors';
import type { SafetensorsHeader } from './safetensors';

export const SINGLE_CHECKPOINT_FILE = 'model.safetensors';
export const SHARDED_INDEX_FILE = 'model.safetensors.index.json';

export interface ShardedIndex {
  file: string;
  /** Tensor name as stored → shard file name. */
  weightMap: Map<string, string>;
  /** Shard files in the order they are first named (model-00001…, model-00002…). */
  shards: string[];
  metadata: Record<string, unknown> | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A shard name must be a plain relative path inside the model folder. */
function isSafeShardName(name: string): boolean {
  return (
    name.length > 0 &&
    !name.startsWith('/') &&
    !name.includes('\\') &&
    !name.includes('://') &&
    name.split('/').every((part) => part !== '' && part !== '.' && part !== '..')
  );
}

/** Validates the parsed JSON of an index file. */
export function parseShardedIndex(json: unknown, file = SHARDED_INDEX_FILE): ShardedIndex {
  const malformed = (what: string): never => {
    throw new ModelLoadError('format', `${file}: ${what}: re-download the checkpoint's index`, file);
  };
  if (!isRecord(json)) return malformed('expected a JSON object');
  const map = json.weight_map;
  if (!isRecord(map)) return malformed('has no "weight_map" object');
  const weightMap = new Map<string, string>();
  const shards: string[] = [];
  for (const [tensor, shard] of Object.entries(map)) {
    if (typeof shard !== 'string') {
      return malformed(`weight_map["${tensor}"] is ${JSON.stringify(shard)}, not a file name`);
    }
    if (!isSafeShardName(shard)) {
      return malformed(`weight_map["${tensor}"] names "${shard}", which is not a file in the model folder`);
    }
    if (!shard.endsWith('.safetensors')) {
      return malformed(`weight_map["${tensor}"] names "${shard}"; LogitLab loads .safetensors shards only`);
    }
    weightMap.set(tensor, shard);
    if (!shards.includes(shard)) shards.push(shard);
  }
  if (weightMap.size === 0) return malformed('"weight_map" is empty');
  return { file, weightMap, shards, metadata: isRecord(json.metadata) ? json.metadata : null };
}

/** Tensor names (as stored) the index assigns to `shard`. */
export function tensorsInShard(index: ShardedIndex, shard: string): string[] {
  const names: string[] = [];
  for (const [tensor, file] of index.weightMap) if (file === shard) names.push(tensor);
  return names;
}

/** Throws when `header` (of `shard`) lacks a tensor the index maps to it. */
export function checkShardHeader(index: ShardedIndex, shard: string, header: SafetensorsHeader): void {
  const present = new Set(header.tensors.map((t) => t.name));
  const missing = tensorsInShard(index, shard).filter((name) => !present.has(name));
  if (missing.length > 0) {
    throw new ModelLoadError(
      'mismatch',
      `${shard}: ${missing.length === 1 ? 'tensor' : `${missing.length} tensors`} ${listNames(missing)} ` +
        `${missing.length === 1 ? 'is' : 'are'} mapped to this shard by ${index.file} but ` +
        `${missing.length === 1 ? 'is' : 'are'} not in it: the shards and the index do not belong together ` +
        '(re-download the checkpoint)',
      shard,
    );
  }
}
