// Bad input to the onnxruntime-web backend, through the real loader and a real session: graphs
// that are not a decoder_model_merged (refused with the names found and expected, their session
// released), a graph that contradicts config.json, a corrupt file, a missing dtype, and forward
// requests the backend cannot serve. Folders are served by an in-memory fetch with the Hub layout.
import { beforeAll, describe, expect, test } from 'vitest';
import { testGpu } from '../../testing/gpu';
import type { Gpu } from '../../gpu/runtime';
import { ModelLoadError } from '../loading/errors';
import { GraphBuilder } from './export/graph';
import { loadOrtModel, type OrtLanguageModel } from './model';
import { createOrtSession } from './runtime';
import type { SessionFactory } from './session';
import { HUB_ONNX_FILES, memorySource, servedFolder, type MemoryFolder } from './testing';

const SLOW = 600_000;

/** Creates real sessions and counts how many were released. */
function countingFactory() {
  const state = { created: 0, released: 0 };
  const factory: SessionFactory = async (bytes, options) => {
    const session = await createOrtSession(bytes, options);
    state.created++;
    const release = session.release.bind(session);
    session.release = () => {
      state.released++;
      return release();
    };
    return session;
  };
  return { factory, state };
}

/** A graph with a vision-language decoder's inputs: inputs_embeds instead of input_ids. */
function embedsDecoder(): Uint8Array<ArrayBuffer> {
  const g = new GraphBuilder();
  const embeds = g.input('inputs_embeds', 'float32', ['batch_size', 'sequence_length', 32]);
  g.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length']);
  g.input('position_ids', 'int64', ['batch_size', 'sequence_length']);
  const key = g.input('past_key_values.0.key', 'float32', ['batch_size', 1, 'past_sequence_length', 16]);
  const value = g.input('past_key_values.0.value', 'float32', ['batch_size', 1, 'past_sequence_length', 16]);
  g.output('logits', embeds, 'float32', ['batch_size', 'sequence_length', 32]);
  g.output('present.0.key', key, 'float32', ['batch_size', 1, 'past_sequence_length', 16]);
  g.output('present.0.value', value, 'float32', ['batch_size', 1, 'past_sequence_length', 16]);
  return new Uint8Array(g.encode('not a text decoder', 'bad-input test'));
}

async function refusal(promise: Promise<unknown>): Promise<ModelLoadError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelLoadError);
  return error as ModelLoadError;
}

describe('onnxruntime-web backend: bad input', () => {
  let gpu: Gpu;
  let draft: MemoryFolder;
  beforeAll(async () => {
    gpu = await testGpu();
    gpu.takeUncapturedErrors(); // the page is shared: errors of earlier files are not ours
    draft = await servedFolder('fixtures/onnx/shapes-draft', HUB_ONNX_FILES);
  }, SLOW);

  test(
    'a graph with other inputs is refused with the names found and expected; its session is released',
    async () => {
      const { factory, state } = countingFactory();
      const folder = { ...draft, 'onnx/decoder_model_merged.onnx': embedsDecoder() };
      const error = await refusal(
        loadOrtModel(gpu, memorySource(folder), { provider: 'webgpu', sessionFactory: factory }),
      );
      expect(error.kind).toBe('format');
      expect(error.file).toBe('onnx/decoder_model_merged.onnx');
      expect(error.message).toContain('it takes inputs_embeds instead of input_ids');
      expect(error.message).toContain(
        'it has inputs [inputs_embeds, attention_mask, position_ids, past_key_values.0.key, past_key_values.0.value]',
      );
      expect(error.message).toContain(
        'expected inputs [input_ids, attention_mask, past_key_values.0.key, past_key_values.0.value] (optional: position_ids, use_cache_branch)',
      );
      expect(error.message).toContain('missing inputs input_ids');
      expect(state).toEqual({ created: 1, released: 1 });
    },
    SLOW,
  );

  test(
    'a graph whose cache has another layer count than config.json is a mismatch',
    async () => {
      const { factory, state } = countingFactory();
      const { 'config.json': expertConfig } = await servedFolder('fixtures/onnx/shapes-expert', [
        'config.json',
      ]);
      const error = await refusal(
        loadOrtModel(gpu, memorySource({ ...draft, 'config.json': expertConfig }), {
          provider: 'webgpu',
          sessionFactory: factory,
        }),
      );
      expect(error.kind).toBe('mismatch');
      expect(error.message).toMatch(/has a KV cache for 1 layers but config\.json says num_hidden_layers 3/);
      expect(state).toEqual({ created: 1, released: 1 });
    },
    SLOW,
  );

  test(
    'a corrupt file is a session-creation error naming the file and both providers tried',
    async () => {
      const garbage = new Uint8Array(4096).map((_, i) => (i * 37 + 11) % 251);
      const error = await refusal(
        loadOrtModel(gpu, memorySource({ ...draft, 'onnx/decoder_model_merged.onnx': garbage })),
      );
      expect(error.kind).toBe('format');
      expect(error.message).toMatch(
        /^onnxruntime-web could not create a session for onnx\/decoder_model_merged\.onnx \(webgpu: .+; wasm: .+\): the file is corrupt/,
      );
    },
    SLOW,
  );

  test(
    'a dtype the folder lacks names the file and the dtype',
    async () => {
      const error = await refusal(loadOrtModel(gpu, memorySource(draft), { dtype: 'q4' }));
      expect(error.kind).toBe('missing-file');
      expect(error.message).toMatch(/has no onnx\/decoder_model_merged_q4\.onnx \(dtype q4\)/);
    },
    SLOW,
  );

  test(
    'requests the backend cannot serve are refused before running, and the model keeps working',
    async () => {
      const { model } = await loadOrtModel(gpu, memorySource(draft), { provider: 'webgpu' });
      const onnx: OrtLanguageModel = model;
      try {
        const seq = onnx.createSequence();
        const V = onnx.info.config.vocabSize;
        await expect(onnx.forward({ sequences: [{ sequence: seq, tokens: [V] }] })).rejects.toThrow(
          `token id ${V} is outside the vocabulary [0, ${V})`,
        );
        await expect(onnx.forward({ sequences: [{ sequence: 999, tokens: [1] }] })).rejects.toThrow(
          /unknown sequence 999/,
        );
        await expect(
          onnx.forward({ sequences: [{ sequence: seq, tokens: [1] }], capture: { hiddenStates: true } }),
        ).rejects.toThrow(/no hidden states, logit lens or attention outputs/);
        await expect(
          onnx.forward({
            sequences: [{ sequence: seq, tokens: Array(onnx.info.config.maxPositions + 1).fill(1) }],
          }),
        ).rejects.toThrow(/beyond the model's 96/);
        expect(() => onnx.truncate(seq, 1)).toThrow(/cannot truncate sequence \d+ of length 0 to 1/);
        const ok = await onnx.forward({ sequences: [{ sequence: seq, tokens: [2, 5] }] });
        expect(ok.rows).toEqual([{ sequence: seq, position: 1 }]);
        expect(gpu.takeUncapturedErrors()).toEqual([]);
      } finally {
        onnx.dispose();
      }
      await expect(onnx.forward({ sequences: [{ sequence: 1, tokens: [1] }] })).rejects.toThrow(
        /was disposed/,
      );
    },
    SLOW,
  );
});
