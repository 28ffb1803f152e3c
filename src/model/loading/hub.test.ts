// The real Hub/URL source code against a local HTTP server with the Hub's file layout
// (fixtures/hubServer.ts): URLs, progress, SHA-256, 404s of optional and required files,
// unreachable servers, cut-off bodies, cancellation, and the cache (a Map-backed store here;
// the Cache Storage store is tested in Chromium, cache.gpu.test.ts).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHubServer, type HubRepos, type HubServer } from './fixtures/hubServer';
import { tinyModelFolder } from './fixtures/tinyModels';
import { hubSource, urlSource } from './sources';
import { MemoryStore } from './cache';
import { loadModelFolder, type LoadModelOptions } from './loadModelFolder';
import type { FileProgress } from './download';
import type { DownloadInfo } from './downloadPlan';
import { ModelLoadError } from './errors';

const GPT2 = tinyModelFolder('gpt2');
const REPOS: HubRepos = {
  gpt2: { main: GPT2, 'refs/pr/1': tinyModelFolder('gpt2', { seed: 2 }) },
  'tiny/llama-sharded': { main: tinyModelFolder('llama', { shards: 2, dtype: 'BF16' }) },
  'tiny/minimal': { main: tinyModelFolder('qwen2', { withoutOptionalFiles: true }) },
};
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let server: HubServer;
beforeAll(async () => {
  server = await startHubServer(REPOS);
});
afterAll(() => server.close());

function load(
  repo: string,
  options: LoadModelOptions & { revision?: string; store?: MemoryStore | null; base?: string } = {},
) {
  const { revision, store = new MemoryStore(), base = server.baseUrl, ...rest } = options;
  return loadModelFolder(hubSource(repo, { revision, baseUrl: base, cache: store }), rest);
}

async function loadError(...args: Parameters<typeof load>): Promise<ModelLoadError> {
  const error = await load(...args).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ModelLoadError);
  return error as ModelLoadError;
}

describe('Hub source against a local Hub', () => {
  test('loads a folder with per-file progress and SHA-256, config.json first', async () => {
    server.behave('gpt2/resolve/main/model.safetensors', { chunkBytes: 4096 });
    const progress: FileProgress[] = [];
    const start = server.requests.length;
    const model = await load('gpt2', { onProgress: (p) => progress.push(p) });
    server.behave('gpt2/resolve/main/model.safetensors', null);
    expect(server.requests[start]).toBe('gpt2/resolve/main/config.json');
    for (const [file, bytes] of Object.entries(GPT2)) expect(model.fileHashes[file]).toBe(sha256(bytes));
    const weights = progress.filter((p) => p.file === 'model.safetensors');
    const total = GPT2['model.safetensors'].length;
    expect(weights.length).toBeGreaterThan(3);
    expect(weights.every((p) => p.totalBytes === total && p.from === 'network')).toBe(true);
    expect(weights.map((p) => p.percent)).toEqual([...weights.map((p) => p.percent!)].sort((a, b) => a - b));
    expect(weights.at(-1)).toMatchObject({ loadedBytes: total, percent: 100 });
    expect(model.name).toBe(`gpt2 @ main (${server.baseUrl})`);
  });

  test('a revision with a slash is encoded into one path segment', async () => {
    const start = server.requests.length;
    const model = await load('gpt2', { revision: 'refs/pr/1' });
    expect(server.requests[start]).toBe('gpt2/resolve/refs/pr/1/config.json'); // decoded by the server
    expect(model.fileHashes['model.safetensors']).toBe(sha256(REPOS.gpt2['refs/pr/1']['model.safetensors']));
    expect(model.fileHashes['model.safetensors']).not.toBe(sha256(GPT2['model.safetensors']));
  });

  test('404 of optional files is not an error (and is remembered in the cache)', async () => {
    const store = new MemoryStore();
    const model = await load('tiny/minimal', { store });
    expect(model.tokenizerConfig).toBeNull();
    expect(model.generationConfig).toBeNull();
    const absent = (await store.list()).filter((e) => e.absent).map((e) => e.url.split('/').pop());
    expect(absent.sort()).toEqual(['generation_config.json', 'tokenizer_config.json']);
  });

  test('sharded checkpoints load shard by shard', async () => {
    const model = await load('tiny/llama-sharded');
    expect(Object.keys(model.fileHashes)).toContain('model-00002-of-00002.safetensors');
    expect(model.weightDtypes).toEqual(['BF16']);
  });

  test('a folder URL source on the same server', async () => {
    const model = await loadModelFolder(urlSource(`${server.baseUrl}/gpt2/resolve/main/`, { cache: null }));
    expect(model.fileHashes['config.json']).toBe(sha256(GPT2['config.json']));
  });
});

