// The Decode requests through GpuHost with fake model slots and a scripted session: models resolved
// from slots (loading a default one), pins checked, the scene rendered as the Shapes tab renders it,
// token batches, pause / step / resume / stop at once, and the trace in decodeEnded.
import { describe, expect, it } from 'vitest';
import type { DecodeSessionOptions, LaneStepReport } from '../decoding/lanes/session';
import type { LanguageModel } from '../model/interface';
import { TextTokenizer } from '../model/tokenizer';
import type { Experiment } from '../share/experiment';
import { defaultLane } from '../share/methods';
import type { LaneTrace } from '../share/trace';
import { shapesTokenizerConfig, shapesTokenizerJson } from '../world';
import { WorkerClient } from './client';
import { DecodeHost, type SessionLike } from './decodeHost';
import { scenePixels, type SlotHost, type SlotModel } from './decodeSetup';
import { GpuHost } from './host';
import type { ModelCard, ModelSourceSpec } from './modelTypes';
import type { WorkerEvent } from './protocol';
import type { ShapesModelName } from './shapesTypes';
import { fakeGpu, hostEndpoint } from './test-fakes';

const tokenizer = TextTokenizer.fromJson(shapesTokenizerJson(), shapesTokenizerConfig());
const HASH = 'a'.repeat(64);

function slotModel(
  name: string,
  spec: ModelSourceSpec,
  hashes: Record<string, string> = { 'model.safetensors': HASH },
): SlotModel {
  // prettier-ignore
  const model = { info: { name, fileHashes: hashes } } as unknown as LanguageModel;
  return { model, tokenizer, card: { name } as ModelCard, spec };
}

function slot(initial: SlotModel | null, loads: string[] = []): SlotHost {
  let loaded = initial;
  return {
    loadedModel: () => loaded,
    async load(_gpu, requestId, spec, post) {
      loads.push(spec.kind === 'url' ? spec.url : spec.kind);
      loaded = slotModel(spec.kind === 'url' ? spec.url : 'loaded', spec);
      post({ type: 'modelLoaded', requestId, card: loaded.card });
    },
  };
}

/** One token per unfinished lane per step, until maxTokens. */
function fakeSession(options: DecodeSessionOptions, log: string[]): SessionLike {
  const { experiment } = options;
  const traces: LaneTrace[] = experiment.lanes.map((lane) => ({
    laneId: lane.id,
    inputs: [{ label: 'original image', model: 'main', distortion: null }],
    tokens: [],
    text: '',
    stopReason: null,
    statistics: { tokens: 0, forwardPasses: {}, tokensPerSecond: 0, meanEntropy: 0, readbackBytes: 0, readbackBytesPerToken: 0 }, // prettier-ignore
  }));
  const summary = { label: 'x', top: [], entropy: 0, chosenProbability: 1, chosenRank: 1 };
  return {
    promptTokens: [2, 5],
    get done() {
      return traces.every((t) => t.stopReason !== null);
    },
    laneTraces: () => structuredClone(traces),
    async step(): Promise<LaneStepReport[]> {
      log.push('step');
      return traces
        .filter((t) => t.stopReason === null)
        .map((t) => {
          const token = { step: t.tokens.length, id: 7, piece: 'star', components: [], combined: summary, plausibleCount: 1, divergences: [], changedByMethod: false }; // prettier-ignore
          t.tokens.push(token);
          t.statistics.tokens = t.tokens.length;
          if (t.tokens.length >= experiment.maxTokens) t.stopReason = 'max-tokens';
          return { laneId: t.laneId, token, stopReason: t.stopReason };
        });
    },
    cancel() {
      for (const t of traces) t.stopReason ??= 'cancelled';
    },
    trace: (environment) => ({ version: 1, experiment, promptTokens: [2, 5], lanes: structuredClone(traces), environment }), // prettier-ignore
    dispose: () => void log.push('dispose'),
  };
}

function experiment(overrides: Partial<Experiment> = {}): Experiment {
  return {
    version: 1,
    models: { main: { source: 'default', id: 'shapes-vlm', sha256: {} } },
    prompt: 'the picture shows',
    image: { kind: 'scene', seed: 4, index: 2 },
    seed: 0,
    maxTokens: 3,
    lanes: [defaultLane('plain', 'a'), defaultLane('vcd', 'b')],
    ...overrides,
  };
}

function setup(options: { workbench?: SlotModel | null; vlm?: SlotModel | null } = {}) {
  const log: string[] = [];
  const loads: string[] = [];
  const created: DecodeSessionOptions[] = [];
  const shapeSlots = new Map<ShapesModelName, SlotHost>();
  const workbench = slot(options.workbench ?? null);
  const vlm = options.vlm === undefined ? null : options.vlm;
  const decode = new DecodeHost({
    slots: {
      workbench,
      shapes: (name) => {
        if (!shapeSlots.has(name)) shapeSlots.set(name, slot(name === 'shapes-vlm' ? vlm : null, loads));
        return shapeSlots.get(name)!;
      },
      shapesFolderUrl: (name) => `http://localhost/models/${name}/`,
    },
    createSession: async (o) => (created.push(o), fakeSession(o, log)),
  });
  const events: WorkerEvent[] = [];
  const client = new WorkerClient(
    hostEndpoint((post) => new GpuHost({ checks: [], post, decode, createGpu: async () => fakeGpu() })),
  );
  client.subscribe((e) => events.push(e));
  const start = (exp = experiment(), paused = false, imagePixels?: Float32Array) =>
    client.request({ type: 'startDecode', experiment: exp, paused, ...(imagePixels ? { imagePixels } : {}) });
  const types = () => events.map((e) => e.type).filter((t) => t.startsWith('decode') || t === 'modelLoaded');
  return { client, log, loads, created, events, start, types };
}

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 0));
  expect(condition()).toBe(true);
};

