// "Nothing half-loaded stays in GPU memory" (issue 3, item 8): every GPU buffer created while a
// WgslModel loads is destroyed when the load fails part-way, and dispose() of a working model
// destroys every buffer the model created. Buffers are tracked by wrapping
// `device.createBuffer` (and each new buffer's `destroy`) for the duration of one test.
import { afterEach, describe, expect, test } from 'vitest';
import type { Gpu } from '../../gpu/runtime';
import { testGpu } from '../../testing/gpu';
import type { TensorSource } from './weights';
import { tinyGpt2ConfigJson, tinyLlamaConfigJson, tinyModel } from '../reference/tiny';
import { WgslModel } from './model';

interface TrackedBuffer {
  /** The label given at creation (the buffer pool relabels buffers it hands out again). */
  label: string;
  destroyed: boolean;
}

interface BufferTracker {
  readonly created: readonly TrackedBuffer[];
  /** Labels of tracked buffers not destroyed yet, sorted. */
  live(): string[];
  restore(): void;
}

let active: BufferTracker | null = null;
afterEach(() => {
  active?.restore();
  active = null;
});

/** Tracks buffers created on `gpu` until restore(); `failOn` makes chosen creations throw. */
function trackBuffers(gpu: Gpu, failOn: (label: string) => boolean = () => false): BufferTracker {
  const device = gpu.device;
  const original = device.createBuffer;
  const created: TrackedBuffer[] = [];
  device.createBuffer = (descriptor: GPUBufferDescriptor): GPUBuffer => {
    const label = descriptor.label ?? '(unlabelled)';
    // Stands in for an allocation or a kernel set-up that fails part-way through loading.
    if (failOn(label)) throw new Error(`injected failure creating ${label}`);
    const buffer = original.call(device, descriptor);
    const entry: TrackedBuffer = { label, destroyed: false };
    created.push(entry);
    const destroy = buffer.destroy;
    buffer.destroy = () => {
      entry.destroyed = true;
      destroy.call(buffer);
    };
    return buffer;
  };
  // Parked pool buffers would be handed out again without a createBuffer call; start from none.
  gpu.buffers.trim();
  active = {
    created,
    live: () =>
      created
        .filter((b) => !b.destroyed)
        .map((b) => b.label)
        .sort(),
    // The wrapper is an own property shadowing the prototype's method: deleting it restores it.
    restore: () => void Reflect.deleteProperty(device, 'createBuffer'),
  };
  return active;
}

/** Lets set-up work still running after a rejection (siblings in a Promise.all) finish. */
async function settle(gpu: Gpu): Promise<void> {
  await gpu.device.queue.onSubmittedWorkDone();
  await new Promise((resolve) => setTimeout(resolve, 50));
}

type Corrupt = (name: string, data: Float32Array) => Float32Array;

function tiny(configJson: Record<string, unknown>, corrupt: Corrupt = (_, data) => data) {
  const { config, weights } = tinyModel(configJson, 5);
  const source: TensorSource = {
    get(name) {
      const data = weights.get(name);
      if (!data) throw new Error(`missing ${name}`);
      return corrupt(name, data);
    },
  };
  return { config, source };
}

// Creating this buffer throws in the kernel-failure cases (a kernel of layer 1 of 4).
const FAILING_KERNEL_BUFFER = 'layer1:norm2:params';

// 4 layers so that "layer 2" is half-way through the upload.
const ARCHITECTURES = [
  {
    name: 'gpt2',
    configJson: tinyGpt2ConfigJson({ n_layer: 4, n_positions: 128 }),
    halfway: 'h.2.attn.c_attn.weight',
    matrix: 'h.2.mlp.c_fc.weight',
    vector: 'h.2.ln_1.weight',
  },
  {
    name: 'llama',
    configJson: tinyLlamaConfigJson({ num_hidden_layers: 4 }),
    halfway: 'model.layers.2.self_attn.q_proj.weight',
    matrix: 'model.layers.2.mlp.down_proj.weight',
    vector: 'model.layers.2.input_layernorm.weight',
  },
];

