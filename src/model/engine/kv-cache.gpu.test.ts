import { describe, expect, test } from 'vitest';
import { readFloat32, uploadStorage } from '../../gpu/readback';
import { testGpu } from '../../testing/gpu';
import { parseModelConfig } from '../config';
import { tinyLlamaConfigJson } from '../reference/tiny';
import { KvCacheStore } from './kv-cache';

const config = parseModelConfig(tinyLlamaConfigJson({ num_hidden_layers: 3, max_position_embeddings: 40 }));
const ROW = config.numKeyValueHeads * config.headDim;

/** Rows whose every element encodes (tag, position, element) so misplacement is visible. */
function rows(tag: number, first: number, count: number): Float32Array {
  return Float32Array.from(
    { length: count * ROW },
    (_, i) => tag * 10_000 + (first + Math.floor(i / ROW)) * 100 + (i % ROW) / 100,
  );
}

async function layerContents(store: KvCacheStore, sequence: number, layer: number, which: 'keys' | 'values') {
  const gpu = await testGpu();
  const buffer = which === 'keys' ? store.keys(sequence) : store.values(sequence);
  return readFloat32(gpu, buffer, store.length(sequence) * ROW, store.layerOffset(sequence, layer));
}

describe('KV cache store', () => {
  test('append lands at each layer offset, survives growth, and fork copies the prefix', async () => {
    const gpu = await testGpu();
    const store = new KvCacheStore(gpu, config, 4);
    const seq = store.create();
    const appendStep = async (first: number, count: number) => {
      const encoder = gpu.device.createCommandEncoder();
      store.reserve(encoder, seq, count);
      const buffers: GPUBuffer[] = [];
      for (let layer = 0; layer < config.numLayers; layer++) {
        const k = uploadStorage(gpu, rows(layer + 1, first, count), 'k');
        const v = uploadStorage(gpu, rows(layer + 11, first, count), 'v');
        buffers.push(k, v);
        store.append(encoder, seq, layer, k, v, 0, count);
      }
      gpu.device.queue.submit([encoder.finish()]);
      store.releaseRetired();
      store.advance(seq, count);
      await gpu.device.queue.onSubmittedWorkDone();
      buffers.forEach((b) => b.destroy());
    };
    await appendStep(0, 3);
    await appendStep(3, 2); // grows from 4 to 8 positions
    await appendStep(5, 9); // grows to 16
    expect(store.capacity(seq)).toBe(16);
    for (let layer = 0; layer < config.numLayers; layer++) {
      expect(await layerContents(store, seq, layer, 'keys')).toEqual(rows(layer + 1, 0, 14));
      expect(await layerContents(store, seq, layer, 'values')).toEqual(rows(layer + 11, 0, 14));
    }
    const encoder = gpu.device.createCommandEncoder();
    const lane = store.fork(encoder, seq);
    gpu.device.queue.submit([encoder.finish()]);
    expect(store.length(lane)).toBe(14);
    expect(await layerContents(store, lane, 2, 'values')).toEqual(rows(13, 0, 14));
    store.truncate(seq, 5);
    expect(await layerContents(store, seq, 1, 'keys')).toEqual(rows(2, 0, 5));
    expect(store.length(lane)).toBe(14);
    expect(() => store.truncate(seq, 6)).toThrow(/cannot truncate sequence .* of length 5 to 6/);
    store.release(lane);
    expect(() => store.length(lane)).toThrow(/unknown sequence/);
    store.dispose();
  });

  test('a sequence cannot outgrow the model, and appends need reserved room', async () => {
    const gpu = await testGpu();
    const store = new KvCacheStore(gpu, config, 4);
    const seq = store.create();
    const encoder = gpu.device.createCommandEncoder();
    expect(() => store.reserve(encoder, seq, 41)).toThrow(
      /would reach 41 tokens, beyond the model's 40 positions/,
    );
    expect(() => store.advance(seq, 5)).toThrow(/reserve first/);
    encoder.finish();
    store.dispose();
  });
});
