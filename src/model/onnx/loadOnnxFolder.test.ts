// Loading a folder with the Hub's ONNX layout through the real sources: the Hub source against a
// local Hub-like server (the committed shapes-draft export), and local files for the messages that
// list what a folder holds; which layout and dtypes a folder holds (file list, HEAD requests); the
// question before a large download and the memory budget, before the decoder is fetched.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ModelLoadError } from '../loading/errors';
import { startHubServer, type HubServer } from '../loading/fixtures/hubServer';
import { folderAsFiles, tinyModelFolder } from '../loading/fixtures/tinyModels';
import { localFilesSource } from '../loading/localFiles';
import { hubSource } from '../loading/sources';
import { tinyLlamaConfigJson } from '../reference/tiny';
import type { DownloadInfo } from '../loading/downloadPlan';
import { defaultOnnxDtype, detectFolderLayout, loadOnnxFolder, parseOnnxModelConfig } from './loadOnnxFolder';

const FIXTURE = join(process.cwd(), 'public', 'fixtures', 'onnx', 'shapes-draft');
const FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/decoder_model_merged.onnx',
];
const draft = Object.fromEntries(FILES.map((f) => [f, new Uint8Array(readFileSync(join(FIXTURE, f)))]));

async function refusal(promise: Promise<unknown>): Promise<ModelLoadError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelLoadError);
  return error as ModelLoadError;
}

describe('loadOnnxFolder from a Hub-like server', () => {
  let server: HubServer;
  beforeAll(async () => {
    server = await startHubServer({
      'logitlab/shapes-draft-ONNX': { main: draft },
      'logitlab/two-dtypes-ONNX': {
        main: { ...draft, 'onnx/decoder_model_merged_q4.onnx': new Uint8Array(4096) },
      },
      'logitlab/both-formats': {
        main: { ...draft, 'model.safetensors': new Uint8Array(8) },
      },
      'logitlab/big-ONNX': {
        main: {
          ...draft,
          'config.json': new TextEncoder().encode(
            JSON.stringify({
              ...JSON.parse(new TextDecoder().decode(draft['config.json'])),
              'transformers.js_config': { use_external_data_format: 2 },
            }),
          ),
          'onnx/decoder_model_merged.onnx_data': new Uint8Array([1, 2, 3, 4]),
          'onnx/decoder_model_merged.onnx_data_1': new Uint8Array([5, 6]),
        },
      },
    });
  });
  afterAll(() => server.close());
  const source = (repo: string) => hubSource(repo, { baseUrl: server.baseUrl, cache: null });

  test('reads config, tokenizer and the fp32 decoder with hashes and progress', async () => {
    const progress = new Set<string>();
    const folder = await loadOnnxFolder(source('logitlab/shapes-draft-ONNX'), {
      onProgress: (p) => progress.add(p.file),
    });
    expect(folder.name).toBe(`logitlab/shapes-draft-ONNX @ main (${server.baseUrl})`);
    expect(folder.config).toMatchObject({
      modelType: 'llama',
      numLayers: 1,
      numKeyValueHeads: 1,
      headDim: 16,
      vocabSize: 62,
    });
    expect(folder.dtype).toBe('fp32');
    expect(folder.decoderFile).toBe('onnx/decoder_model_merged.onnx');
    expect(folder.decoderBytes).toEqual(draft['onnx/decoder_model_merged.onnx']);
    expect(folder.externalData).toEqual([]);
    expect(Object.keys(folder.fileHashes).sort()).toEqual([...FILES].sort());
    expect([...progress].sort()).toEqual([...FILES].sort());
    expect(folder.totalBytes).toBe(FILES.reduce((sum, f) => sum + draft[f].length, 0));
    expect(server.requests).toContain(
      'logitlab/shapes-draft-ONNX/resolve/main/onnx/decoder_model_merged.onnx',
    );
  });

  test('external data chunks are fetched and named as the graph refers to them', async () => {
    const folder = await loadOnnxFolder(source('logitlab/big-ONNX'));
    expect(folder.externalData).toEqual([
      { path: 'decoder_model_merged.onnx_data', data: new Uint8Array([1, 2, 3, 4]) },
      { path: 'decoder_model_merged.onnx_data_1', data: new Uint8Array([5, 6]) },
    ]);
  });

  test('detects the dtypes a repo has by HEAD requests, with their sizes, and no safetensors', async () => {
    const layout = await detectFolderLayout(source('logitlab/two-dtypes-ONNX'));
    expect(layout).toEqual({
      safetensors: false,
      complete: true,
      onnx: [
        { dtype: 'fp32', file: 'onnx/decoder_model_merged.onnx', bytes: draft['onnx/decoder_model_merged.onnx'].length, from: 'network' }, // prettier-ignore
        { dtype: 'q4', file: 'onnx/decoder_model_merged_q4.onnx', bytes: 4096, from: 'network' },
      ],
    });
    expect(defaultOnnxDtype(layout)).toBe('fp32');
    // Sizes only: no file's content was read.
    expect(server.requests.filter((r) => r.startsWith('logitlab/two-dtypes-ONNX'))).toEqual([]);
  });

  test('a repo with both formats says so; safetensorsFirst asks nothing about ONNX files', async () => {
    const both = await detectFolderLayout(source('logitlab/both-formats'));
    expect(both.safetensors).toBe(true);
    expect(both.onnx.map((v) => v.dtype)).toEqual(['fp32']);
    const before = server.requests.length;
    const first = await detectFolderLayout(source('logitlab/both-formats'), { safetensorsFirst: true });
    expect(first).toEqual({ safetensors: true, onnx: [], complete: false });
    expect(server.requests.slice(before)).toEqual([
      'HEAD logitlab/both-formats/resolve/main/model.safetensors',
    ]);
  });

  test('asks before a large download with the files, sizes and memory; a no fetches no decoder', async () => {
    const asked: DownloadInfo[] = [];
    const error = await refusal(
      loadOnnxFolder(source('logitlab/two-dtypes-ONNX'), {
        dtype: 'q4',
        confirmAboveBytes: 1000,
        confirmDownload: async (info) => {
          asked.push(info);
          return false;
        },
      }),
    );
    expect(error.kind).toBe('cancelled');
    expect(asked).toHaveLength(1);
    expect(asked[0].files.map((f) => f.file)).toEqual([
      'tokenizer.json',
      'tokenizer_config.json',
      'generation_config.json',
      'onnx/decoder_model_merged_q4.onnx',
    ]);
    expect(asked[0].exact).toBe(true);
    const bytes = asked[0].files.reduce((sum, f) => sum + (f.bytes ?? 0), 0);
    expect(asked[0].bytes).toBe(bytes);
    // Weights (the decoder file) plus the KV cache of 96 positions: 2 x 1 layer x 1 head x 16 x 96 x 4.
    expect(asked[0].gpuBytes).toBe(4096 + 2 * 16 * 96 * 4);
    expect(server.requests.filter((r) => r.includes('decoder_model_merged_q4') && !r.startsWith('HEAD'))).toEqual([]); // prettier-ignore
  });

  test('a model above the memory budget is refused before its decoder is fetched', async () => {
    const error = await refusal(
      loadOnnxFolder(source('logitlab/two-dtypes-ONNX'), { dtype: 'q4', memoryBudgetBytes: 1000 }),
    );
    expect(error.kind).toBe('too-large');
    expect(error.message).toMatch(
      /onnx\/decoder_model_merged_q4\.onnx needs about .* of memory .* choose a smaller dtype/,
    );
  });

  test('a dtype the repo does not have names the file, the dtype and the suffixes', async () => {
    const error = await refusal(loadOnnxFolder(source('logitlab/shapes-draft-ONNX'), { dtype: 'q4' }));
    expect(error.kind).toBe('missing-file');
    expect(error.file).toBe('onnx/decoder_model_merged_q4.onnx');
    expect(error.message).toContain('has no onnx/decoder_model_merged_q4.onnx (dtype q4)');
    expect(error.message).toContain(
      'fp32 (none), fp16 _fp16, q8 _quantized, int8 _int8, uint8 _uint8, q4 _q4, q4f16 _q4f16, bnb4 _bnb4',
    );
  });
});

