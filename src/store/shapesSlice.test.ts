// The shapes slice through the real store, client, host and ShapesHost, with the GPU and each
// default model's ModelHost faked: what is loaded from where, what the VLM is shown and asked,
// and the one-request-at-a-time queue (stale captions stopped and dropped).
import { describe, expect, it } from 'vitest';
import { CAPTION_PROMPT } from '../defaults/data';
import { DEFAULT_WORLD, imageToFloat32, rasterize, sampleSceneAt } from '../world';
import { WorkerClient } from '../worker/client';
import { GpuHost } from '../worker/host';
import type { ModelHost } from '../worker/modelHost';
import type { GenerateParams, ModelCard, ModelSourceSpec } from '../worker/modelTypes';
import type { WorkerEvent } from '../worker/protocol';
import { ShapesHost } from '../worker/shapesHost';
import type { ShapesModelName } from '../worker/shapesTypes';
import { deferred, fakeGpu, hostEndpoint, settle } from '../worker/test-fakes';
import { createAppStore } from './createAppStore';
import { DEFAULT_SEED, initialShapesState, shapesOnEvent } from './shapesSlice';

type Post = (event: WorkerEvent) => void;

interface Generation {
  prompt: string;
  image: Float32Array | undefined;
  maxTokens: number;
  greedy: boolean;
}

/** Fake default models: loads succeed unless `missing`; the VLM captions "a red circle ." and answers "yes". */
function fakeShapes(options: { missing?: ShapesModelName[]; hold?: boolean } = {}) {
  const loads: { name: ShapesModelName; source: ModelSourceSpec }[] = [];
  const generations: Generation[] = [];
  let running = 0;
  let maxRunning = 0;
  let release = deferred<void>();
  const make = (name: ShapesModelName): ModelHost => {
    let stopped = false;
    return {
      reset() {},
      stop() {
        stopped = true;
        release.resolve();
        return true;
      },
      async load(_gpu: unknown, requestId: number, source: ModelSourceSpec, post: Post) {
        loads.push({ name, source });
        if (options.missing?.includes(name)) {
          throw Object.assign(new Error(`${name}/config.json returned 404 Not Found`), {
            name: 'ModelLoadError',
          });
        }
        post({ type: 'modelLoaded', requestId, card: { name, layers: 3 } as ModelCard });
      },
      async generate(requestId: number, params: GenerateParams, post: Post) {
        generations.push({ prompt: params.prompt, image: params.image, maxTokens: params.maxTokens, greedy: params.greedy }); // prettier-ignore
        maxRunning = Math.max(maxRunning, ++running);
        stopped = false;
        const words =
          params.prompt === CAPTION_PROMPT ? ['a', 'red', 'circle', '.', '<eos>'] : ['yes', '<eos>'];
        post({ type: 'generationStarted', requestId, promptTokens: [{ id: 2, piece: '<bos>' }] });
        for (const [index, piece] of words.entries()) {
          if (index === 1 && options.hold) await release.promise;
          if (stopped) break;
          post({ type: 'generatedToken', requestId, index, id: 10 + index, piece, text: piece, probability: 0.9 }); // prettier-ignore
        }
        running--;
        post({
          type: 'generated',
          requestId,
          promptTokens: [{ id: 2, piece: '<bos>' }],
          generated: words.length,
          text: words.join(' '),
          fullText: words.join(' '),
          stopReason: stopped ? 'cancelled' : 'eos',
          elapsedMs: 1,
        });
      },
    } as unknown as ModelHost;
  };
  const store = createAppStore({
    hasWebGpu: () => true,
    modelsUrl: 'http://127.0.0.1:4173/models/',
    startClient: () =>
      new WorkerClient(
        hostEndpoint(
          (post) =>
            new GpuHost({ checks: [], post, shapes: new ShapesHost(make), createGpu: async () => fakeGpu() }),
        ),
      ),
  });
  return {
    store,
    loads,
    generations,
    maxRunning: () => maxRunning,
    release: () => {
      release.resolve();
      release = deferred<void>();
    },
  };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await settle();
  expect(condition()).toBe(true);
}

const imageOf = (seed: number) => imageToFloat32(rasterize(sampleSceneAt(DEFAULT_WORLD, seed, 0)));

