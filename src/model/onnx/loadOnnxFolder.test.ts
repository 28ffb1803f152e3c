// Loading a folder with the Hub's ONNX layout through the real sources: the Hub source against a
// local Hub-like server (the committed shapes-draft export), and local files for the messages that
// list what a folder holds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ModelLoadError } from '../loading/errors';
import { startHubServer, type HubServer } from '../loading/fixtures/hubServer';
import { folderAsFiles, tinyModelFolder } from '../loading/fixtures/tinyModels';
import { localFilesSource } from '../loading/localFiles';
import { hubSource } from '../loading/sources';
import { tinyLlamaConfigJson } from '../reference/tiny';
import { loadOnnxFolder, parseOnnxModelConfig } from './loadOnnxFolder';

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
