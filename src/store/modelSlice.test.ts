// The model slice through the real store, client and host, with the GPU and the model host faked.
import { describe, expect, it } from 'vitest';
import { WorkerClient } from '../worker/client';
import { GpuHost } from '../worker/host';
import type { ModelHost } from '../worker/modelHost';
import type { DownloadQuestion, ModelCard } from '../worker/modelTypes';
import type { WorkerEvent } from '../worker/protocol';
import { fakeGpu, hostEndpoint, settle } from '../worker/test-fakes';
import { createAppStore } from './createAppStore';
import { applyModelProgress, describeSource, initialModelState, modelOnEvent } from './modelSlice';

const card = { name: 'local folder tiny', layers: 2 } as ModelCard;
type Post = (event: WorkerEvent) => void;

/** Streams a little of everything, then replies; `fail` makes the load fail like a refused model. */
function fakeModels(fail?: string): ModelHost {
  let stopped = false;
  return {
    reset() {},
    stop: () => (stopped = true),
    async load(_gpu: unknown, requestId: number, _spec: unknown, post: Post) {
      post({ type: 'modelProgress', requestId, file: 'config.json', loadedBytes: 0, totalBytes: 10, percent: 0, from: 'local' }); // prettier-ignore
      post({ type: 'modelProgress', requestId, file: 'config.json', loadedBytes: 10, totalBytes: 10, percent: 100, from: 'local' }); // prettier-ignore
      if (fail) throw Object.assign(new Error(fail), { name: 'ModelRequestError' });
      post({ type: 'modelLoaded', requestId, card });
    },
    async generate(requestId: number, _params: unknown, post: Post) {
      post({ type: 'generationStarted', requestId, promptTokens: [{ id: 3, piece: 'a' }] });
      post({ type: 'generatedToken', requestId, index: 0, id: 4, piece: 'b', text: ' b', probability: 0.5 });
      await settle();
      await settle();
      post({
        type: 'generated',
        requestId,
        promptTokens: [{ id: 3, piece: 'a' }],
        generated: 1,
        text: ' b',
        fullText: 'a b',
        stopReason: stopped ? 'cancelled' : 'max-tokens',
        elapsedMs: 5,
      });
    },
    async inspect() {},
  } as unknown as ModelHost;
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

const GENERATE = {
  prompt: 'a',
  maxTokens: 1,
  greedy: true,
  temperature: 1,
  topK: 0,
  topP: 1,
  minP: 0,
  seed: 0,
};
const FILES = { kind: 'files' as const, files: [] };

describe('model slice', () => {
  it('loads with per-file progress, then generates with streamed tokens', async () => {
    const store = appWith(fakeModels());
    await store.getState().connect();
    await store.getState().loadModel(FILES);
    const { model } = store.getState();
    expect(model.status).toBe('ready');
    expect(model.card).toEqual(card);
    expect(model.progress).toEqual([{ file: 'config.json', loadedBytes: 10, totalBytes: 10, percent: 100, from: 'local' }]); // prettier-ignore

    const run = store.getState().generate({ ...GENERATE, prompt: 'a' });
    await settle();
    await settle();
    expect(store.getState().model.generation.running).toBe(true);
    await run;
    const { generation } = store.getState().model;
    expect(generation.running).toBe(false);
    expect(generation.tokens.map((t) => t.piece)).toEqual(['b']);
    expect(generation.promptTokens).toEqual([{ id: 3, piece: 'a' }]);
    expect(generation.summary?.stopReason).toBe('max-tokens');
  });

  it('a refused load shows the worker message as is, and stop reaches a running generation', async () => {
    const store = appWith(
      fakeModels('tiny needs about 9.2 GB of GPU memory in f32 but the budget is 4.3 GB'),
    );
    await store.getState().connect();
    await store.getState().loadModel(FILES);
    expect(store.getState().model.status).toBe('error');
    expect(store.getState().model.error).toBe(
      'tiny needs about 9.2 GB of GPU memory in f32 but the budget is 4.3 GB',
    );
    await store.getState().generate(GENERATE); // no model: nothing happens
    expect(store.getState().model.generation.running).toBe(false);

    const working = appWith(fakeModels());
    await working.getState().connect();
    await working.getState().loadModel(FILES);
    const run = working.getState().generate(GENERATE);
    await settle();
    await working.getState().stopGeneration();
    await run;
    expect(working.getState().model.generation.summary?.stopReason).toBe('cancelled');
  });

  it('reducers: progress per file in order, device loss clears the model', () => {
    let progress = applyModelProgress([], { type: 'modelProgress', requestId: 1, file: 'a', loadedBytes: 1, totalBytes: 2, percent: 50, from: 'network' }); // prettier-ignore
    progress = applyModelProgress(progress, { type: 'modelProgress', requestId: 1, file: 'b', loadedBytes: 0, totalBytes: null, percent: null, from: 'network' }); // prettier-ignore
    progress = applyModelProgress(progress, { type: 'modelProgress', requestId: 1, file: 'a', loadedBytes: 2, totalBytes: 2, percent: 100, from: 'network' }); // prettier-ignore
    expect(progress.map((p) => [p.file, p.percent])).toEqual([['a', 100], ['b', null]]); // prettier-ignore
    const lost = modelOnEvent({ ...initialModelState, status: 'ready', card }, { type: 'deviceLost', requestId: null, reason: 'unknown', message: '' }); // prettier-ignore
    expect(lost.card).toBeNull();
    expect(lost.error).toContain('load the model again');
    const question = {
      requestId: 3,
      bytes: 2e8,
      exact: false,
      cachedBytes: 0,
      files: [],
      source: 'x',
      gpuBytes: 1,
    };
    const asking = { ...initialModelState, status: 'loading' as const, card, downloadQuestion: question };
    // The waiting load holds the worker's queue: its question stays answerable after a loss.
    expect(modelOnEvent(asking, { type: 'deviceLost', requestId: null, reason: 'unknown', message: '' }).downloadQuestion).toBe(question); // prettier-ignore
    expect(describeSource({ kind: 'hub', repo: 'gpt2', revision: '' })).toBe('gpt2 @ main');
  });

  it('a large download waits for the answer: Cancel is a note and keeps the old model, Continue loads', async () => {
    const question: DownloadQuestion = {
      bytes: 1.2e9,
      exact: true,
      cachedBytes: 3e8,
      files: [{ file: 'model.safetensors', bytes: 1.2e9, cached: false }],
      source: 'https://models.example/big/',
      gpuBytes: 2.5e9,
    };
    const asked: { askBeforeDownload?: boolean }[] = [];
    const waiting = new Map<number, (proceed: boolean) => void>();
    // Like ModelHost.load with askBeforeDownload: post the question, wait for answerDownload.
    const models = {
      reset() {},
      answerDownload(loadRequestId: number, proceed: boolean) {
        const answer = waiting.get(loadRequestId);
        waiting.delete(loadRequestId);
        answer?.(proceed);
        return answer !== undefined;
      },
      async load(_gpu: unknown, requestId: number, _spec: unknown, post: Post, options = {}) {
        asked.push(options);
        const proceed = await new Promise<boolean>((resolve) => {
          waiting.set(requestId, resolve);
          post({ type: 'downloadConfirm', requestId, ...question });
        });
        if (!proceed) throw Object.assign(new Error('cancelled'), { name: 'ModelLoadError' });
        post({ type: 'modelLoaded', requestId, card });
      },
    } as unknown as ModelHost;
    const store = appWith(models);
    await store.getState().connect();
    const source = { kind: 'url' as const, url: 'https://models.example/big/' };

    const first = store.getState().loadModel(source);
    await waitFor(() => store.getState().model.downloadQuestion !== null);
    expect(asked).toEqual([{ askBeforeDownload: true }]);
    expect(store.getState().model).toMatchObject({ status: 'loading', downloadQuestion: { ...question } });
    await store.getState().answerDownload(false); // answered while the load holds the worker's queue
    await first;
    expect(store.getState().model).toMatchObject({
      status: 'empty',
      error: null,
      downloadQuestion: null,
      downloadCancelled: question,
    });

    const second = store.getState().loadModel(source);
    await waitFor(() => store.getState().model.downloadQuestion !== null);
    expect(store.getState().model.downloadCancelled).toBeNull();
    await store.getState().answerDownload(true);
    await second;
    expect(store.getState().model).toMatchObject({ status: 'ready', card, downloadCancelled: null });

    const third = store.getState().loadModel(source);
    await waitFor(() => store.getState().model.downloadQuestion !== null);
    await store.getState().answerDownload(false);
    await third;
    expect(store.getState().model).toMatchObject({ status: 'ready', card, error: null }); // the old model stays
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !condition(); i++) await settle();
  expect(condition()).toBe(true);
}
