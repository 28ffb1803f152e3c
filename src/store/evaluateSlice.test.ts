// The evaluate slice through a real store and WorkerClient with a scripted worker: Run sends the
// config and streams progress, the result is shown, pinned into the config and saved (and survives a
// new store over the same storage, as a reload), cancel, refusals, links.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createStore } from 'zustand/vanilla';
import { encodeEvaluationLink, MemoryTextStore, textStoreEvaluationStorage } from '../evaluate';
import type { EvaluationResult } from '../evaluate';
import { defaultLane } from '../share/methods';
import { WorkerClient, type GpuWorkerEndpoint } from '../worker/client';
import type { WorkerEvent, WorkerRequest } from '../worker/protocol';
import { fakeAdapter, settle } from '../worker/test-fakes';
import { createChecksSlice } from './checksSlice';
import { createEvaluateSlice, type EvaluateSlice } from './evaluateSlice';
import { createGpuSlice } from './gpuSlice';
import type { AppState, StoreDeps } from './types';

vi.hoisted(() => {
  Object.assign(globalThis, {
    GPUBufferUsage: { MAP_READ: 1, MAP_WRITE: 2, COPY_SRC: 4, COPY_DST: 8, INDEX: 16, VERTEX: 32, UNIFORM: 64, STORAGE: 128 }, // prettier-ignore
    GPUMapMode: { READ: 1, WRITE: 2 },
  });
});
const { DecodeSession } = await import('../decoding/lanes/session');
const { runEvaluation } = await import('../evaluate/runner');
const { testing } = await import('../evaluate/testing');
const { harness, config, tokenizer, gpu, clock } = testing(DecodeSession);

let result: EvaluationResult;
beforeAll(async () => {
  const h = harness();
  result = await runEvaluation(
    config({ lanes: [defaultLane('plain', 'yes'), defaultLane('vcd', 'truth')] }),
    {
      gpu,
      models: { main: h.main },
      tokenizer,
      createSession: h.createSession,
      clock,
    },
  );
});

/** A worker that answers init/listChecks and runs an evaluation in 3 progress events (or until cancelled). */
function fakeWorker(options: { refuse?: string; hold?: boolean } = {}) {
  const requests: WorkerRequest[] = [];
  const listeners: ((event: MessageEvent<WorkerEvent>) => void)[] = [];
  const post = (event: WorkerEvent) => setTimeout(() => listeners.forEach((l) => l({ data: event } as MessageEvent<WorkerEvent>))); // prettier-ignore
  let running: number | null = null;
  const endpoint: GpuWorkerEndpoint = {
    postMessage(request: WorkerRequest) {
      requests.push(request);
      const requestId = request.id;
      if (request.type === 'init') post({ type: 'ready', requestId, adapter: fakeAdapter('fake') });
      else if (request.type === 'listChecks') post({ type: 'checkList', requestId, checks: [] });
      else if (request.type === 'startEvaluation') {
        if (options.refuse)
          return post({ type: 'error', requestId, kind: 'failed', message: options.refuse });
        running = requestId;
        for (let done = 1; done <= 3; done++)
          post({ type: 'evaluationProgress', requestId, benchmark: 'pope', done, total: 3, elapsedMs: done, etaMs: 3 - done, examplesPerSecond: 1 }); // prettier-ignore
        if (!options.hold) post({ type: 'evaluationDone', requestId, status: 'completed', result });
      } else if (request.type === 'cancelEvaluation') {
        post({ type: 'evaluationCancelling', requestId, wasRunning: running !== null });
        if (running !== null)
          post({ type: 'evaluationDone', requestId: running, status: 'cancelled', progress: null });
        running = null;
      }
    },
    addEventListener(type: string, listener: never) {
      if (type === 'message') listeners.push(listener);
    },
  } as GpuWorkerEndpoint;
  return { endpoint, requests };
}

