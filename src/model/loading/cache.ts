// The persistent model cache: a second load of the same URL (revision included) works offline.
// Only complete downloads are stored, with their length and SHA-256; an entry that comes back
// shorter or with another hash (a crash while writing, disk corruption) is deleted and fetched
// again. The storage is injected: Cache Storage in browsers (page and Worker), a Map in Node
// tests; the checks around it are the same code in both. Local files are never cached.
import { isAbortError } from './errors';
import { readStream, sha256Hex, type Bytes, type ReadOptions } from './download';

export const MODEL_CACHE_NAME = 'logitlab-models-v1';

const BYTES_HEADER = 'x-logitlab-bytes';
const SHA256_HEADER = 'x-logitlab-sha256';
const ABSENT_HEADER = 'x-logitlab-absent';
const STORED_AT_HEADER = 'x-logitlab-stored-at';

export type StoredEntry =
  | { kind: 'file'; body: ReadableStream<Uint8Array>; declaredBytes: number; sha256: string | null }
  /** The server answered 404 for an optional file; remembered so offline loads skip it too. */
  | { kind: 'absent' };

export interface CachedFileInfo {
  url: string;
  /** 0 for a remembered 404. */
  bytes: number;
  sha256: string | null;
  absent: boolean;
  /** ISO time of storing, '' when unknown. */
  storedAt: string;
}

/** Raw storage under the cache; no validation here (see `readCachedFile`). */
export interface ModelFileStore {
  get(url: string): Promise<StoredEntry | null>;
  put(url: string, value: { bytes: Bytes; sha256: string } | 'absent'): Promise<void>;
  delete(url: string): Promise<void>;
  list(): Promise<CachedFileInfo[]>;
  clear(): Promise<void>;
}

/** Cache Storage (`caches.open('logitlab-models-v1')`), keyed by the full URL. */
export class CacheStorageStore implements ModelFileStore {
  constructor(private readonly cacheName = MODEL_CACHE_NAME) {}

  private open(): Promise<Cache> {
    return caches.open(this.cacheName);
  }

  async get(url: string): Promise<StoredEntry | null> {
    const response = await (await this.open()).match(url);
    if (!response) return null;
    if (response.headers.get(ABSENT_HEADER) === '1') return { kind: 'absent' };
    const declaredBytes = Number(response.headers.get(BYTES_HEADER) ?? NaN);
    if (!Number.isSafeInteger(declaredBytes) || response.body === null) {
      await this.delete(url);
      return null;
    }
    return { kind: 'file', body: response.body, declaredBytes, sha256: response.headers.get(SHA256_HEADER) };
  }

  async put(url: string, value: { bytes: Bytes; sha256: string } | 'absent'): Promise<void> {
    const headers = new Headers({ [STORED_AT_HEADER]: new Date().toISOString() });
    if (value === 'absent') {
      headers.set(ABSENT_HEADER, '1');
    } else {
      headers.set(BYTES_HEADER, String(value.bytes.length));
      headers.set(SHA256_HEADER, value.sha256);
    }
    const body = value === 'absent' ? null : value.bytes;
    await (await this.open()).put(url, new Response(body, { headers }));
  }

  async delete(url: string): Promise<void> {
    await (await this.open()).delete(url);
  }

  async list(): Promise<CachedFileInfo[]> {
    const cache = await this.open();
    const infos: CachedFileInfo[] = [];
    for (const request of await cache.keys()) {
      const headers = (await cache.match(request))?.headers;
      if (!headers) continue;
      infos.push({
        url: request.url,
        bytes: Number(headers.get(BYTES_HEADER) ?? 0) || 0,
        sha256: headers.get(SHA256_HEADER),
        absent: headers.get(ABSENT_HEADER) === '1',
        storedAt: headers.get(STORED_AT_HEADER) ?? '',
      });
    }
    return infos;
  }

  async clear(): Promise<void> {
    await caches.delete(this.cacheName);
  }
}

