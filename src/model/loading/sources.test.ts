// Sources without a network: Hub URL construction and repo-id rules, folder URLs, local files
// (picker, folder picker, drop traversal with fake entries).
import { describe, expect, test } from 'vitest';
import { checkBaseUrl, hubFileUrl, hubSource, parseHubRepoId, urlSource } from './sources';
import { collectDroppedFiles, localFilesSource, walkFileSystemEntry } from './localFiles';
import { ModelLoadError } from './errors';

describe('Hub repo ids', () => {
  test.each([
    ['gpt2', 'gpt2'],
    ['distilgpt2', 'distilgpt2'],
    ['HuggingFaceTB/SmolLM2-135M', 'HuggingFaceTB/SmolLM2-135M'],
    ['Qwen/Qwen2.5-0.5B', 'Qwen/Qwen2.5-0.5B'],
    ['  openai-community/gpt2  ', 'openai-community/gpt2'],
    ['a_b/c.d-e', 'a_b/c.d-e'],
  ])('%j is valid', (input, repo) => {
    expect(parseHubRepoId(input)).toEqual({ repo, revision: null });
  });

  test.each(['', 'a/b/c', '/gpt2', 'gpt2/', 'owner/-name', 'owner/name-', 'a--b/c', 'a/b..c', 'a/b.git', 'a b', 'ow ner/x',
    `a/${'x'.repeat(97)}`, 'owner/na$me'])('%j is refused with what to type instead', (input) => {
    expect(() => parseHubRepoId(input)).toThrow(
      `"${input}" is not a Hugging Face repo id: use owner/name (e.g. HuggingFaceTB/SmolLM2-135M) or a legacy id ` +
        'like gpt2 (letters, digits, "-", "_" and "." only)',
    );
  }); // prettier-ignore

  test('a pasted Hub page URL gives the repo and its revision', () => {
    expect(parseHubRepoId('https://huggingface.co/Qwen/Qwen2.5-0.5B')).toEqual({
      repo: 'Qwen/Qwen2.5-0.5B',
      revision: null,
    });
    expect(parseHubRepoId('https://huggingface.co/gpt2/tree/main/')).toEqual({
      repo: 'gpt2',
      revision: 'main',
    });
    expect(parseHubRepoId('https://huggingface.co/a/b/blob/v1.0/config.json')).toEqual({
      repo: 'a/b',
      revision: 'v1.0',
    });
  });
});

describe('Hub file URLs', () => {
  test('resolve/{revision}/{file} with every segment encoded', () => {
    expect(hubFileUrl('gpt2', 'main', 'config.json')).toBe(
      'https://huggingface.co/gpt2/resolve/main/config.json',
    );
    expect(hubFileUrl('Qwen/Qwen2.5-0.5B', 'refs/pr/1', 'model.safetensors')).toBe(
      'https://huggingface.co/Qwen/Qwen2.5-0.5B/resolve/refs%2Fpr%2F1/model.safetensors',
    );
    expect(hubFileUrl('a/b', 'v 1', 'onnx/model q#1.onnx', 'http://127.0.0.1:8080/')).toBe(
      'http://127.0.0.1:8080/a/b/resolve/v%201/onnx/model%20q%231.onnx',
    );
  });

  test('hubSource defaults to main, accepts a revision, and validates it', () => {
    const source = hubSource('gpt2', { cache: null });
    expect(source.kind).toBe('hub');
    expect(source.describe()).toBe('gpt2 @ main (Hugging Face Hub)');
    expect(source.locate('tokenizer.json')).toBe('https://huggingface.co/gpt2/resolve/main/tokenizer.json');
    expect(source.list()).toBeNull();
    const pinned = hubSource('https://huggingface.co/gpt2/tree/abc123', { cache: null });
    expect(pinned.locate('config.json')).toBe('https://huggingface.co/gpt2/resolve/abc123/config.json');
    expect(() => hubSource('gpt2', { revision: 'ma in', cache: null })).toThrow(
      'revision "ma in" is not valid: use a branch (main), a tag or a commit hash',
    );
  });

  test('base URLs must be https, or http on localhost', () => {
    expect(checkBaseUrl('http://localhost:5173/models').href).toBe('http://localhost:5173/models');
    expect(checkBaseUrl('http://[::1]:9/').hostname).toBe('[::1]');
    expect(() => checkBaseUrl('http://example.com/m/')).toThrow(
      'model URL "http://example.com/m/" uses http:: use https:// (http:// only for localhost)',
    );
    expect(() => checkBaseUrl('ftp://x/')).toThrow('uses ftp:');
    expect(() => checkBaseUrl('models/tiny')).toThrow(
      'model URL "models/tiny" is not a URL: give a full https:// address',
    );
    expect(() => hubSource('gpt2', { baseUrl: 'http://hub.example', cache: null })).toThrow('Hub base URL');
  });
});

describe('urlSource', () => {
  test('files resolve inside the folder, whatever the user pasted', () => {
    const cases: [string, string][] = [
      ['https://example.com/models/tiny', 'https://example.com/models/tiny/config.json'],
      ['https://example.com/models/tiny/', 'https://example.com/models/tiny/config.json'],
      ['https://example.com/models/tiny/config.json', 'https://example.com/models/tiny/config.json'],
      ['https://huggingface.co/gpt2/tree/main', 'https://huggingface.co/gpt2/resolve/main/config.json'],
    ];
    for (const [input, url] of cases)
      expect(urlSource(input, { cache: null }).locate('config.json')).toBe(url);
    expect(urlSource('https://example.com/m/', { cache: null }).locate('sub dir/a#b.json')).toBe(
      'https://example.com/m/sub%20dir/a%23b.json',
    );
  });
});