describe('Hub source: errors', () => {
  test('404 of config.json', async () => {
    const error = await loadError('gpt2', { revision: 'nope' });
    expect(error.kind).toBe('missing-file');
    expect(error.message).toBe(
      `${server.baseUrl}/gpt2/resolve/nope/config.json returned 404 Not Found: check the repo id/revision or the URL`,
    );
  });

  test('an unknown (or private, or gated) repo answers 401', async () => {
    expect((await loadError('nobody/nothing')).message).toBe(
      `${server.baseUrl}/nobody/nothing/resolve/main/config.json returned 401 Unauthorized: the repo does not exist, ` +
        'is private or is gated; LogitLab sends no Hub token, so only public, ungated repos load (check the repo id)',
    );
  });

  test('a server error', async () => {
    server.behave('gpt2/resolve/main/tokenizer.json', { status: 503 });
    const error = await loadError('gpt2');
    server.behave('gpt2/resolve/main/tokenizer.json', null);
    expect(error.message).toBe(
      `${server.baseUrl}/gpt2/resolve/main/tokenizer.json returned 503 Service Unavailable: the server failed; try again later`,
    );
  });

  test('an unreachable server', async () => {
    const gone = await startHubServer({});
    await gone.close();
    const error = await loadError('gpt2', { base: gone.baseUrl, store: null });
    expect(error.kind).toBe('network');
    expect(error.message).toBe(
      `could not reach ${gone.baseUrl}/gpt2/resolve/main/config.json: check the network or the URL`,
    );
  });

  test('a body cut short of its Content-Length is an error and is not cached', async () => {
    server.behave('gpt2/resolve/main/model.safetensors', { truncateAt: 1000 });
    const store = new MemoryStore();
    const error = await loadError('gpt2', { store });
    server.behave('gpt2/resolve/main/model.safetensors', null);
    expect(error.kind).toBe('truncated');
    expect(error.file).toBe('model.safetensors');
    expect(error.message).toMatch(
      new RegExp(
        `^${server.baseUrl}/gpt2/resolve/main/model\\.safetensors: reading stopped after 1\\.0 kB of [\\d.]+ kB .*: the connection was cut; try again$`,
      ),
    );
    expect([...store.entries.keys()].some((url) => url.endsWith('model.safetensors'))).toBe(false);
  });

  test('cancellation mid-download', async () => {
    server.behave('gpt2/resolve/main/model.safetensors', { chunkBytes: 512 });
    const controller = new AbortController();
    const store = new MemoryStore();
    const pending = load('gpt2', {
      store,
      signal: controller.signal,
      onProgress: (p) => p.file === 'model.safetensors' && p.loadedBytes > 0 && controller.abort(),
    });
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    server.behave('gpt2/resolve/main/model.safetensors', null);
    expect([...store.entries.keys()].some((url) => url.endsWith('model.safetensors'))).toBe(false);
  });
});

