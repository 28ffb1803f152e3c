// The Model tab's choice before a load, through the real store, client and host (the model host
// faked, recording what it is asked to load): a local folder with an ONNX export waits for its
// engine / dtype / provider, a safetensors folder loads at once, "keep" loads beside the loaded
// models, a refused load leaves them; and which loaded model a setup's ref names.
import { describe, expect, it } from 'vitest';
import type { ModelRef } from '../share/experiment';
import { WorkerClient } from '../worker/client';
import { GpuHost } from '../worker/host';
import type { ModelHost } from '../worker/modelHost';
import { loadChoiceForRef, type ModelCard, type ModelSourceSpec } from '../worker/modelTypes';
import type { WorkerEvent } from '../worker/protocol';
import { fakeGpu, hostEndpoint } from '../worker/test-fakes';
import { createAppStore } from './createAppStore';
import { modelAvailability } from './decodeModels';
import { workbenchCardFor } from './modelChoice';
import { initialModelState } from './modelSlice';
import { initialShapesState } from './shapesSlice';

type Post = (event: WorkerEvent) => void;

const file = (path: string, bytes = 4) => ({ path, file: new File([new Uint8Array(bytes)], path.split('/').pop()!) }); // prettier-ignore
const ONNX_FOLDER = ['config.json', 'tokenizer.json', 'onnx/decoder_model_merged.onnx', 'onnx/decoder_model_merged_q4.onnx'].map((p) => file(`m/${p}`)); // prettier-ignore
const SAFETENSORS_FOLDER = ['config.json', 'tokenizer.json', 'model.safetensors'].map((p) => file(`m/${p}`));

function cardOf(name: string, hashes: Record<string, string>, ref: ModelRef | null): ModelCard {
  return { name, fileHashes: hashes, ref, gpuBytes: 1 } as ModelCard;
}

/** Records each load's spec; keeps a shelf like ModelHost (keepLoaded adds, else replaces). */
function recordingModels(refuse: (spec: ModelSourceSpec) => string | null) {
  const specs: ModelSourceSpec[] = [];
  let shelf: ModelCard[] = [];
  const models = {
    reset() {},
    async load(_gpu: unknown, requestId: number, spec: ModelSourceSpec, post: Post) {
      specs.push(spec);
      const refusal = refuse(spec);
      if (refusal) throw Object.assign(new Error(refusal), { name: 'ModelRequestError' });
      const card = cardOf(`model ${specs.length}`, { 'config.json': String(specs.length) }, null);
      shelf = spec.load?.keepLoaded ? [...shelf, card] : [card];
      post({ type: 'modelLoaded', requestId, card, loaded: shelf });
    },
  } as unknown as ModelHost;
  return { models, specs };
}

function appWith(models: ModelHost) {
  return createAppStore({
    hasWebGpu: () => true,
    startClient: () =>
      new WorkerClient(
        hostEndpoint((post) => new GpuHost({ checks: [], post, models, createGpu: async () => fakeGpu() })),
      ),
  });
}