interface MemoryEntry {
  bytes: Bytes | null;
  declaredBytes: number;
  sha256: string | null;
  storedAt: string;
}

/** A Map-backed store for Node tests and for contexts without Cache Storage. */
export class MemoryStore implements ModelFileStore {
  readonly entries = new Map<string, MemoryEntry>();

  async get(url: string): Promise<StoredEntry | null> {
    const entry = this.entries.get(url);
    if (!entry) return null;
    if (entry.bytes === null) return { kind: 'absent' };
    return {
      kind: 'file',
      body: new Blob([entry.bytes]).stream(),
      declaredBytes: entry.declaredBytes,
      sha256: entry.sha256,
    };
  }

  async put(url: string, value: { bytes: Bytes; sha256: string } | 'absent'): Promise<void> {
    const storedAt = new Date().toISOString();
    const entry: MemoryEntry =
      value === 'absent'
        ? { bytes: null, declaredBytes: 0, sha256: null, storedAt }
        : { bytes: value.bytes.slice(), declaredBytes: value.bytes.length, sha256: value.sha256, storedAt };
    this.entries.set(url, entry);
  }

  async delete(url: string): Promise<void> {
    this.entries.delete(url);
  }

  async list(): Promise<CachedFileInfo[]> {
    return [...this.entries].map(([url, e]) => ({
      url,
      bytes: e.declaredBytes,
      sha256: e.sha256,
      absent: e.bytes === null,
      storedAt: e.storedAt,
    }));
  }

  async clear(): Promise<void> {
    this.entries.clear();
  }
}

/** Cache Storage where the context has it (secure pages and Workers), else no cache. */
export function defaultModelStore(): ModelFileStore | null {
  return typeof caches === 'undefined' ? null : new CacheStorageStore();
}

export type CachedRead = { kind: 'file'; bytes: Bytes; sha256: string } | { kind: 'absent' } | null;

/**
 * A validated cache read: the stored bytes if they are complete and hash to the stored SHA-256;
 * a damaged entry is deleted and reported as a miss (null), so the caller downloads again.
 */
export async function readCachedFile(
  store: ModelFileStore,
  url: string,
  options: Omit<ReadOptions, 'totalBytes' | 'from' | 'origin'>,
): Promise<CachedRead> {
  let entry: StoredEntry | null;
  try {
    entry = await store.get(url);
  } catch {
    return null; // an unreadable cache is a miss, not a failed load
  }
  if (entry === null || entry.kind === 'absent') return entry;
  let bytes: Bytes;
  const { checkPrefix, ...readOptions } = options;
  try {
    // Content checks wait until the bytes are known to be the ones stored (length, then hash):
    // damage must read as a cache miss, not as a broken model.
    bytes = await readStream(entry.body, {
      ...readOptions,
      origin: `cached ${url}`,
      totalBytes: entry.declaredBytes,
      from: 'cache',
    });
  } catch (error) {
    if (isAbortError(error, options.signal)) throw error;
    await store.delete(url).catch(() => undefined);
    return null;
  }
  const sha256 = await sha256Hex(bytes);
  if (entry.sha256 !== null && entry.sha256 !== sha256) {
    await store.delete(url).catch(() => undefined);
    return null;
  }
  checkPrefix?.(bytes, bytes.length);
  return { kind: 'file', bytes, sha256 };
}

/** Files in the model cache (for a "cached models" list with sizes). */
export function cachedModelFiles(
  store: ModelFileStore | null = defaultModelStore(),
): Promise<CachedFileInfo[]> {
  return store ? store.list() : Promise.resolve([]);
}

/** Empties the model cache, or only the URLs starting with `urlPrefix` (one model). */
export async function clearModelCache(
  store: ModelFileStore | null = defaultModelStore(),
  urlPrefix?: string,
): Promise<void> {
  if (!store) return;
  if (urlPrefix === undefined) return store.clear();
  for (const info of await store.list()) if (info.url.startsWith(urlPrefix)) await store.delete(info.url);
}