describe('cache', () => {
  test('a second load works offline; offline and not cached is a clear error', async () => {
    const own = await startHubServer(REPOS);
    const store = new MemoryStore();
    const first = await load('tiny/minimal', { store, base: own.baseUrl });
    await load('gpt2', { store, base: own.baseUrl });
    await own.close();
    const progress: FileProgress[] = [];
    const second = await load('tiny/minimal', {
      store,
      base: own.baseUrl,
      onProgress: (p) => progress.push(p),
    });
    expect(second.fileHashes).toEqual(first.fileHashes);
    expect(second.files.every((f) => f.from === 'cache')).toBe(true);
    expect(new Set(progress.map((p) => p.from))).toEqual(new Set(['cache']));
    const error = await loadError('tiny/llama-sharded', { store, base: own.baseUrl });
    expect(error.message).toBe(
      `could not reach ${own.baseUrl}/tiny/llama-sharded/resolve/main/config.json and it is not in the browser cache: ` +
        'check the network or the URL',
    );
  });

  test.each([
    ['cut short', (bytes: Uint8Array<ArrayBuffer>) => bytes.slice(0, bytes.length - 10)],
    ['altered', (bytes: Uint8Array<ArrayBuffer>) => bytes.map((b, i) => (i === 100 ? b ^ 1 : b))],
  ])('a cache entry that was %s is detected and fetched again', async (_, damage) => {
    const store = new MemoryStore();
    await load('gpt2', { store });
    const url = `${server.baseUrl}/gpt2/resolve/main/model.safetensors`;
    const entry = store.entries.get(url)!;
    entry.bytes = damage(entry.bytes!);
    const before = server.requests.filter((r) => r === 'gpt2/resolve/main/model.safetensors').length;
    const model = await load('gpt2', { store });
    const after = server.requests.filter((r) => r === 'gpt2/resolve/main/model.safetensors').length;
    expect(after).toBe(before + 1);
    expect(model.files.find((f) => f.file === 'model.safetensors')!.from).toBe('network');
    expect(model.files.find((f) => f.file === 'config.json')!.from).toBe('cache');
    expect(model.fileHashes['model.safetensors']).toBe(sha256(GPT2['model.safetensors']));
    expect(store.entries.get(url)!.bytes!.length).toBe(GPT2['model.safetensors'].length);
  });
});

describe('the size warning through HEAD requests', () => {
  const exactSizes = (folder: Record<string, Uint8Array>, files: string[]) =>
    files.map((file) => ({ file, bytes: folder[file].length, cached: false }));

  test('sizes come from HEAD Content-Length; a "no" fetches no weights and caches only config.json', async () => {
    const store = new MemoryStore();
    const asked: DownloadInfo[] = [];
    const start = server.requests.length;
    const error = await loadError('gpt2', {
      store,
      confirmAboveBytes: 1000,
      confirmDownload: async (info) => {
        asked.push(info);
        return false;
      },
    });
    expect(error.kind).toBe('cancelled');
    const files = ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'model.safetensors'];
    expect(asked).toHaveLength(1);
    expect(asked[0].files).toEqual(exactSizes(GPT2, files));
    expect(asked[0]).toMatchObject({
      exact: true,
      cachedBytes: 0,
      source: `gpt2 @ main (${server.baseUrl})`,
    });
    expect(asked[0].bytes).toBe(files.reduce((sum, f) => sum + GPT2[f].length, 0));
    const gets = server.requests.slice(start).filter((r) => !r.startsWith('HEAD '));
    expect(gets).toEqual(['gpt2/resolve/main/config.json']);
    expect([...store.entries.keys()].map((url) => url.split('/').pop())).toEqual(['config.json']);
  });

  test('a second load from the cache downloads nothing and asks nothing', async () => {
    const store = new MemoryStore();
    await load('tiny/llama-sharded', { store });
    const start = server.requests.length;
    let asked = 0;
    await load('tiny/llama-sharded', {
      store,
      confirmAboveBytes: 0,
      confirmDownload: async () => (asked++, true),
    });
    expect(asked).toBe(0);
    expect(server.requests.slice(start)).toEqual([]); // sizes from the cache entries: no HEAD either
  });

  test('a HEAD without Content-Length makes the plan an estimate', async () => {
    server.behave('gpt2/resolve/main/model.safetensors', { headWithoutLength: true });
    const asked: DownloadInfo[] = [];
    await load('gpt2', {
      confirmAboveBytes: 0,
      confirmDownload: async (info) => (asked.push(info), true),
    });
    server.behave('gpt2/resolve/main/model.safetensors', null);
    expect(asked[0].exact).toBe(false);
    expect(asked[0].files.at(-1)).toEqual({ file: 'model.safetensors', bytes: null, cached: false });
  });
});
