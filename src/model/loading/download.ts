// Reading a file's bytes from a stream (a fetch body, a cached Response, a local File) with
// per-file progress, early checks of the first bytes (a safetensors header is validated before
// the weights arrive), cancellation, truncation detection and SHA-256. One code path for every
// source, in the page, in a Worker and in Node.
import { ModelLoadError, formatBytes, isAbortError } from './errors';

export type Bytes = Uint8Array<ArrayBuffer>;

export interface FileProgress {
  /** File name within the model folder ("config.json"). */
  file: string;
  loadedBytes: number;
  /** From Content-Length or the file size; null when the server does not say. */
  totalBytes: number | null;
  /** 0–100, null when totalBytes is unknown. */
  percent: number | null;
  /** Where the bytes come from: a download, the browser cache, or the user's disk. */
  from: 'network' | 'cache' | 'local';
}

export type ProgressCallback = (progress: FileProgress) => void;

/**
 * Called with the bytes received so far (a growing prefix of the file) until it returns true;
 * throwing stops the read and cancels the download. An early look only: whoever reads the file
 * checks the complete bytes again.
 */
export type PrefixCheck = (prefix: Bytes, totalBytes: number | null) => boolean;

export interface ReadOptions {
  file: string;
  /** How messages name the origin: the URL or the local path. */
  origin: string;
  totalBytes: number | null;
  from: FileProgress['from'];
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  checkPrefix?: PrefixCheck;
}

function progress(options: ReadOptions, loadedBytes: number): void {
  const { file, totalBytes, from, onProgress } = options;
  if (!onProgress) return;
  const percent =
    totalBytes === null ? null : totalBytes === 0 ? 100 : Math.min(100, (100 * loadedBytes) / totalBytes);
  onProgress({ file, loadedBytes, totalBytes, percent, from });
}

function allocate(bytes: number, options: ReadOptions): Bytes {
  try {
    return new Uint8Array(bytes);
  } catch {
    throw new ModelLoadError(
      'too-large',
      `${options.file}: could not allocate ${formatBytes(bytes)} of memory for it: close other tabs or choose a smaller model`,
      options.file,
    );
  }
}

function concat(chunks: readonly Uint8Array[], length: number, options: ReadOptions): Bytes {
  const out = allocate(length, options);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/**
 * Reads `body` to the end into one buffer. With a known size the buffer is allocated once and
 * filled in place (no second copy); a body shorter than the declared size is an error.
 */
export async function readStream(body: ReadableStream<Uint8Array>, options: ReadOptions): Promise<Bytes> {
  const { totalBytes, signal, checkPrefix } = options;
  const reader = body.getReader();
  let buffer: Bytes | null = totalBytes !== null ? allocate(totalBytes, options) : null;
  let chunks: Uint8Array[] = [];
  let received = 0;
  let checking = checkPrefix !== undefined;
  progress(options, 0);
  try {
    for (;;) {
      signal?.throwIfAborted();
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        if (isAbortError(error, signal)) throw signal?.reason ?? error;
        throw new ModelLoadError(
          'truncated',
          `${options.origin}: reading stopped after ${formatBytes(received)}` +
            `${totalBytes === null ? '' : ` of ${formatBytes(totalBytes)}`} (${(error as Error).message}): ` +
            (options.from === 'local'
              ? 'the file could not be read; choose it again'
              : 'the connection was cut; try again'),
          options.file,
        );
      }
      if (result.done) break;
      const chunk = result.value;
      if (buffer !== null && received + chunk.length > buffer.length) {
        // More bytes than declared (e.g. a compressed Content-Length): keep going in chunks.
        chunks = [buffer.subarray(0, received)];
        buffer = null;
      }
      if (buffer !== null) buffer.set(chunk, received);
      else chunks.push(chunk);
      received += chunk.length;
      if (checking && checkPrefix) {
        const prefix = buffer !== null ? buffer.subarray(0, received) : concat(chunks, received, options);
        checking = !checkPrefix(prefix, totalBytes);
      }
      progress(options, received);
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    throw error;
  }
  signal?.throwIfAborted();
  // A length the server did not declare (a compressed response): the end is 100% of what came.
  if (totalBytes === null) progress({ ...options, totalBytes: received }, received);
  if (totalBytes !== null && received < totalBytes) {
    throw new ModelLoadError(
      'truncated',
      `${options.origin}: received ${formatBytes(received)} of the ${formatBytes(totalBytes)} it declares ` +
        '(Content-Length or file size): the download was cut off; try again',
      options.file,
    );
  }
  return buffer !== null ? buffer : concat(chunks, received, options);
}

/** SHA-256 of `bytes` as lowercase hex (what `sha256sum` and the Hub's LFS pointers show). */
export async function sha256Hex(bytes: Bytes): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** A JSON file's content; errors name the file. */
export function parseJsonFile(bytes: Uint8Array, file: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new ModelLoadError(
      'format',
      `${file} is not valid JSON (${(error as Error).message}): the file is corrupt or not ${file}`,
      file,
    );
  }
}
