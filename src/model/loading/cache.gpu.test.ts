// In Chromium: the real Cache Storage store, crypto.subtle hashing, and the full loader through
// the Hub source with the browser's Response streams (served by an in-memory fetch), online,
// offline from the cache, and with a damaged cache entry.
import { afterEach, describe, expect, test } from 'vitest';
import {
  CacheStorageStore,
  cachedModelFiles,
  clearModelCache,
  MODEL_CACHE_NAME,
  defaultModelStore,
} from './cache';
import { sha256Hex } from './download';
import { hubSource } from './sources';
import type { DownloadInfo } from './downloadPlan';
import { loadModelFolder } from './loadModelFolder';
import { collectDroppedFiles, localFilesSource } from './localFiles';
import { folderAsFiles, tinyModelFolder } from './fixtures/tinyModels';

const TEST_CACHE = 'logitlab-models-test';
const BASE = 'https://hub.test';
const encode = (text: string) => new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;

afterEach(() => caches.delete(TEST_CACHE));

/**
 * A fetch that serves `folder` at {BASE}/{repo}/resolve/main/{file} (a HEAD gets the same answer,
 * recorded as "HEAD {url}"); `online` switches it off.
 */
function hubFetch(folder: Record<string, Uint8Array<ArrayBuffer>>) {
  const state = { online: true, requests: [] as string[] };
  const fetchImpl: typeof fetch = async (input, init) => {
    const url = String(input);
    state.requests.push(init?.method === 'HEAD' ? `HEAD ${url}` : url);
    if (!state.online) throw new TypeError('Failed to fetch');
    const bytes = folder[decodeURIComponent(url.split('/resolve/main/')[1] ?? '')];
    if (!bytes) return new Response('Entry not found', { status: 404, statusText: 'Not Found' });
    return new Response(bytes, { headers: { 'content-length': String(bytes.length) } });
  };
  return { fetchImpl, state };
}