const file = (name: string, text = name): File => new File([text], name);
function picked(path: string, text = path): File {
  const f = file(path.split('/').pop()!, text);
  Object.defineProperty(f, 'webkitRelativePath', { value: path });
  return f;
}

describe('localFilesSource', () => {
  test('plain picked files: names are the file names', async () => {
    const source = localFilesSource([file('config.json', '{}'), file('tokenizer.json')]);
    expect(source.kind).toBe('local');
    expect(source.describe()).toBe('2 local files');
    expect(source.list()).toEqual(['config.json', 'tokenizer.json']);
    const progress: number[] = [];
    const opened = await source.open('config.json', { onProgress: (p) => progress.push(p.loadedBytes) });
    expect(new TextDecoder().decode(opened!.bytes)).toBe('{}');
    expect(opened!.from).toBe('local');
    expect(opened!.sha256).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
    expect(progress).toEqual([0, 2]);
  });

  test('a folder picker: the folder prefix is stripped; the model folder is the one holding config.json', () => {
    const source = localFilesSource([picked('models/tiny/config.json'), picked('models/tiny/model.safetensors'),
      picked('models/tiny/onnx/model.onnx'), picked('models/readme.md')]); // prettier-ignore
    expect(source.describe()).toBe('local folder tiny');
    expect(source.list()).toEqual(['config.json', 'model.safetensors', 'onnx/model.onnx']);
    expect(source.locate('config.json')).toBe('models/tiny/config.json');
  });

  test('without config.json the shared folder is the root, and a missing required file says what to do', async () => {
    const source = localFilesSource([picked('tiny/a/tokenizer.json'), picked('tiny/b.json')]);
    expect(source.list()).toEqual(['a/tokenizer.json', 'b.json']);
    expect(await source.open('generation_config.json', { optional: true })).toBeNull();
    const error = await source.open('config.json').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toBe(
      'config.json is not among the chosen files (a/tokenizer.json, b.json): choose the model folder that holds config.json',
    );
  });
});

/** Fake FileSystemEntry trees, as webkitGetAsEntry() gives them. */
function fakeFile(fullPath: string): FileSystemEntry {
  const entry = {
    isFile: true,
    isDirectory: false,
    fullPath,
    file: (ok: (f: File) => void) => ok(file(fullPath)),
  };
  return entry as unknown as FileSystemEntry;
}
function fakeDirectory(fullPath: string, children: FileSystemEntry[]): FileSystemEntry {
  const createReader = () => {
    let offset = 0;
    // Two entries per batch, like Chrome's 100-entry batches: the walker must keep reading.
    const readEntries = (ok: (batch: FileSystemEntry[]) => void) => ok(children.slice(offset, (offset += 2)));
    return { readEntries };
  };
  return { isFile: false, isDirectory: true, fullPath, createReader } as unknown as FileSystemEntry;
}

describe('drag-and-drop', () => {
  test('walks nested folders across several readEntries batches', async () => {
    const tree = fakeDirectory('/tiny', [
      fakeFile('/tiny/config.json'), fakeFile('/tiny/tokenizer.json'), fakeFile('/tiny/model.safetensors'),
      fakeDirectory('/tiny/onnx', [fakeFile('/tiny/onnx/model.onnx')]),
    ]); // prettier-ignore
    const entries = await walkFileSystemEntry(tree);
    expect(entries.map((e) => e.path)).toEqual([
      'tiny/config.json', 'tiny/tokenizer.json', 'tiny/model.safetensors', 'tiny/onnx/model.onnx',
    ]); // prettier-ignore
    expect(localFilesSource(entries).list()).toEqual([
      'config.json',
      'model.safetensors',
      'onnx/model.onnx',
      'tokenizer.json',
    ]);
  });

  test('collects entries synchronously and keeps items without an entry as plain files', async () => {
    const items = [
      {
        kind: 'file',
        webkitGetAsEntry: () => fakeDirectory('/m', [fakeFile('/m/config.json')]),
        getAsFile: () => null,
      },
      { kind: 'file', webkitGetAsEntry: () => null, getAsFile: () => file('tokenizer.json') },
      { kind: 'string', webkitGetAsEntry: () => null, getAsFile: () => null },
    ] as unknown as DataTransferItem[];
    const entries = await collectDroppedFiles(items);
    expect(entries.map((e) => e.path).sort()).toEqual(['m/config.json', 'tokenizer.json']);
  });
});

describe('file sizes before a download (HEAD)', () => {
  const serve = (headers: Record<string, string>, status = 200) =>
    urlSource('https://models.example.test/m/', {
      cache: null,
      fetch: async () => new Response(null, { status, headers }),
    });

  test('Content-Length is the size; 404 is absent', async () => {
    expect(await serve({ 'content-length': '1234' }).sizeOf!('onnx/decoder_model_merged.onnx')).toEqual({
      bytes: 1234,
      from: 'network',
      absent: false,
    });
    expect((await serve({}, 404).sizeOf!('model.safetensors')).absent).toBe(true);
  });

  test("a single-page app's index.html answering a missing file is not that file", async () => {
    const spa = serve({ 'content-type': 'text/html' });
    expect((await spa.sizeOf!('onnx/decoder_model_merged_q4.onnx')).absent).toBe(true);
    expect((await spa.sizeOf!('model.safetensors')).absent).toBe(true);
  });

  test('local files tell their size without reading them; a file not chosen is absent', async () => {
    const source = localFilesSource([new File([new Uint8Array(7)], 'config.json')]);
    expect(await source.sizeOf!('config.json')).toEqual({ bytes: 7, from: 'local', absent: false });
    expect((await source.sizeOf!('model.safetensors')).absent).toBe(true);
  });
});
