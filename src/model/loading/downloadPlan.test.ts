// The size warning before a large download, on a fake remote source: a tiny model folder whose
// sizeOf claims whatever sizes the test needs (a "large" model without large files). Checks who is
// asked, with which numbers, and that a "no" stops the load before any weight is fetched.
import { describe, expect, test, vi } from 'vitest';
import { parseModelConfig } from '../config';
import { LARGE_DOWNLOAD_BYTES, planFileDownload, type DownloadInfo } from './downloadPlan';
import { ModelLoadError } from './errors';
import { estimateModelBytes } from './estimate';
import { folderAsFiles, tinyConfig, tinyModelFolder, type ModelFolder } from './fixtures/tinyModels';
import { loadModelFolder } from './loadModelFolder';
import { localFilesSource } from './localFiles';
import type { FileSizeInfo, ModelSource } from './sources';

const MB = 1_000_000;

interface Claim {
  bytes: number | null;
  cached?: boolean;
}

/**
 * A remote-looking source over a local folder: `claims` replaces sizeOf's answer per file (a file
 * not claimed reports its real size, from the network); `withoutSizeOf` drops the method.
 */
function fakeRemote(
  folder: ModelFolder,
  claims: Record<string, Claim> = {},
  options: { withoutSizeOf?: boolean } = {},
): { source: ModelSource; opened: string[]; sized: string[] } {
  const inner = localFilesSource(folderAsFiles(folder, 'big-model'));
  const opened: string[] = [];
  const sized: string[] = [];
  const source: ModelSource = {
    kind: 'url',
    describe: () => 'https://models.example/big-model/',
    locate: (file) => `https://models.example/big-model/${file}`,
    list: () => null,
    open: (file, openOptions) => {
      opened.push(file);
      return inner.open(file, openOptions);
    },
  };
  if (!options.withoutSizeOf) {
    source.sizeOf = async (file): Promise<FileSizeInfo> => {
      sized.push(file);
      if (!(file in folder)) return { bytes: null, from: 'network', absent: true };
      const claim = claims[file];
      if (!claim) return { bytes: folder[file].length, from: 'network', absent: false };
      return { bytes: claim.bytes, from: claim.cached ? 'cache' : 'network', absent: false };
    };
  }
  return { source, opened, sized };
}

/** A confirm callback that records what it was asked and answers `answer`. */
function asker(answer: boolean) {
  const asked: DownloadInfo[] = [];
  const confirm = vi.fn(async (info: DownloadInfo) => {
    asked.push(info);
    return answer;
  });
  return { asked, confirm };
}

const gpt2 = tinyModelFolder('gpt2');
const ALL_FILES = ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'model.safetensors'];

