// Where a model folder's files come from: the Hugging Face Hub (repo id + revision), any https
// folder URL, or local files (localFiles.ts). One interface, so the folder loader is the same
// code for all of them. Network sources read through the persistent cache (cache.ts) and report
// per-file progress; every file's SHA-256 is computed as it is opened.
import { ModelLoadError, isAbortError } from './errors';
import { readCachedFile, defaultModelStore, type ModelFileStore } from './cache';
import {
  readStream,
  sha256Hex,
  type Bytes,
  type FileProgress,
  type PrefixCheck,
  type ProgressCallback,
} from './download';

export interface OpenOptions {
  /** A missing optional file opens as null; a missing required file throws. */
  optional?: boolean;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** An early look at the first bytes (see PrefixCheck), e.g. a safetensors header check. */
  checkPrefix?: PrefixCheck;
  /** Problems that do not stop the load (the cache could not store a file). */
  onWarning?: (message: string) => void;
}

export interface OpenedFile {
  file: string;
  bytes: Bytes;
  /** Lowercase hex SHA-256 of `bytes`. */
  sha256: string;
  from: FileProgress['from'];
}

/** What a source can tell about a file without reading it (a HEAD request, a cache entry). */
export interface FileSizeInfo {
  /** Size in bytes; null when the source cannot tell cheaply (no Content-Length, HEAD refused). */
  bytes: number | null;
  /** Where its bytes would come from: only 'network' costs a download. */
  from: FileProgress['from'];
  /** The file is known not to exist (404, or a remembered 404 in the cache). */
  absent: boolean;
}

export interface ModelSource {
  readonly kind: 'hub' | 'url' | 'local';
  /** For the UI and messages: "gpt2 @ main (Hugging Face Hub)", a URL, "local folder tiny-gpt2". */
  describe(): string;
  /** Where `file` comes from: its URL or local path. */
  locate(file: string): string;
  /** The folder's files when known up front (local files); null for URLs. */
  list(): string[] | null;
  open(file: string, options?: OpenOptions): Promise<OpenedFile | null>;
  /**
   * A file's size before opening it, for the warning before a large download (downloadPlan.ts).
   * Optional: without it every size is unknown and the loader estimates from config.json.
   */
  sizeOf?(file: string, options?: { signal?: AbortSignal }): Promise<FileSizeInfo>;
}

export const HUB_BASE_URL = 'https://huggingface.co';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 410: 'Gone',
  429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout',
}; // prettier-ignore

const REPO_PART = /^\w(?:[\w.-]*\w)?$/;

/**
 * Validates a Hub repo id ("owner/name", or a legacy bare id like "gpt2") with the Hub's rules;
 * a pasted Hub page URL (https://huggingface.co/owner/name[/tree/revision]) is accepted too.
 */
