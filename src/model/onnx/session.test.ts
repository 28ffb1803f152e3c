// Session creation decisions without onnxruntime: which providers are tried in which order with
// which options, the fallback notice, and the errors (corrupt file, out of memory); the decoder's
// session checked against its layout (openDecoder).
import type { InferenceSession } from 'onnxruntime-web/webgpu';
import { describe, expect, test } from 'vitest';
import { parseModelConfig } from '../config';
import { ModelLoadError } from '../loading/errors';
import { tinyLlamaConfigJson } from '../reference/tiny';
import {
  openDecoder,
  openSession,
  webGpuHalfProblem,
  type SessionFactory,
  type SessionOptions,
} from './session';

const device = {} as GPUDevice;
const bytes = new Uint8Array(1234);
const FILE = 'onnx/decoder_model_merged.onnx';
const fakeSession = { inputNames: [] } as unknown as InferenceSession;

/** A factory that fails for the providers in `failures` with their message and records each call. */
function factory(failures: Partial<Record<string, string>> = {}) {
  const calls: SessionOptions[] = [];
  const create: SessionFactory = async (_bytes, options) => {
    calls.push(options);
    const first = options.executionProviders![0];
    const name = typeof first === 'string' ? first : first.name;
    if (failures[name]) throw new Error(failures[name]);
    return fakeSession;
  };
  return { create, calls };
}

describe('openSession', () => {
  test('WebGPU on our device with outputs kept on the GPU', async () => {
    const { create, calls } = factory();
    const opened = await openSession(create, bytes, { device, file: FILE });
    expect(opened).toEqual({ session: fakeSession, provider: 'webgpu', notice: null });
    expect(calls).toHaveLength(1);
    expect(calls[0].executionProviders).toEqual([{ name: 'webgpu', device }]);
    expect(calls[0].preferredOutputLocation).toBe('gpu-buffer');
    expect(calls[0]).not.toHaveProperty('externalData');
  });

  test('auto falls back to wasm with a notice that says why and what it costs', async () => {
    const { create, calls } = factory({ webgpu: 'no adapter' });
    const opened = await openSession(create, bytes, { device, file: FILE });
    expect(opened.provider).toBe('wasm');
    expect(opened.notice).toBe(
      'onnxruntime-web could not run onnx/decoder_model_merged.onnx on WebGPU (no adapter); it runs on the CPU ' +
        '(wasm provider) instead: much slower, and its logits are uploaded to the GPU once per forward',
    );
    expect(calls.map((c) => c.preferredOutputLocation)).toEqual(['gpu-buffer', 'cpu']);
    expect(calls[1].executionProviders).toEqual(['wasm']);
  });

  test('an explicit provider is not replaced, and asking for wasm gives no notice', async () => {
    const webgpuOnly = factory({ webgpu: 'no adapter' });
    await expect(
      openSession(webgpuOnly.create, bytes, { device, file: FILE, provider: 'webgpu' }),
    ).rejects.toThrow(
      /could not create a session for onnx\/decoder_model_merged\.onnx \(webgpu: no adapter\)/,
    );
    expect(webgpuOnly.calls).toHaveLength(1);
    const wasm = await openSession(factory().create, bytes, { device, file: FILE, provider: 'wasm' });
    expect(wasm).toMatchObject({ provider: 'wasm', notice: null });
  });

  test('external data is passed on', async () => {
    const { create, calls } = factory();
    const externalData = [{ path: 'decoder_model_merged.onnx_data', data: new Uint8Array(8) }];
    await openSession(create, bytes, { device, file: FILE, externalData });
    expect(calls[0].externalData).toBe(externalData);
  });

  test('failures on both providers: a format error with both messages, or too-large for memory', async () => {
    const corrupt = factory({ webgpu: 'protobuf parsing failed', wasm: 'protobuf parsing failed' });
    const error = await openSession(corrupt.create, bytes, { device, file: FILE }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as ModelLoadError).kind).toBe('format');
    expect((error as ModelLoadError).message).toMatch(
      /^onnxruntime-web could not create a session for onnx\/decoder_model_merged\.onnx \(webgpu: protobuf parsing failed; wasm: protobuf parsing failed\)/,
    );
    const memory = factory({ webgpu: 'Failed to allocate a buffer of 4 GB', wasm: 'Aborted(OOM)' });
    const oom = (await openSession(memory.create, bytes, { device, file: FILE }).catch(
      (e: unknown) => e,
    )) as ModelLoadError;
    expect(oom.kind).toBe('too-large');
    expect(oom.message).toMatch(
      /^onnx\/decoder_model_merged\.onnx \(1\.2 kB\) does not fit in memory .*choose a smaller dtype \(q4\)/,
    );
    expect(oom.file).toBe(FILE);
  });
});