describe('loadModelFolder: the size warning before a large download', () => {
  test('below the threshold: nobody is asked and the model loads', async () => {
    const { source } = fakeRemote(gpt2, { 'model.safetensors': { bytes: LARGE_DOWNLOAD_BYTES - 1 * MB } });
    const { confirm } = asker(false);
    const model = await loadModelFolder(source, { confirmDownload: confirm });
    expect(confirm).not.toHaveBeenCalled();
    expect(model.tensors.size).toBeGreaterThan(0);
  });

  test('above the threshold: asked once after config.json with the sizes, then the load proceeds', async () => {
    const { source, opened } = fakeRemote(gpt2, { 'model.safetensors': { bytes: 1200 * MB } });
    const { asked, confirm } = asker(true);
    const openedWhenAsked: string[][] = [];
    confirm.mockImplementation(async (info) => {
      asked.push(info);
      openedWhenAsked.push([...opened]);
      return true;
    });
    const model = await loadModelFolder(source, { confirmDownload: confirm });
    expect(confirm).toHaveBeenCalledTimes(1);
    expect(openedWhenAsked).toEqual([['config.json']]);
    const small = ALL_FILES.slice(0, 3).reduce((sum, f) => sum + gpt2[f].length, 0);
    const config = parseModelConfig(tinyConfig('gpt2'));
    expect(asked[0]).toEqual({
      bytes: 1200 * MB + small,
      exact: true,
      cachedBytes: 0,
      files: ALL_FILES.map((file) => ({
        file,
        bytes: file === 'model.safetensors' ? 1200 * MB : gpt2[file].length,
        cached: false,
      })),
      source: 'https://models.example/big-model/',
      gpuBytes: estimateModelBytes(config).totalBytes,
    });
    expect(opened).toEqual(['config.json', ...ALL_FILES]);
    expect(model.fileHashes['model.safetensors']).toMatch(/^[0-9a-f]{64}$/);
  });

  test('declined: a clear cancelled error, and no file but config.json was read', async () => {
    const { source, opened } = fakeRemote(gpt2, { 'model.safetensors': { bytes: 1200 * MB } });
    const { confirm } = asker(false);
    const error = await loadModelFolder(source, { confirmDownload: confirm }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as ModelLoadError).kind).toBe('cancelled');
    expect((error as Error).message).toBe(
      'https://models.example/big-model/: the download of 1.2 GB was cancelled before any weights were ' +
        'fetched; nothing was loaded',
    );
    expect(opened).toEqual(['config.json']);
  });

  test('cached files do not count toward the threshold, and are reported as cached bytes', async () => {
    const cachedWeights = fakeRemote(gpt2, { 'model.safetensors': { bytes: 900 * MB, cached: true } });
    const quiet = asker(false);
    await loadModelFolder(cachedWeights.source, { confirmDownload: quiet.confirm });
    expect(quiet.confirm).not.toHaveBeenCalled();

    const bigTokenizer = fakeRemote(gpt2, {
      'model.safetensors': { bytes: 900 * MB, cached: true },
      'tokenizer.json': { bytes: 150 * MB },
    });
    const { asked, confirm } = asker(true);
    await loadModelFolder(bigTokenizer.source, { confirmDownload: confirm });
    const small = gpt2['tokenizer_config.json'].length + gpt2['generation_config.json'].length;
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ bytes: 150 * MB + small, cachedBytes: 900 * MB, exact: true });
    expect(asked[0].files.find((f) => f.file === 'model.safetensors')).toEqual({
      file: 'model.safetensors',
      bytes: 900 * MB,
      cached: true,
    });
  });

  test('unknown sizes: the weights are estimated from config.json and the plan says so', async () => {
    const config = parseModelConfig(tinyConfig('gpt2'));
    const f32Weights = estimateModelBytes(config, { dtype: 'f32' }).weightBytes;
    const { source } = fakeRemote(gpt2, {}, { withoutSizeOf: true });
    const { asked, confirm } = asker(true);
    await loadModelFolder(source, { confirmDownload: confirm, confirmAboveBytes: 0 });
    expect(asked[0]).toMatchObject({ bytes: f32Weights, exact: false, cachedBytes: 0 });
    expect(asked[0].files.every((f) => f.bytes === null && !f.cached)).toBe(true);

    // torch_dtype float16/bfloat16 halves the estimate; known small files are added as they are.
    const bf16 = tinyModelFolder('gpt2', { config: { torch_dtype: 'bfloat16' } });
    const halves = fakeRemote(bf16, { 'model.safetensors': { bytes: null } });
    const half = asker(true);
    await loadModelFolder(halves.source, { confirmDownload: half.confirm, confirmAboveBytes: 0 });
    const small = ALL_FILES.slice(0, 3).reduce((sum, f) => sum + bf16[f].length, 0);
    expect(half.asked[0]).toMatchObject({ bytes: f32Weights / 2 + small, exact: false });
  });

  test('a sharded checkpoint: the index is read once, the shards are summed', async () => {
    const sharded = tinyModelFolder('llama', { shards: 2, dtype: 'BF16' });
    const shardFiles = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
    const { source, opened } = fakeRemote(sharded, {
      [shardFiles[0]]: { bytes: 300 * MB },
      [shardFiles[1]]: { bytes: 200 * MB, cached: true },
    });
    const { asked, confirm } = asker(true);
    const model = await loadModelFolder(source, { confirmDownload: confirm });
    const small = ALL_FILES.slice(0, 3).reduce((sum, f) => sum + sharded[f].length, 0);
    expect(asked[0]).toMatchObject({ bytes: 300 * MB + small, cachedBytes: 200 * MB, exact: true });
    expect(asked[0].files.map((f) => f.file)).toEqual([...ALL_FILES.slice(0, 3), ...shardFiles]);
    expect(opened.filter((f) => f === 'model.safetensors.index.json')).toHaveLength(1);
    expect(model.files.filter((f) => f.file === 'model.safetensors.index.json')).toHaveLength(1);
    expect(opened.indexOf('model.safetensors.index.json')).toBe(1); // before the tokenizer: for the plan
  });

  test('a sharded checkpoint whose shard sizes are unknown uses the index total_size', async () => {
    const sharded = tinyModelFolder('llama', { shards: 2, dtype: 'BF16' });
    const index = JSON.parse(new TextDecoder().decode(sharded['model.safetensors.index.json'])) as {
      metadata: { total_size: number };
    };
    const { source } = fakeRemote(sharded, {
      'model-00001-of-00002.safetensors': { bytes: null },
      'model-00002-of-00002.safetensors': { bytes: null },
    });
    const { asked, confirm } = asker(false);
    const error = await loadModelFolder(source, { confirmDownload: confirm, confirmAboveBytes: 0 }).catch(
      (e: unknown) => e,
    );
    expect((error as ModelLoadError).kind).toBe('cancelled');
    const small = ALL_FILES.slice(0, 3).reduce((sum, f) => sum + sharded[f].length, 0);
    expect(asked[0]).toMatchObject({ bytes: index.metadata.total_size + small, exact: true });
  });

  test('the AbortSignal still ends the load while it waits for the answer', async () => {
    const { source, opened } = fakeRemote(gpt2, { 'model.safetensors': { bytes: 1200 * MB } });
    const controller = new AbortController();
    const never = vi.fn(() => {
      queueMicrotask(() => controller.abort(new DOMException('closed', 'AbortError')));
      return new Promise<boolean>(() => undefined);
    });
    const pending = loadModelFolder(source, { confirmDownload: never, signal: controller.signal });
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', message: 'closed' });
    expect(opened).toEqual(['config.json']);
  });

  test('local files are never a download: nobody is asked', async () => {
    const { confirm } = asker(false);
    await loadModelFolder(localFilesSource(folderAsFiles(gpt2)), {
      confirmDownload: confirm,
      confirmAboveBytes: 0,
    });
    expect(confirm).not.toHaveBeenCalled();
  });
});