export function parseHubRepoId(input: string): { repo: string; revision: string | null } {
  const text = input.trim();
  const page = /^https?:\/\/(?:www\.)?huggingface\.co\/([^?#]+?)\/?(?:[?#].*)?$/.exec(text);
  let repo = text;
  let revision: string | null = null;
  if (page) {
    const parts = page[1].split('/');
    const tree = parts.findIndex((p) => p === 'tree' || p === 'blob' || p === 'resolve');
    repo = (tree === -1 ? parts : parts.slice(0, tree)).join('/');
    if (tree !== -1 && parts[tree + 1]) revision = decodeURIComponent(parts[tree + 1]);
  }
  const parts = repo.split('/');
  const valid =
    parts.length <= 2 &&
    parts.every((p) => REPO_PART.test(p)) &&
    parts[parts.length - 1].length <= 96 &&
    !repo.includes('--') &&
    !repo.includes('..') &&
    !repo.endsWith('.git');
  if (!valid) {
    throw new ModelLoadError(
      'input',
      `"${input}" is not a Hugging Face repo id: use owner/name (e.g. HuggingFaceTB/SmolLM2-135M) ` +
        'or a legacy id like gpt2 (letters, digits, "-", "_" and "." only)',
    );
  }
  return { repo, revision };
}

function checkRevision(revision: string): string {
  const unprintable = [...revision].some((ch) => ch.charCodeAt(0) < 0x20 || /\s/.test(ch));
  if (revision.length === 0 || revision.length > 255 || unprintable) {
    throw new ModelLoadError(
      'input',
      `revision ${JSON.stringify(revision)} is not valid: use a branch (main), a tag or a commit hash`,
    );
  }
  return revision;
}

/** https, or http on this machine (a local model server); never other schemes. */
export function checkBaseUrl(url: string, what = 'model URL'): URL {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new ModelLoadError(
      'input',
      `${what} "${url}" is not a URL: give a full https:// address of the model folder`,
    );
  }
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  if (!(parsed.protocol === 'https:' || (parsed.protocol === 'http:' && local))) {
    throw new ModelLoadError(
      'input',
      `${what} "${url}" uses ${parsed.protocol}: use https:// (http:// only for localhost)`,
    );
  }
  return parsed;
}

const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

/** `{base}/{owner}/{name}/resolve/{revision}/{file}`, every segment percent-encoded. */
export function hubFileUrl(repo: string, revision: string, file: string, baseUrl = HUB_BASE_URL): string {
  const base = checkBaseUrl(baseUrl, 'Hub base URL').href.replace(/\/+$/, '');
  return `${base}/${encodePath(repo)}/resolve/${encodeURIComponent(revision)}/${encodePath(file)}`;
}

export interface HttpSourceOptions {
  /** Defaults to Cache Storage where available; null disables caching. */
  cache?: ModelFileStore | null;
  /** Defaults to globalThis.fetch. */
  fetch?: typeof fetch;
}

/** Hub and URL sources: fetch through the cache, stream with progress, hash. */
class HttpSource implements ModelSource {
  private readonly cache: ModelFileStore | null;
  private readonly fetchImpl: typeof fetch;

  constructor(
    readonly kind: 'hub' | 'url',
    private readonly name: string,
    private readonly fileUrl: (file: string) => string,
    private readonly hint: string,
    options: HttpSourceOptions,
  ) {
    this.cache = options.cache === undefined ? defaultModelStore() : options.cache;
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  describe(): string {
    return this.name;
  }

  locate(file: string): string {
    return this.fileUrl(file);
  }

  list(): null {
    return null;
  }

  async open(file: string, options: OpenOptions = {}): Promise<OpenedFile | null> {
    const { signal, onProgress, checkPrefix, onWarning } = options;
    const url = this.fileUrl(file);
    signal?.throwIfAborted();
    if (this.cache) {
      const cached = await readCachedFile(this.cache, url, { file, onProgress, signal, checkPrefix });
      if (cached?.kind === 'file') return { file, bytes: cached.bytes, sha256: cached.sha256, from: 'cache' };
      if (cached?.kind === 'absent' && options.optional) return null;
    }
    let response: Response;
    try {
      response = await this.fetchImpl(url, { signal, credentials: 'omit' });
    } catch (error) {
      if (isAbortError(error, signal)) throw signal?.reason ?? error;
      const notCached = this.cache ? ' and it is not in the browser cache' : '';
      throw new ModelLoadError(
        'network',
        `could not reach ${url}${notCached}: check the network or the URL` +
          (this.kind === 'url' ? ' (the server must also allow cross-origin requests)' : ''),
        file,
      );
    }
    if (response.status === 404 && options.optional) {
      await response.body?.cancel();
      await this.store(url, 'absent', onWarning);
      return null;
    }
    if (!response.ok) {
      await response.body?.cancel();
      const status = `${response.status} ${response.statusText || STATUS_TEXT[response.status] || ''}`.trim();
      let advice = response.status === 404 ? this.hint : 'check the URL';
      if (response.status >= 500 || response.status === 429) advice = 'the server failed; try again later';
      if (this.kind === 'hub' && (response.status === 401 || response.status === 403)) {
        advice =
          'the repo does not exist, is private or is gated; LogitLab sends no Hub token, so only public, ' +
          'ungated repos load (check the repo id)';
      }
      throw new ModelLoadError(
        response.status === 404 ? 'missing-file' : 'http',
        `${url} returned ${status}: ${advice}`,
        file,
      );
    }
    const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
    const length = Number(response.headers.get('content-length') ?? NaN);
    const totalBytes = !encoded && Number.isSafeInteger(length) && length >= 0 ? length : null;
    const body = response.body ?? new Blob([]).stream();
    const bytes = await readStream(body, {
      file,
      origin: url,
      totalBytes,
      from: 'network',
      onProgress,
      signal,
      checkPrefix,
    });
    const sha256 = await sha256Hex(bytes);
    await this.store(url, { bytes, sha256 }, onWarning);
    return { file, bytes, sha256, from: 'network' };
  }

  /**
   * Cache first (the stored length, no body read); else a HEAD request: the Hub's x-linked-size
   * (the LFS file's size, kept when the redirect is followed) or Content-Length. Any failure is
   * "unknown", never an error: the download itself reports problems with the right message.
   */
  async sizeOf(file: string, options: { signal?: AbortSignal } = {}): Promise<FileSizeInfo> {
    const { signal } = options;
    const url = this.fileUrl(file);
    signal?.throwIfAborted();
    if (this.cache) {
      const entry = await this.cache.get(url).catch(() => null);
      if (entry?.kind === 'absent') return { bytes: 0, from: 'cache', absent: true };
      if (entry?.kind === 'file') {
        await entry.body.cancel().catch(() => undefined);
        return { bytes: entry.declaredBytes, from: 'cache', absent: false };
      }
    }
    const unknown: FileSizeInfo = { bytes: null, from: 'network', absent: false };
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method: 'HEAD', signal, credentials: 'omit' });
    } catch (error) {
      if (isAbortError(error, signal)) throw signal?.reason ?? error;
      return unknown;
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.status === 404) return { bytes: null, from: 'network', absent: true };
    if (!response.ok) return unknown;
    // Servers of single-page apps (Vite's preview among them) answer a missing path with their
    // index.html: an HTML page is never a model file.
    const type = response.headers.get('content-type') ?? '';
    if (type.startsWith('text/html') && !file.endsWith('.html')) return { ...unknown, absent: true };
    const size = (name: string): number | null => {
      const value = Number(response.headers.get(name) ?? NaN);
      return Number.isSafeInteger(value) && value >= 0 ? value : null;
    };
    const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
    return { ...unknown, bytes: size('x-linked-size') ?? (encoded ? null : size('content-length')) };
  }

  private async store(
    url: string,
    value: { bytes: Bytes; sha256: string } | 'absent',
    onWarning: ((message: string) => void) | undefined,
  ): Promise<void> {
    if (!this.cache) return;
    try {
      await this.cache.put(url, value);
    } catch (error) {
      onWarning?.(
        `could not store ${url} in the browser cache (${(error as Error).message}): the next load downloads it again`,
      );
    }
  }
}

