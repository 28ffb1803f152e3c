// Local model folders: files from a file picker (<input type=file multiple>), a folder picker
// (<input webkitdirectory>: names carry the folder in webkitRelativePath) or drag-and-drop
// (DataTransferItem.webkitGetAsEntry() + directory traversal). Files are read with progress and
// hashed like downloads; they are never cached (they are already on disk).
import { ModelLoadError, listNames } from './errors';
import { readStream, sha256Hex } from './download';
import type { FileSizeInfo, ModelSource, OpenOptions, OpenedFile } from './sources';

/** A file with its path inside what the user chose ("tiny-gpt2/config.json"). */
export interface LocalFileEntry {
  path: string;
  file: File;
}

function entryPath(item: File | LocalFileEntry): LocalFileEntry {
  if (!(item instanceof File)) return { path: item.path.replace(/^\/+/, ''), file: item.file };
  return { path: (item.webkitRelativePath || item.name).replace(/^\/+/, ''), file: item };
}

const dirname = (path: string): string =>
  path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';

/**
 * The model folder is the shallowest one holding config.json (the user may pick or drop its
 * parent); without config.json, the folder all files share.
 */
function modelRoot(paths: readonly string[]): string {
  const configs = paths.filter((p) => p === 'config.json' || p.endsWith('/config.json'));
  if (configs.length > 0) {
    return dirname(configs.reduce((a, b) => (a.split('/').length <= b.split('/').length ? a : b)));
  }
  let root = paths.length > 0 ? dirname(paths[0]) : '';
  while (root && !paths.every((p) => p.startsWith(root))) root = dirname(root.slice(0, -1));
  return root;
}

class LocalFilesSource implements ModelSource {
  readonly kind = 'local';
  private readonly files = new Map<string, LocalFileEntry>();
  private readonly name: string;

  constructor(items: readonly (File | LocalFileEntry)[]) {
    const entries = items.map(entryPath);
    const root = modelRoot(entries.map((e) => e.path));
    for (const entry of entries) {
      if (entry.path.startsWith(root)) this.files.set(entry.path.slice(root.length), entry);
    }
    const folder = root.replace(/\/$/, '').split('/').pop();
    this.name = folder
      ? `local folder ${folder}`
      : `${this.files.size} local file${this.files.size === 1 ? '' : 's'}`;
  }

  describe(): string {
    return this.name;
  }

  locate(file: string): string {
    return this.files.get(file)?.path ?? file;
  }

  list(): string[] {
    return [...this.files.keys()].sort();
  }

  /** The chosen file's size (the ONNX dtype choice shows it); nothing is read. */
  async sizeOf(file: string): Promise<FileSizeInfo> {
    const entry = this.files.get(file);
    return { bytes: entry ? entry.file.size : 0, from: 'local', absent: !entry };
  }

  async open(file: string, options: OpenOptions = {}): Promise<OpenedFile | null> {
    const entry = this.files.get(file);
    if (!entry) {
      if (options.optional) return null;
      const chosen = this.list();
      throw new ModelLoadError(
        'missing-file',
        `${file} is not among the chosen files (${chosen.length > 0 ? listNames(chosen) : 'none'}): ` +
          `choose the model folder that holds ${file}`,
        file,
      );
    }
    const bytes = await readStream(entry.file.stream(), {
      file,
      origin: entry.path,
      totalBytes: entry.file.size,
      from: 'local',
      onProgress: options.onProgress,
      signal: options.signal,
      checkPrefix: options.checkPrefix,
    });
    return { file, bytes, sha256: await sha256Hex(bytes), from: 'local' };
  }
}

/** A source over picked or dropped files (File objects, or entries from `collectDroppedFiles`). */
export function localFilesSource(files: ArrayLike<File> | readonly LocalFileEntry[]): ModelSource {
  return new LocalFilesSource(Array.from(files as ArrayLike<File | LocalFileEntry>));
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

function readBatch(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

/** Every file under `entry` (a dropped file or folder), with paths relative to the drop. */
export async function walkFileSystemEntry(
  entry: FileSystemEntry,
  out: LocalFileEntry[] = [],
): Promise<LocalFileEntry[]> {
  if (entry.isFile) {
    out.push({ path: entry.fullPath.replace(/^\/+/, ''), file: await fileOf(entry as FileSystemFileEntry) });
  } else if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    // readEntries returns at most 100 entries per call (Chrome); an empty batch means done.
    for (let batch = await readBatch(reader); batch.length > 0; batch = await readBatch(reader)) {
      for (const child of batch) await walkFileSystemEntry(child, out);
    }
  }
  return out;
}

/** The files of a drop (files and whole folders). Call it synchronously inside the drop handler. */
export async function collectDroppedFiles(
  items: DataTransferItemList | readonly DataTransferItem[],
): Promise<LocalFileEntry[]> {
  // Entries must be taken before the first await: the browser empties the list after the event.
  const entries: FileSystemEntry[] = [];
  const loose: LocalFileEntry[] = [];
  for (const item of Array.from(items as ArrayLike<DataTransferItem>)) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry();
    const file = entry ? null : item.getAsFile();
    if (entry) entries.push(entry);
    else if (file) loose.push({ path: file.name, file });
  }
  for (const entry of entries) await walkFileSystemEntry(entry, loose);
  return loose;
}