describe('the Model tab choice before a load', () => {
  it('an ONNX folder waits for its dtype and provider; keep loads beside; a refusal leaves the models', async () => {
    const { models, specs } = recordingModels((spec) =>
      spec.load?.onnxDtype === 'q4' && spec.load.provider === 'webgpu'
        ? 'onnx/decoder_model_merged_q4.onnx has a KV cache for 3 layers but config.json says num_hidden_layers 1'
        : null,
    );
    const store = appWith(models);
    await store.getState().connect();

    await store.getState().chooseSource({ kind: 'files', files: ONNX_FOLDER });
    const { choice } = store.getState().model;
    expect(specs).toEqual([]); // nothing loads before the choice
    expect(choice).toMatchObject({ name: 'local folder m', engine: 'onnx', dtype: 'fp32', provider: 'auto' });
    expect(choice?.layout.onnx.map((v) => v.dtype)).toEqual(['fp32', 'q4']);
    expect(choice?.layout.safetensors).toBe(false);

    store.getState().editChoice({ dtype: 'q4', provider: 'wasm' });
    await store.getState().loadChosen();
    expect(specs[0].load).toEqual({ engine: 'onnx', onnxDtype: 'q4', provider: 'wasm', keepLoaded: false });
    expect(store.getState().model).toMatchObject({ status: 'ready', choice: null });
    expect(store.getState().model.loaded.map((c) => c.name)).toEqual(['model 1']);

    // A safetensors folder loads at once, here beside the first model.
    store.getState().setKeepLoaded(true);
    await store.getState().chooseSource({ kind: 'files', files: SAFETENSORS_FOLDER });
    expect(specs[1].load).toEqual({ keepLoaded: true });
    expect(store.getState().model.loaded.map((c) => c.name)).toEqual(['model 1', 'model 2']);
    expect(store.getState().model.card?.name).toBe('model 2');

    // Refused (a graph that contradicts config.json): the message, and both models stay.
    store.getState().setKeepLoaded(false);
    await store.getState().chooseSource({ kind: 'files', files: ONNX_FOLDER });
    store.getState().editChoice({ dtype: 'q4', provider: 'webgpu' });
    await store.getState().loadChosen();
    expect(specs[2].load).toMatchObject({ engine: 'onnx', onnxDtype: 'q4', keepLoaded: false });
    const { model } = store.getState();
    expect(model.error).toContain('has a KV cache for 3 layers but config.json says num_hidden_layers 1');
    expect(model.status).toBe('ready');
    expect(model.loaded.map((c) => c.name)).toEqual(['model 1', 'model 2']);
  });

  it('a Hub or URL ref names the loaded model with its pins, else by source, else the active one', () => {
    const expertRef: ModelRef = { source: 'url', id: 'http://h/expert/', sha256: { 'onnx/decoder_model_merged.onnx': 'e'.repeat(64) } }; // prettier-ignore
    const draftRef: ModelRef = { source: 'url', id: 'http://h/draft/', sha256: { 'onnx/decoder_model_merged.onnx': 'd'.repeat(64) } }; // prettier-ignore
    const expert = cardOf('expert', expertRef.sha256, expertRef);
    const draft = cardOf('draft', draftRef.sha256, draftRef);
    const model = { card: draft, loaded: [expert, draft] };
    expect(workbenchCardFor(model, expertRef)).toBe(expert);
    expect(workbenchCardFor(model, draftRef)).toBe(draft);
    expect(workbenchCardFor(model, { ...expertRef, sha256: {} })).toBe(expert);
    expect(workbenchCardFor(model, { source: 'hub', id: 'other/x', sha256: {} })).toBe(draft);
    expect(workbenchCardFor({ card: null, loaded: [] }, expertRef)).toBeNull();

    // Decode and Speculative see both as ready; a pin no loaded file has is named.
    const state = { ...initialModelState, status: 'ready' as const, ...model };
    expect(modelAvailability(expertRef, initialShapesState, state).status).toBe('ready');
    expect(modelAvailability(draftRef, initialShapesState, state).status).toBe('ready');
    const other = { ...expertRef, sha256: { 'onnx/decoder_model_merged.onnx': 'f'.repeat(64) } };
    const mismatch = modelAvailability(other, initialShapesState, state);
    expect(mismatch.status).toBe('mismatch');
    expect(mismatch.message).toContain('onnx/decoder_model_merged.onnx is pinned to sha ffffffff');
  });
});

describe('loading what a link names', () => {
  it('the pinned decoder gives the dtype; a pinned safetensors file the WGSL engine', () => {
    const ref = (files: string[]): ModelRef => ({ source: 'url', id: 'http://h/m/', sha256: Object.fromEntries(files.map((f) => [f, 'a'.repeat(64)])) }); // prettier-ignore
    expect(loadChoiceForRef(ref(['config.json', 'onnx/decoder_model_merged_q4.onnx']))).toEqual({ engine: 'onnx', onnxDtype: 'q4' }); // prettier-ignore
    expect(loadChoiceForRef(ref(['config.json', 'model.safetensors']))).toEqual({ engine: 'wgsl' });
    expect(loadChoiceForRef(ref([]))).toBeUndefined();
  });
});