describe('loadOnnxFolder from local files', () => {
  test('the layout of a local folder comes from its file list, with local sizes', async () => {
    const files = folderAsFiles(
      { ...draft, 'onnx/decoder_model_merged_q4f16.onnx': new Uint8Array(10) },
      'shapes-draft-ONNX',
    );
    const layout = await detectFolderLayout(localFilesSource(files));
    expect(layout.safetensors).toBe(false);
    expect(layout.complete).toBe(true);
    expect(layout.onnx.map(({ dtype, bytes, from }) => [dtype, bytes, from])).toEqual([
      ['fp32', draft['onnx/decoder_model_merged.onnx'].length, 'local'],
      ['q4f16', 10, 'local'],
    ]);
    const tiny = await detectFolderLayout(localFilesSource(folderAsFiles(tinyModelFolder('llama'), 'tiny')));
    expect(tiny).toEqual({ safetensors: true, onnx: [], complete: true });
    expect(defaultOnnxDtype(tiny)).toBeNull();
  });

  test('a missing dtype lists the dtypes the folder has', async () => {
    const files = folderAsFiles(
      { ...draft, 'onnx/decoder_model_merged_q4.onnx': new Uint8Array(4) },
      'shapes-draft-ONNX',
    );
    const error = await refusal(loadOnnxFolder(localFilesSource(files), { dtype: 'fp16' }));
    expect(error.message).toMatch(
      /has no onnx\/decoder_model_merged_fp16\.onnx \(dtype fp16\) \(it holds .*\): it has the dtypes fp32, q4: choose one of them/,
    );
  });

  test('a safetensors folder is sent to the WGSL engine', async () => {
    const error = await refusal(
      loadOnnxFolder(localFilesSource(folderAsFiles(tinyModelFolder('llama'), 'tiny'))),
    );
    expect(error.message).toContain('it is a safetensors checkpoint: load it with the WGSL engine instead');
  });
});

describe('parseOnnxModelConfig', () => {
  test('ignores keys the graph computes itself (rope_scaling, sliding window, biases, activation)', () => {
    const config = parseOnnxModelConfig(
      tinyLlamaConfigJson({
        rope_scaling: { rope_type: 'llama3', factor: 32 },
        mlp_bias: true,
        hidden_act: 'gelu',
      }),
    );
    expect(config).toMatchObject({ numLayers: 2, numKeyValueHeads: 2, headDim: 8 });
    expect(() => parseOnnxModelConfig(tinyLlamaConfigJson({ num_hidden_layers: 0 }))).toThrow(
      /num_hidden_layers/,
    );
  });
});