describe.each(ARCHITECTURES)('a failed load of $name leaves nothing in GPU memory', (arch) => {
  test('a tensor source that throws half-way: every buffer created is destroyed', async () => {
    const gpu = await testGpu();
    const { config, source } = tiny(arch.configJson, (name, data) => {
      if (name === arch.halfway) throw new Error(`cannot read ${name}: network error`);
      return data;
    });
    const tracker = trackBuffers(gpu);
    await expect(WgslModel.create(gpu, config, source, { name: 'half' })).rejects.toThrow(
      `cannot read ${arch.halfway}`,
    );
    await settle(gpu);
    expect(tracker.created.length, 'buffers were uploaded before the failure').toBeGreaterThan(10);
    expect(tracker.live()).toEqual([]);
  });

  test('a wrongly sized matrix is refused, named, and every buffer created is destroyed', async () => {
    const gpu = await testGpu();
    const { config, source } = tiny(arch.configJson, (name, data) =>
      name === arch.matrix ? data.subarray(1) : data,
    );
    const tracker = trackBuffers(gpu);
    const attempt = WgslModel.create(gpu, config, source, { name: 'short' });
    await expect(attempt).rejects.toThrow(arch.matrix);
    await expect(attempt).rejects.toThrow(/has \d+ values, config.json implies \d+/);
    await settle(gpu);
    expect(tracker.live()).toEqual([]);
  });

  test('a wrongly sized norm vector is refused at load, named', async () => {
    const gpu = await testGpu();
    const { config, source } = tiny(arch.configJson, (name, data) =>
      name === arch.vector ? Float32Array.from([...data, 1]) : data,
    );
    const tracker = trackBuffers(gpu);
    await expect(WgslModel.create(gpu, config, source, { name: 'long' })).rejects.toThrow(arch.vector);
    await settle(gpu);
    expect(tracker.live()).toEqual([]);
  });

  test('a kernel that fails to set up half-way: every buffer created is destroyed', async () => {
    const gpu = await testGpu();
    const { config, source } = tiny(arch.configJson);
    const tracker = trackBuffers(gpu, (label) => label === FAILING_KERNEL_BUFFER);
    await expect(WgslModel.create(gpu, config, source, { name: 'kernels' })).rejects.toThrow(
      `injected failure creating ${FAILING_KERNEL_BUFFER}`,
    );
    await settle(gpu);
    const weights = tracker.created.filter((buffer) => buffer.label.startsWith('kernels:'));
    expect(weights.length, 'weights were uploaded before the kernels').toBeGreaterThan(10);
    expect(tracker.live()).toEqual([]);
  });
});

/** Exercises every allocation path: prefill and decode attention, batches, fork, cache growth, captures. */
async function useEverything(model: WgslModel, vocab: number): Promise<void> {
  const prompt = Array.from({ length: 20 }, (_, i) => (i * 13 + 5) % vocab);
  const a = model.createSequence();
  const b = model.createSequence();
  await model.forward({ sequences: [{ sequence: a, tokens: prompt }], logits: 'all' });
  const lane = model.fork(a);
  await model.forward({
    sequences: [
      { sequence: a, tokens: [1] },
      { sequence: b, tokens: prompt.slice(0, 3) },
      { sequence: lane, tokens: [2, 3] },
    ],
  });
  // Past the initial capacity of 64 positions: the cache grows and retires its old buffers.
  for (let step = 0; step < 3; step++)
    await model.forward({ sequences: [{ sequence: a, tokens: prompt.concat(prompt).slice(0, 16) }] });
  await model.forward({
    sequences: [{ sequence: b, tokens: [4, 5] }],
    capture: { hiddenStates: true, logitLensLayers: [1, 2], attention: { layer: 1, head: 0 } },
  });
  model.truncate(a, 10);
  model.releaseSequence(b);
}

// The device-wide 16-byte dummy binding (matmul/support.ts dummyStorage) belongs to the Gpu, not
// to a model; it is listed only when this test happens to be the first to create it.
const SHARED_DUMMY = 'engine:unused-binding';

describe.each(ARCHITECTURES)('dispose() of a working $name model', (arch) => {
  test('destroys every buffer the model created', async () => {
    const gpu = await testGpu();
    const { config, source } = tiny(arch.configJson);
    const tracker = trackBuffers(gpu);
    const model = await WgslModel.create(gpu, config, source, { name: 'working' });
    await useEverything(model, config.vocabSize);
    await gpu.device.queue.onSubmittedWorkDone();
    const labels = new Set(tracker.created.map((b) => b.label));
    // The run did touch every kind of buffer the test is about.
    for (const expected of [
      /^working:/,
      /^kv-cache:\d+:keys$/,
      /^engine:logits$/,
      /:params(\[\d+\])?$/,
      /:decode:partials$/,
    ])
      expect(
        [...labels].some((l) => expected.test(l)),
        String(expected),
      ).toBe(true);
    model.dispose();
    expect(tracker.live().filter((l) => l !== SHARED_DUMMY)).toEqual([]);
  });
});