describe('webGpuHalfProblem', () => {
  const withFeatures = (...features: string[]) => ({ features: new Set(features) as GPUSupportedFeatures });
  const FP16 = 'onnx/decoder_model_merged_fp16.onnx';

  test('float16 at the boundary needs shader-f16; float32 graphs never do', () => {
    const half = { logitsType: 'float16', cacheType: 'float16' } as const;
    expect(webGpuHalfProblem(half, withFeatures('shader-f16'), FP16)).toBeNull();
    expect(
      webGpuHalfProblem({ logitsType: 'float32', cacheType: 'float32' }, withFeatures(), FILE),
    ).toBeNull();
    expect(webGpuHalfProblem(half, withFeatures('timestamp-query'), FP16)).toBe(
      "onnx/decoder_model_merged_fp16.onnx has float16 logits and KV cache, and onnxruntime-web's WebGPU " +
        "provider runs float16 only on GPUs with the 'shader-f16' feature, which this one lacks",
    );
    expect(webGpuHalfProblem({ logitsType: 'float16', cacheType: 'float32' }, withFeatures(), FP16)).toMatch(
      /has float16 logits, and/,
    );
  });
});

describe('openDecoder', () => {
  const config = parseModelConfig(tinyLlamaConfigJson({ num_hidden_layers: 1 })); // kv heads 2, head dim 8
  /** A fake session whose metadata is a one-layer decoder taking `tokenInput` of `embedsType`. */
  function decoderSession(tokenInput: 'input_ids' | 'inputs_embeds', embedsType = 'float32') {
    const tensor = (name: string, type: string, shape: (number | string)[]) => ({
      name,
      isTensor: true,
      type,
      shape,
    });
    const cache = (name: string) => tensor(name, 'float32', ['batch_size', 2, 'past_sequence_length', 8]);
    const state = { released: 0 };
    const session = {
      inputMetadata: [
        tokenInput === 'input_ids'
          ? tensor('input_ids', 'int64', ['batch_size', 'sequence_length'])
          : tensor('inputs_embeds', embedsType, ['batch_size', 'sequence_length', 32]),
        tensor('attention_mask', 'int64', ['batch_size', 'total_sequence_length']),
        tensor('position_ids', 'int64', ['batch_size', 'sequence_length']),
        cache('past_key_values.0.key'),
        cache('past_key_values.0.value'),
      ],
      outputMetadata: [
        tensor('logits', 'float32', ['batch_size', 'sequence_length', 67]),
        cache('present.0.key'),
        cache('present.0.value'),
      ],
      release: async () => {
        state.released++;
      },
    } as unknown as InferenceSession;
    return { session, state };
  }
  const folder = (bytes = new Uint8Array(4)) => ({
    name: 'tiny',
    config,
    dtype: 'fp32' as const,
    fileHashes: {},
    decoderFile: FILE,
    decoderBytes: bytes,
    externalData: [],
  });
  const noF16 = { features: new Set<string>() } as unknown as GPUDevice;

  test('the decoder of an Idefics3 folder: inputs_embeds, padded batches', async () => {
    const { session } = decoderSession('inputs_embeds');
    const opened = await openDecoder(async () => session, noF16, folder(), {}, 'inputs_embeds');
    expect(opened).toMatchObject({ provider: 'webgpu', notice: null, batching: 'padded' });
    expect(opened.layout).toMatchObject({ tokenInput: 'inputs_embeds', embedsType: 'float32' });
  });

  test('a graph of the other layout is refused and its session released', async () => {
    const { session, state } = decoderSession('input_ids');
    const error = await openDecoder(async () => session, noF16, folder(), {}, 'inputs_embeds').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toContain('it takes input_ids instead of inputs_embeds');
    expect(state.released).toBe(1);
  });

  test('float16 inputs_embeds without shader-f16: refused on webgpu, wasm with a notice in auto', async () => {
    const half = decoderSession('inputs_embeds', 'float16');
    const refused = await openDecoder(
      async () => half.session,
      noF16,
      folder(),
      { provider: 'webgpu' },
      'inputs_embeds',
    ).catch((e: unknown) => e);
    expect((refused as Error).message).toContain('has float16 inputs_embeds, and onnxruntime-web');
    expect(half.state.released).toBe(1);
    const providers: string[] = [];
    const create: SessionFactory = async (_bytes, options) => {
      const first = options.executionProviders![0];
      providers.push(typeof first === 'string' ? first : first.name);
      return decoderSession('inputs_embeds', 'float16').session;
    };
    const opened = await openDecoder(create, noF16, folder(), {}, 'inputs_embeds');
    expect(providers).toEqual(['webgpu', 'wasm']);
    expect(opened.provider).toBe('wasm');
    expect(opened.notice).toMatch(
      /has float16 inputs_embeds.*; it runs on the CPU \(wasm provider\) instead/,
    );
  });
});
