// The one error type of model loading. Every message names the file (and tensor, URL or limit)
// and says what to do, because the Model panel shows it as is (STYLE.md rule 5).

/** What went wrong, for code that reacts differently (retry a download, offer another source). */
export type ModelLoadErrorKind =
  | 'network' // the URL could not be reached
  | 'http' // the server answered with an error status
  | 'truncated' // the download stopped before the end
  | 'missing-file' // a required file is absent
  | 'format' // a file is not what its name says (bad JSON, bad safetensors)
  | 'mismatch' // the checkpoint contradicts config.json
  | 'too-large' // the model cannot fit the GPU or the memory budget
  | 'cancelled' // the user declined a large download (nothing was downloaded beyond config.json)
  | 'input'; // a bad argument (repo id, URL)

export class ModelLoadError extends Error {
  readonly kind: ModelLoadErrorKind;
  /** The file the error is about, as the folder names it ("config.json", "model-00001-of-00002.safetensors"). */
  readonly file: string | null;
  constructor(kind: ModelLoadErrorKind, message: string, file: string | null = null) {
    super(message);
    this.name = 'ModelLoadError';
    this.kind = kind;
    this.file = file;
  }
}

/** "12 MB", "9.2 GB", "512 bytes": decimal units, as file managers and the Hub show sizes. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} byte${bytes === 1 ? '' : 's'}`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = value < 10 ? 1 : 0;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** "a, b, c and 4 more": keeps messages readable when hundreds of tensors are missing. */
export function listNames(names: readonly string[], limit = 8): string {
  if (names.length <= limit) return names.join(', ');
  return `${names.slice(0, limit).join(', ')} and ${names.length - limit} more`;
}

/** "[768, 3072]" */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** A cancellation (to rethrow as is), as opposed to a failure to wrap in a ModelLoadError. */
export function isAbortError(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  return error instanceof DOMException && error.name === 'AbortError';
}