describe('DecodeHost', () => {
  it('loads a default model that is not loaded yet, renders the scene, and ends with the trace', async () => {
    const h = setup();
    await h.client.request({ type: 'init' });
    const ended = await h.start();
    expect(h.loads).toEqual(['http://localhost/models/shapes-vlm/']);
    expect(h.created[0].image).toEqual(scenePixels(4, 2));
    expect(h.types()[0]).toBe('modelLoaded');
    expect(h.types()).toContain('decodeStarted');
    expect(ended).toMatchObject({
      type: 'decodeEnded',
      status: 'completed',
      trace: { promptTokens: [2, 5] },
    });
    expect(ended.trace.lanes.map((l) => l.tokens.length)).toEqual([3, 3]);
    expect(ended.trace.environment.adapter).toMatch(/google/);
    const batches = h.events.flatMap((e) => (e.type === 'decodeTokens' ? e.lanes : []));
    expect(batches.filter((b) => b.laneId === 'a').flatMap((b) => b.tokens.map((t) => t.step))).toEqual([
      0, 1, 2,
    ]);
    expect(batches.filter((b) => b.laneId === 'a').at(-1)!.stopReason).toBe('max-tokens');
    expect(h.log.at(-1)).toBe('dispose');
  });

  it('starts paused: nothing runs until a step, which replies once its tokens are out; then resume and stop', async () => {
    const h = setup({ vlm: slotModel('shapes-vlm', { kind: 'url', url: 'x' }) });
    await h.client.request({ type: 'init' });
    const run = h.start(experiment({ maxTokens: 50 }), true);
    await until(() => h.types().includes('decodeStarted'));
    expect(h.log).toEqual([]);
    expect(await h.client.request({ type: 'stepDecode' })).toMatchObject({ wasPaused: true });
    expect(h.log).toEqual(['step']);
    expect(h.events.filter((e) => e.type === 'decodeTokens')).toHaveLength(1);
    expect(await h.client.request({ type: 'resumeDecode' })).toMatchObject({ wasPaused: true });
    await until(() => h.log.length >= 3);
    expect(await h.client.request({ type: 'pauseDecode' })).toMatchObject({ wasRunning: true });
    expect(await h.client.request({ type: 'stopDecode' })).toMatchObject({ wasRunning: true });
    const ended = await run;
    expect(ended.status).toBe('stopped');
    expect(ended.trace.lanes.map((l) => l.stopReason)).toEqual(['cancelled', 'cancelled']);
    expect(h.loads).toEqual([]);
    expect(await h.client.request({ type: 'stepDecode' })).toMatchObject({ wasPaused: false });
  });

  it('refuses before anything runs: pins that differ, a workbench model that is not the named one, missing pixels', async () => {
    const h = setup({
      vlm: slotModel('shapes-vlm', { kind: 'url', url: 'x' }),
      workbench: slotModel('gpt2', { kind: 'hub', repo: 'openai-community/gpt2', revision: '' }),
    });
    await h.client.request({ type: 'init' });
    const pinned = experiment({ models: { main: { source: 'default', id: 'shapes-vlm', sha256: { 'model.safetensors': 'b'.repeat(64) } } } }); // prettier-ignore
    await expect(h.start(pinned)).rejects.toThrow(/not the one this experiment pins: model.safetensors is aaaaaaaaaaaa…, the experiment pins bbbbbbbbbbbb…/); // prettier-ignore
    const hub = experiment({
      models: { main: { source: 'hub', id: 'Qwen/Qwen2.5-0.5B', sha256: {} } },
      image: null,
    });
    await expect(h.start(hub)).rejects.toThrow(
      /the Model tab holds gpt2: load Qwen\/Qwen2.5-0.5B there first/,
    );
    const gpt2 = experiment({ models: { main: { source: 'hub', id: 'openai-community/gpt2', sha256: {} } }, image: null }); // prettier-ignore
    expect((await h.start(gpt2)).status).toBe('completed');
    const upload = experiment({ image: { kind: 'upload', sha256: HASH, name: 'cat.png' } });
    await expect(h.start(upload)).rejects.toThrow(/uploaded image cat.png, but its pixels were not sent/);
    const pixels = new Float32Array(48 * 48 * 3).fill(0.5);
    await h.start(upload, false, pixels);
    expect(h.created.at(-1)!.image).toEqual(pixels);
    const same = experiment({ models: { main: { source: 'default', id: 'shapes-vlm', sha256: {} }, amateur: { source: 'default', id: 'shapes-vlm', sha256: {} } } }); // prettier-ignore
    await expect(h.start(same)).rejects.toThrow(/main and amateur models are the same loaded model/);
    expect(h.created).toHaveLength(2);
    expect(h.types().filter((t) => t === 'decodeStarted')).toHaveLength(2);
  });

  it('answers the steering requests when nothing runs', async () => {
    const h = setup();
    await h.client.request({ type: 'init' });
    expect(await h.client.request({ type: 'pauseDecode' })).toMatchObject({ wasRunning: false });
    expect(await h.client.request({ type: 'resumeDecode' })).toMatchObject({ wasPaused: false });
    expect(await h.client.request({ type: 'stopDecode' })).toMatchObject({ wasRunning: false });
  });
});