async function app(options: { refuse?: string; hold?: boolean; store?: MemoryTextStore } = {}) {
  const worker = fakeWorker(options);
  const client = new WorkerClient(worker.endpoint);
  const text = options.store ?? new MemoryTextStore();
  const deps: StoreDeps = { hasWebGpu: () => true, client: () => client, modelFolderUrl: (n) => `http://m/${n}/`, now: () => 0 }; // prettier-ignore
  type State = AppState & EvaluateSlice;
  // Only the slices the evaluate slice reads (gpu, checks for connect); the rest of AppState is unused.
  const store = createStore<State>()((...a) => ({
    ...(createGpuSlice(deps) as never as (...args: typeof a) => object)(...a),
    ...(createChecksSlice(deps) as never as (...args: typeof a) => object)(...a),
    ...createEvaluateSlice(deps, textStoreEvaluationStorage(text))(...a),
  }) as State); // prettier-ignore
  await store.getState().connect();
  const until = async (condition: () => boolean) => {
    for (let i = 0; i < 400 && !condition(); i++) await settle();
    expect(condition()).toBe(true);
  };
  return { store, worker, text, until, evaluate: () => store.getState().evaluate };
}

describe('evaluate slice', () => {
  it('runs the config in the worker, shows progress and the result, pins the model and saves it', async () => {
    const { store, worker, text, evaluate } = await app();
    const progress: number[] = [];
    const unsubscribe = store.subscribe(
      (s) => s.evaluate.progress && progress.push(s.evaluate.progress.done),
    );
    await store.getState().runEvaluation();
    unsubscribe();
    const start = worker.requests.find((r) => r.type === 'startEvaluation');
    expect(start).toMatchObject({ type: 'startEvaluation' });
    expect(start?.type === 'startEvaluation' && start.config.models.main.sha256).toEqual({});
    expect([...new Set(progress)]).toEqual([1, 2, 3]);
    expect(evaluate()).toMatchObject({ status: 'done', error: null });
    expect(evaluate().result).toEqual(result);
    expect(evaluate().config.models.main.sha256).toEqual(result.models.main.fileHashes);
    expect(evaluate().saved).toHaveLength(1);
    expect(evaluate().resultId).toBe(evaluate().saved[0].id);

    // A reload: a new store over the same browser storage lists and opens the saved result.
    const reloaded = await app({ store: text });
    await reloaded.store.getState().refreshSavedEvaluations();
    expect(reloaded.evaluate().saved.map((s) => s.id)).toEqual([evaluate().resultId]);
    await reloaded.store.getState().openSavedEvaluation(evaluate().resultId!);
    expect(reloaded.evaluate().result).toEqual(result);
    expect(reloaded.evaluate().config).toEqual(result.config);
  });

  it('cancel ends the run as cancelled; a refusal and an invalid config are shown, not run', async () => {
    const held = await app({ hold: true });
    const run = held.store.getState().runEvaluation();
    await held.until(() => held.evaluate().progress?.done === 3);
    await held.store.getState().cancelEvaluation();
    await run;
    expect(held.evaluate().status).toBe('cancelled');
    expect(held.evaluate().saved).toEqual([]);

    const refused = await app({
      refuse: 'The main model is hub org/x, but no model is loaded in the Model tab.',
    });
    await refused.store.getState().runEvaluation();
    expect(refused.evaluate()).toMatchObject({
      status: 'error',
      error: expect.stringContaining('no model is loaded'),
    });

    const { store, worker, evaluate } = await app();
    store.getState().setEvaluationConfig((c) => ({ ...c, seed: Number.NaN }));
    await store.getState().runEvaluation();
    expect(evaluate().error).toMatch(/^Run refused: .*seed/);
    expect(worker.requests.some((r) => r.type === 'startEvaluation')).toBe(false);
    expect(store.getState().evaluationLinkPayload()).toBeNull();
  });

  it('opens an evaluation link, and explains one it cannot open', async () => {
    const { store, evaluate } = await app();
    const shared = { ...result.config, seed: 1234 };
    expect(store.getState().loadEvaluationLink(`#evaluate/${encodeEvaluationLink(shared)}`)).toBe(true);
    expect(evaluate().config.seed).toBe(1234);
    expect(store.getState().evaluationLinkPayload()).toBe(encodeEvaluationLink(shared));
    expect(store.getState().loadEvaluationLink('#evaluate/x1.garbage!')).toBe(false);
    expect(evaluate().error).toMatch(/cannot be opened/);
    expect(evaluate().config.seed).toBe(1234);
  });
});