export interface HubSourceOptions extends HttpSourceOptions {
  /**
   * Branch, tag or commit hash; default "main". A commit hash pins the files for share links.
   * Files are read cache-first (so offline loads work): a branch's files, once stored, are not
   * re-checked against the Hub; `clearModelCache(store, urlPrefix)` refreshes them.
   */
  revision?: string;
  /** Default https://huggingface.co; tests point it at a local server. */
  baseUrl?: string;
}

/** A Hub repo at a revision: files from {baseUrl}/{repo}/resolve/{revision}/{file}. */
export function hubSource(repoId: string, options: HubSourceOptions = {}): ModelSource {
  const parsed = parseHubRepoId(repoId);
  const revision = checkRevision(options.revision ?? parsed.revision ?? 'main');
  const baseUrl = options.baseUrl ?? HUB_BASE_URL;
  hubFileUrl(parsed.repo, revision, 'config.json', baseUrl); // validates the base URL now
  const where = baseUrl === HUB_BASE_URL ? 'Hugging Face Hub' : baseUrl;
  return new HttpSource(
    'hub',
    `${parsed.repo} @ ${revision} (${where})`,
    (file) => hubFileUrl(parsed.repo, revision, file, baseUrl),
    'check the repo id/revision or the URL',
    options,
  );
}

/** Any folder URL (https, or http on localhost): files from new URL(file, folder). */
export function urlSource(folderUrl: string, options: HttpSourceOptions = {}): ModelSource {
  const base = checkBaseUrl(folderUrl);
  if (base.hash) base.hash = '';
  if (base.pathname.endsWith('/config.json')) base.pathname = base.pathname.slice(0, -'config.json'.length);
  if (base.hostname === 'huggingface.co') {
    base.pathname = base.pathname.replace(/\/(tree|blob)\//, '/resolve/'); // a pasted page URL
  }
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const folder = base.href;
  return new HttpSource(
    'url',
    folder,
    (file) => new URL(encodePath(file), folder).href,
    'check the URL (it must be the folder that holds config.json)',
    options,
  );
}