describe('crypto.subtle SHA-256', () => {
  test('matches the FIPS 180-2 vectors', async () => {
    expect(await sha256Hex(encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(await sha256Hex(encode(''))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
});

describe('CacheStorageStore', () => {
  test('stores, lists, reads back, deletes and clears entries', async () => {
    expect(defaultModelStore()).toBeInstanceOf(CacheStorageStore);
    const store = new CacheStorageStore(TEST_CACHE);
    const bytes = encode('{"model_type":"gpt2"}');
    await store.put(`${BASE}/a/resolve/main/config.json`, { bytes, sha256: await sha256Hex(bytes) });
    await store.put(`${BASE}/a/resolve/main/generation_config.json`, 'absent');
    const entry = await store.get(`${BASE}/a/resolve/main/config.json`);
    expect(entry?.kind).toBe('file');
    if (entry?.kind !== 'file') return;
    expect(entry.declaredBytes).toBe(bytes.length);
    expect(new Uint8Array(await new Response(entry.body).arrayBuffer())).toEqual(bytes);
    expect(await store.get(`${BASE}/a/resolve/main/generation_config.json`)).toEqual({ kind: 'absent' });
    expect(await store.get(`${BASE}/a/resolve/main/none.json`)).toBeNull();
    const listed = await cachedModelFiles(store);
    expect(listed.map((e) => [e.url.split('/').pop(), e.bytes, e.absent])).toEqual([
      ['config.json', bytes.length, false],
      ['generation_config.json', 0, true],
    ]);
    expect(listed[0].sha256).toBe(await sha256Hex(bytes));
    await clearModelCache(store, `${BASE}/a/resolve/main/gen`);
    expect((await store.list()).length).toBe(1);
    await clearModelCache(store);
    expect(await caches.has(TEST_CACHE)).toBe(false);
    expect(MODEL_CACHE_NAME).toBe('logitlab-models-v1');
  });
});

describe('loadModelFolder in the browser', () => {
  test('first load from the network, second offline from Cache Storage, same hashes', async () => {
    const folder = tinyModelFolder('llama', { dtype: 'F16', withoutOptionalFiles: true });
    const { fetchImpl, state } = hubFetch(folder);
    const source = () =>
      hubSource('tiny/llama', { baseUrl: BASE, cache: new CacheStorageStore(TEST_CACHE), fetch: fetchImpl });
    const first = await loadModelFolder(source());
    expect(first.files.every((f) => f.from === 'network')).toBe(true);
    for (const [file, bytes] of Object.entries(folder))
      expect(first.fileHashes[file]).toBe(await sha256Hex(bytes));
    state.online = false;
    const second = await loadModelFolder(source());
    expect(second.fileHashes).toEqual(first.fileHashes);
    expect(second.files.every((f) => f.from === 'cache')).toBe(true);
    expect(second.tensors.get('model.norm.weight')!.toFloat32()).toEqual(
      first.tensors.get('model.norm.weight')!.toFloat32(),
    );
    const other = hubSource('tiny/other', {
      baseUrl: BASE,
      cache: new CacheStorageStore(TEST_CACHE),
      fetch: fetchImpl,
    });
    const error = (await loadModelFolder(other).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe(
      `could not reach ${BASE}/tiny/other/resolve/main/config.json and it is not in the browser cache: check the network or the URL`,
    );
  });

  test('a partial Cache Storage entry (body shorter than recorded) is fetched again and replaced', async () => {
    const folder = tinyModelFolder('gpt2');
    const { fetchImpl, state } = hubFetch(folder);
    const store = new CacheStorageStore(TEST_CACHE);
    await loadModelFolder(hubSource('tiny/gpt2', { baseUrl: BASE, cache: store, fetch: fetchImpl }));
    const url = `${BASE}/tiny/gpt2/resolve/main/model.safetensors`;
    const cache = await caches.open(TEST_CACHE);
    const stored = (await cache.match(url))!;
    const partial = (await stored.arrayBuffer()).slice(0, 100);
    await cache.put(url, new Response(partial, { headers: stored.headers }));
    state.requests.length = 0;
    const model = await loadModelFolder(
      hubSource('tiny/gpt2', { baseUrl: BASE, cache: store, fetch: fetchImpl }),
    );
    expect(state.requests).toEqual([url]);
    expect(model.fileHashes['model.safetensors']).toBe(await sha256Hex(folder['model.safetensors']));
    expect((await (await cache.match(url))!.arrayBuffer()).byteLength).toBe(
      folder['model.safetensors'].length,
    );
  });

  test('local Files (folder picker and drop without entries) load without touching the cache', async () => {
    const folder = tinyModelFolder('qwen2');
    const model = await loadModelFolder(localFilesSource(folderAsFiles(folder, 'Qwen-tiny')));
    expect(model.name).toBe('local folder Qwen-tiny');
    expect(model.files.every((f) => f.from === 'local')).toBe(true);
    const transfer = new DataTransfer();
    for (const [name, bytes] of Object.entries(folder)) transfer.items.add(new File([bytes], name));
    const dropped = await collectDroppedFiles(transfer.items);
    expect(dropped.map((e) => e.path).sort()).toEqual(Object.keys(folder).sort());
    const again = await loadModelFolder(localFilesSource(dropped));
    expect(again.fileHashes).toEqual(model.fileHashes);
  });

  test('the size check before a download reads Cache Storage lengths and asks HEAD for the rest', async () => {
    const folder = tinyModelFolder('gpt2');
    const { fetchImpl, state } = hubFetch(folder);
    const store = new CacheStorageStore(TEST_CACHE);
    const source = () => hubSource('tiny/gpt2', { baseUrl: BASE, cache: store, fetch: fetchImpl });
    await loadModelFolder(source());
    const weightsUrl = `${BASE}/tiny/gpt2/resolve/main/model.safetensors`;
    await store.delete(weightsUrl);
    state.requests.length = 0;
    const asked: DownloadInfo[] = [];
    await loadModelFolder(source(), {
      confirmAboveBytes: 0,
      confirmDownload: async (info) => (asked.push(info), true),
    });
    const weights = folder['model.safetensors'].length;
    const small = ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json'];
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({
      bytes: weights,
      exact: true,
      cachedBytes: small.reduce((sum, f) => sum + folder[f].length, 0),
    });
    expect(asked[0].files.find((f) => f.file === 'model.safetensors')).toEqual({
      file: 'model.safetensors',
      bytes: weights,
      cached: false,
    });
    expect(state.requests).toEqual([`HEAD ${weightsUrl}`, weightsUrl]);
  });
});
