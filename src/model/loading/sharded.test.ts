// Sharded checkpoints: index validation, which shards to fetch, tensors across shards, and the
// errors for an index and shards that do not belong together.
import { describe, expect, test } from 'vitest';
import { checkShardHeader, parseShardedIndex, tensorsInShard } from './sharded';
import { parseSafetensors } from './safetensors';
import { writeSafetensors } from './safetensorsWriter';
import { loadModelFolder } from './loadModelFolder';
import { localFilesSource } from './localFiles';
import { folderAsFiles, tinyModelFolder, tinyTensors, tinyConfig } from './fixtures/tinyModels';
import { expectedTensors } from '../architectures/tensors';

const INDEX = 'model.safetensors.index.json';
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as Uint8Array<ArrayBuffer>;
const text = (bytes: Uint8Array) =>
  JSON.parse(new TextDecoder().decode(bytes)) as { weight_map: Record<string, string> };

describe('parseShardedIndex', () => {
  test('resolves the shard files in order of first mention', () => {
    const index = parseShardedIndex({
      metadata: { total_size: 10 },
      weight_map: {
        b: 'model-00002-of-00002.safetensors',
        a: 'model-00001-of-00002.safetensors',
        c: 'model-00002-of-00002.safetensors',
      },
    });
    expect(index.shards).toEqual(['model-00002-of-00002.safetensors', 'model-00001-of-00002.safetensors']);
    expect(tensorsInShard(index, 'model-00002-of-00002.safetensors')).toEqual(['b', 'c']);
    expect(index.metadata).toEqual({ total_size: 10 });
  });

  test.each([
    [[], `${INDEX}: expected a JSON object: re-download the checkpoint's index`],
    [{ metadata: {} }, `${INDEX}: has no "weight_map" object: re-download the checkpoint's index`],
    [{ weight_map: {} }, `${INDEX}: "weight_map" is empty: re-download the checkpoint's index`],
    [
      { weight_map: { w: 3 } },
      `${INDEX}: weight_map["w"] is 3, not a file name: re-download the checkpoint's index`,
    ],
    [
      { weight_map: { w: '../secret.safetensors' } },
      `${INDEX}: weight_map["w"] names "../secret.safetensors", which is not a file in the model folder`,
    ],
    [{ weight_map: { w: 'https://x/y.safetensors' } }, 'which is not a file in the model folder'],
    [{ weight_map: { w: 'pytorch_model-00001-of-00002.bin' } }, 'LogitLab loads .safetensors shards only'],
  ])('%j is refused', (value, message) => {
    expect(() => parseShardedIndex(value)).toThrow(message);
  });

  test('a shard lacking a tensor the index maps to it', () => {
    const index = parseShardedIndex({ weight_map: { a: 's1.safetensors', b: 's1.safetensors' } });
    const shard = writeSafetensors({ a: { dtype: 'F32', shape: [1], data: new Float32Array(1) } });
    expect(() =>
      checkShardHeader(index, 's1.safetensors', parseSafetensors(shard, 's1.safetensors').header),
    ).toThrow(
      's1.safetensors: tensor b is mapped to this shard by model.safetensors.index.json but is not in it: ' +
        'the shards and the index do not belong together (re-download the checkpoint)',
    );
  });
});

describe('sharded folders', () => {
  test('tensors load across three shards; hashes cover the index and every shard', async () => {
    const folder = tinyModelFolder('llama', { shards: 3, dtype: 'F16' });
    expect(Object.keys(folder)).toContain('model-00003-of-00003.safetensors');
    const opened: string[] = [];
    const model = await loadModelFolder(localFilesSource(folderAsFiles(folder)), {
      onProgress: (p) => opened.push(p.file),
    });
    expect([...model.tensors.keys()].sort()).toEqual(
      expectedTensors(model.config)
        .map((s) => s.name)
        .sort(),
    );
    expect(Object.keys(model.fileHashes).sort()).toEqual(Object.keys(folder).sort());
    const files = [...new Set(opened)];
    expect(files.indexOf(INDEX)).toBeLessThan(files.indexOf('model-00001-of-00003.safetensors'));
    const norm = model.tensors.get('model.norm.weight')!;
    expect(text(folder[INDEX]).weight_map['model.norm.weight']).toBe(norm.file);
  });

  test('a tensor the index maps to a shard but the shard lacks', async () => {
    const folder = tinyModelFolder('gpt2', { shards: 2 });
    const map = text(folder[INDEX]).weight_map;
    const shard = map['ln_f.weight'];
    const tensors = tinyTensors(tinyConfig('gpt2'));
    const kept = Object.keys(map).filter((n) => map[n] === shard && n !== 'ln_f.weight');
    const error = await loadModelFolder(
      localFilesSource(
        folderAsFiles({
          ...folder,
          [shard]: writeSafetensors(Object.fromEntries(kept.map((n) => [n, tensors[n]]))),
        }),
      ),
    ).catch((e: unknown) => e as Error);
    expect((error as Error).message).toBe(
      `${shard}: tensor ln_f.weight is mapped to this shard by ${INDEX} but is not in it: ` +
        'the shards and the index do not belong together (re-download the checkpoint)',
    );
  });

  test('an index that misses a required tensor is refused before any shard is read', async () => {
    const folder = tinyModelFolder('gpt2', { shards: 2 });
    const index = text(folder[INDEX]);
    delete index.weight_map['wpe.weight'];
    const opened: string[] = [];
    const error = await loadModelFolder(
      localFilesSource(folderAsFiles({ ...folder, [INDEX]: json(index) })),
      {
        onProgress: (p) => opened.push(p.file),
      },
    ).catch((e: unknown) => e as Error);
    expect((error as Error).message).toBe(
      `${INDEX} maps no shard for tensor wpe.weight that config.json (gpt2, 2 layers) requires. ` +
        'The weights and config.json must come from the same model (re-download, or fix config.json).',
    );
    expect(opened.some((f) => f.startsWith('model-0'))).toBe(false);
  });

  test('a missing shard file', async () => {
    const { 'model-00002-of-00002.safetensors': _, ...folder } = tinyModelFolder('gpt2', { shards: 2 });
    await expect(loadModelFolder(localFilesSource(folderAsFiles(folder)))).rejects.toThrow(
      'model-00002-of-00002.safetensors is not among the chosen files',
    );
  });
});
