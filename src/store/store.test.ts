import { describe, expect, it } from 'vitest';
import type { KernelCheck, KernelCheckResult } from '../kernels/check';
import { WorkerClient } from '../worker/client';
import { GpuHost } from '../worker/host';
import {
  deferred,
  fakeCheck,
  fakeGpu,
  hostEndpoint,
  passingResult,
  settle,
  type FakeGpu,
} from '../worker/test-fakes';
import { applyCheckEvent, finishRun, initialChecksState, startRun } from './checksSlice';
import { createAppStore } from './createAppStore';
import { gpuOnEvent, initialGpuState } from './gpuSlice';

/** The real store, client and host, with only the GPU faked. */
function appWith(checks: KernelCheck[], options: { hasWebGpu?: boolean } = {}) {
  const gpus: FakeGpu[] = [];
  const track = (gpu: FakeGpu) => (gpus.push(gpu), gpu);
  let started = 0;
  const store = createAppStore({
    hasWebGpu: () => options.hasWebGpu ?? true,
    startClient: () => {
      started++;
      const endpoint = hostEndpoint(
        (post) => new GpuHost({ checks, post, createGpu: async () => track(fakeGpu('first', track)) }),
      );
      return new WorkerClient(endpoint);
    },
    now: () => 1000 * started,
  });
  return { store, gpus, started: () => started };
}

describe('checks reducers', () => {
  it('queue, run, and record outcomes', () => {
    let s = startRun(initialChecksState, ['a/x', 'a/y']);
    expect(s.running).toBe(true);
    s = applyCheckEvent(s, { type: 'checkStarted', requestId: 1, checkId: 'a/x' });
    expect(s.results['a/x'].status).toBe('running');
    s = applyCheckEvent(s, {
      type: 'checkResult',
      requestId: 1,
      checkId: 'a/x',
      pass: false,
      detail: 'max err 3e-2 > atol',
      gpuMs: 2,
      cpuMs: 5,
      timing: 'gpu-timestamp',
    });
    expect(s.results['a/x']).toEqual({
      status: 'fail',
      outcome: {
        checkId: 'a/x',
        pass: false,
        detail: 'max err 3e-2 > atol',
        gpuMs: 2,
        cpuMs: 5,
        timing: 'gpu-timestamp',
      },
    });
    expect(s.results['a/y'].status).toBe('queued');
  });

  it('mark unfinished checks as not run when a run ends with an error', () => {
    let s = startRun(initialChecksState, ['a/x', 'a/y']);
    s = applyCheckEvent(s, { type: 'checkStarted', requestId: 1, checkId: 'a/x' });
    s = finishRun(s, { error: 'device lost' });
    expect(s).toMatchObject({ running: false, error: 'device lost', summary: null });
    expect([s.results['a/x'].status, s.results['a/y'].status]).toEqual(['not-run', 'not-run']);
  });

  it('gpu slice turns an unsolicited loss into the lost status and ignores other events', () => {
    const lost = gpuOnEvent(initialGpuState, {
      type: 'deviceLost',
      requestId: null,
      reason: 'unknown',
      message: 'driver reset',
    });
    expect(lost).toMatchObject({ status: 'lost', loss: { reason: 'unknown', message: 'driver reset' } });
    expect(gpuOnEvent(lost, { type: 'lossSimulated', requestId: 3 })).toBe(lost);
  });
});

describe('app store over the worker protocol', () => {
  it('never starts the worker when the main thread has no WebGPU', async () => {
    const app = appWith([fakeCheck('a/x')], { hasWebGpu: false });
    await app.store.getState().connect();
    expect(app.store.getState().gpu).toMatchObject({ status: 'error', error: { kind: 'no-webgpu' } });
    expect(app.started()).toBe(0);
  });

  it('connects, lists checks, and runs them to a summary', async () => {
    const app = appWith([
      fakeCheck('logits/a'),
      fakeCheck('random/b', async () => ({ ...passingResult(), pass: false, detail: 'off by one' })),
    ]);
    await app.store.getState().connect();
    const { gpu, checks } = app.store.getState();
    expect(gpu).toMatchObject({ status: 'ready', adapter: { architecture: 'swiftshader' } });
    expect(checks.list.map((c) => c.id)).toEqual(['logits/a', 'random/b']);
    await app.store.getState().runChecks();
    const after = app.store.getState().checks;
    expect(after.running).toBe(false);
    expect(after.summary).toMatchObject({ passed: 1, failed: 1 });
    expect(after.results['random/b']).toMatchObject({ status: 'fail', outcome: { detail: 'off by one' } });
  });

  it('surfaces a loss mid-run, stops the run with its reason, and reconnects', async () => {
    const gate = deferred<KernelCheckResult>();
    const app = appWith([fakeCheck('a/slow', () => gate.promise), fakeCheck('a/next')]);
    await app.store.getState().connect();
    const run = app.store.getState().runChecks();
    await settle();
    await settle();
    expect(app.store.getState().checks.results['a/slow'].status).toBe('running');
    app.gpus[0].lose({ reason: 'unknown', message: 'GPU process crashed' });
    await run;
    const state = app.store.getState();
    expect(state.gpu).toMatchObject({ status: 'lost', loss: { message: 'GPU process crashed' } });
    expect(state.checks.error).toMatch(/device was lost/);
    expect(state.checks.results['a/slow']).toMatchObject({ status: 'fail' });
    expect(state.checks.results['a/next'].status).toBe('not-run');

    await app.store.getState().reconnect();
    expect(app.store.getState().gpu).toMatchObject({ status: 'ready', loss: null });
    expect(app.store.getState().gpu.adapter?.description).toBe('first+1');
    await app.store.getState().runChecks(['a/next']);
    expect(app.store.getState().checks.results['a/next'].status).toBe('pass');
  });

  it('connect is idempotent while connecting or connected', async () => {
    const app = appWith([]);
    await Promise.all([app.store.getState().connect(), app.store.getState().connect()]);
    await app.store.getState().connect();
    expect(app.gpus).toHaveLength(1);
    expect(app.store.getState().checks).toMatchObject({ listed: true, list: [] });
  });

  it('reports a crashed worker and starts a fresh one on the next connect', async () => {
    let starts = 0;
    const store = createAppStore({
      hasWebGpu: () => true,
      startClient: () => {
        starts++;
        if (starts === 1) {
          // The first worker dies on its first message, as a worker with a top-level bug would.
          let crash: (event: ErrorEvent) => void = () => {};
          return new WorkerClient({
            postMessage: () => setTimeout(() => crash({ message: 'SyntaxError in worker' } as ErrorEvent), 0),
            addEventListener(type: 'message' | 'error', listener: (event: never) => void) {
              if (type === 'error') crash = listener as (event: ErrorEvent) => void;
            },
          });
        }
        return new WorkerClient(
          hostEndpoint((post) => new GpuHost({ checks: [], post, createGpu: async () => fakeGpu() })),
        );
      },
    });
    await store.getState().connect();
    expect(store.getState().gpu).toMatchObject({
      status: 'error',
      error: { kind: 'worker-crashed', message: expect.stringMatching(/SyntaxError in worker/) },
    });
    await store.getState().connect();
    expect(store.getState().gpu.status).toBe('ready');
    expect(starts).toBe(2);
  });
});