describe('planFileDownload: a known list of files (an ONNX folder)', () => {
  const source = (claims: Record<string, Partial<FileSizeInfo>>): ModelSource => ({
    kind: 'url',
    describe: () => 'https://example.test/m/',
    locate: (file) => file,
    list: () => null,
    open: async () => null,
    sizeOf: async (file) => ({ bytes: null, from: 'network', absent: false, ...claims[file] }),
  });

  test('sums what is left to download; cached files count as cached; absent ones are left out', async () => {
    const plan = await planFileDownload(
      source({ a: { bytes: 10 }, b: { bytes: 5, from: 'cache' }, c: { absent: true } }),
      ['a', 'b', 'c'],
      99,
    );
    expect(plan).toEqual({
      bytes: 10,
      exact: true,
      cachedBytes: 5,
      files: [
        { file: 'a', bytes: 10, cached: false },
        { file: 'b', bytes: 5, cached: true },
      ],
      source: 'https://example.test/m/',
      gpuBytes: 99,
    });
  });

  test('an unknown size counts as the estimate and makes the plan inexact', async () => {
    const plan = await planFileDownload(source({ a: { bytes: 10 } }), ['a', 'weights'], 0, {
      estimate: (file) => (file === 'weights' ? 1000 : 0),
    });
    expect(plan.bytes).toBe(1010);
    expect(plan.exact).toBe(false);
  });
});