describe('shapes slice', () => {
  it('loads the VLM from the app, captions the seeded scene greedily, then loads the three LMs', async () => {
    const { store, loads, generations } = fakeShapes();
    await store.getState().connect();
    await store.getState().startShapes();
    await until(() => store.getState().shapes.models['shapes-draft'].status === 'ready');

    expect(loads.map((l) => l.name)).toEqual([
      'shapes-vlm',
      'shapes-expert',
      'shapes-amateur',
      'shapes-draft',
    ]);
    expect(loads[0].source).toEqual({
      kind: 'url',
      url: 'http://127.0.0.1:4173/models/shapes-vlm/',
      useCache: false,
    });
    const { shapes } = store.getState();
    expect(shapes.image).toMatchObject({ kind: 'scene', seed: DEFAULT_SEED });
    expect(generations).toHaveLength(1);
    expect(generations[0]).toMatchObject({ prompt: CAPTION_PROMPT, greedy: true });
    expect(generations[0].image).toEqual(imageOf(DEFAULT_SEED));
    expect(shapes.caption.running).toBe(false);
    expect(shapes.caption.tokens.map((t) => t.piece)).toEqual(['a', 'red', 'circle', '.', '<eos>']);
    expect(shapes.caption.summary?.stopReason).toBe('eos');

    await store.getState().startShapes(); // once per device
    expect(loads).toHaveLength(4);
  });

  it('a new seed mid-caption stops the old caption, drops its tokens and captions the new scene', async () => {
    const fake = fakeShapes({ hold: true });
    const { store, generations } = fake;
    await store.getState().connect();
    void store.getState().startShapes();
    await until(() => store.getState().shapes.caption.tokens.length === 1);

    store.getState().setSeed(7);
    expect(store.getState().shapes.caption.tokens).toEqual([]);
    expect(store.getState().shapes.caption.running).toBe(true);
    await until(() => generations.length === 2);
    expect(generations[1].image).toEqual(imageOf(7));
    fake.release();
    await until(() => !store.getState().shapes.caption.running);
    const { caption } = store.getState().shapes;
    expect(caption.tokens.map((t) => t.piece)).toEqual(['a', 'red', 'circle', '.', '<eos>']);
    expect(caption.summary?.stopReason).toBe('eos');
    expect(fake.maxRunning()).toBe(1);

    store.getState().newScene();
    expect(store.getState().shapes.image).toMatchObject({ kind: 'scene', seed: 8 });
    store.getState().setSeed(-1); // not a seed: ignored
    store.getState().setSeed(1.5);
    expect(store.getState().shapes.image).toMatchObject({ kind: 'scene', seed: 8 });
  });

  it('a question waits for the caption, goes to the VLM as typed with the image, and streams its answer', async () => {
    const { store, generations, maxRunning } = fakeShapes();
    await store.getState().connect();
    void store.getState().startShapes();
    await until(() => store.getState().shapes.caption.running);
    store.getState().ask('is there a unicorn ?');
    expect(store.getState().shapes.answer).toMatchObject({ running: true, prompt: 'is there a unicorn ?' });
    await until(() => !store.getState().shapes.answer.running);

    expect(generations.map((g) => g.prompt)).toEqual([CAPTION_PROMPT, 'is there a unicorn ?']);
    expect(generations[1].image).toEqual(imageOf(DEFAULT_SEED));
    expect(store.getState().shapes.answer.tokens.map((t) => t.piece)).toEqual(['yes', '<eos>']);
    expect(maxRunning()).toBe(1);
    store.getState().ask('   '); // nothing to ask
    expect(generations).toHaveLength(2);
  });

  it('the empty scene and uploads are captioned; a wrong size is resized with a message, a bad image refused', async () => {
    const { store, generations } = fakeShapes();
    await store.getState().connect();
    await store.getState().startShapes();
    await until(() => !store.getState().shapes.caption.running);

    store.getState().clearScene();
    expect(store.getState().shapes.image).toEqual({ kind: 'empty', scene: { objects: [] } });
    await until(() => generations.length === 2 && !store.getState().shapes.caption.running);
    expect(Array.from(generations[1].image!).every((v) => v === 0)).toBe(true);

    const white = {
      width: 96,
      height: 64,
      channels: 4 as const,
      data: new Uint8ClampedArray(96 * 64 * 4).fill(255),
    };
    store.getState().uploadImage(white, 'white.png');
    const { image, pixels } = store.getState().shapes;
    expect(image).toEqual({
      kind: 'upload',
      name: 'white.png',
      message: 'Image was 96×64; resized to 48×48 (area averaging).',
    });
    expect(pixels.length).toBe(48 * 48 * 3);
    await until(() => generations.length === 3 && !store.getState().shapes.caption.running);
    expect(Array.from(generations[2].image!).every((v) => v === 1)).toBe(true);

    store
      .getState()
      .uploadImage({ width: 0, height: 0, channels: 4, data: new Uint8ClampedArray() }, 'empty.png');
    expect(store.getState().shapes.imageError).toBe(
      'empty.png: Image: the image is empty (0×0); expected 48×48',
    );
    expect(store.getState().shapes.image).toEqual(image); // the previous image stays
    store.getState().uploadImage(white, 'white.png', 'refuse');
    expect(store.getState().shapes.imageError).toBe(
      "white.png: Image is 96×64 but the Shapes world's models read 48×48: resize it first, or allow resizing",
    );
    expect(generations).toHaveLength(3);
  });

  it('without the default models the VLM shows the loader message, nothing is generated, the LMs are tried', async () => {
    const { store, loads, generations } = fakeShapes({ missing: ['shapes-vlm'] });
    await store.getState().connect();
    await store.getState().startShapes();
    const { models, caption } = store.getState().shapes;
    expect(models['shapes-vlm']).toMatchObject({ status: 'error', card: null });
    expect(models['shapes-vlm'].error).toContain('shapes-vlm/config.json returned 404');
    expect(loads).toHaveLength(4);
    expect(generations).toHaveLength(0);
    expect(caption.running).toBe(false);
    store.getState().ask('is there a moon ?');
    expect(store.getState().shapes.answer.running).toBe(false);
  });

  it('a lost device drops the loaded models and lets the tab start again', () => {
    const ready = {
      status: 'ready' as const,
      card: { name: 'shapes-vlm' } as ModelCard,
      progress: [],
      error: null,
    };
    const started = { ...initialShapesState, started: true, models: { ...initialShapesState.models, 'shapes-vlm': ready } }; // prettier-ignore
    const lost = shapesOnEvent(started, {
      type: 'deviceLost',
      requestId: null,
      reason: 'unknown',
      message: '',
    });
    expect(lost.started).toBe(false);
    expect(lost.models['shapes-vlm']).toMatchObject({ status: 'idle', card: null });
    expect(lost.models['shapes-vlm'].error).toContain('GPU device was lost');
    expect(lost.models['shapes-expert'].error).toBeNull();
    expect(shapesOnEvent(started, { type: 'lossSimulated', requestId: 1 })).toBe(started);
  });
});
