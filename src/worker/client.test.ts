import { describe, expect, it } from 'vitest';
import { WorkerClient, WorkerRequestError, type GpuWorkerEndpoint } from './client';
import type { WorkerEvent, WorkerRequest } from './protocol';
import { fakeAdapter } from './test-fakes';

/** An endpoint the test drives by hand: it records requests and injects events. */
function manualEndpoint() {
  const sent: WorkerRequest[] = [];
  const onMessage: ((event: MessageEvent<WorkerEvent>) => void)[] = [];
  const onError: ((event: ErrorEvent) => void)[] = [];
  const endpoint: GpuWorkerEndpoint = {
    postMessage: (request) => sent.push(request),
    addEventListener(type: 'message' | 'error', listener: (event: never) => void) {
      if (type === 'message') onMessage.push(listener as (event: MessageEvent<WorkerEvent>) => void);
      else onError.push(listener as (event: ErrorEvent) => void);
    },
  };
  return {
    endpoint,
    sent,
    emit: (data: unknown) => onMessage.forEach((l) => l({ data } as MessageEvent<WorkerEvent>)),
    crash: (message: string) => onError.forEach((l) => l({ message } as ErrorEvent)),
  };
}

describe('WorkerClient', () => {
  it('gives each request a fresh numeric id and resolves it with its own reply', async () => {
    const port = manualEndpoint();
    const client = new WorkerClient(port.endpoint);
    const init = client.request({ type: 'init' });
    const list = client.request({ type: 'listChecks' });
    expect(port.sent.map((r) => [r.type, r.id])).toEqual([
      ['init', 1],
      ['listChecks', 2],
    ]);
    // Replies arrive out of order; correlation is by id, not by arrival.
    port.emit({ type: 'checkList', requestId: 2, checks: [{ id: 'a/b', family: 'a', description: 'd' }] });
    port.emit({ type: 'ready', requestId: 1, adapter: fakeAdapter('x') });
    expect((await list).checks.map((c) => c.id)).toEqual(['a/b']);
    expect((await init).adapter.architecture).toBe('swiftshader');
    expect(client.pendingCount).toBe(0);
  });

  it('streams progress to onProgress and resolves with the terminal event', async () => {
    const port = manualEndpoint();
    const client = new WorkerClient(port.endpoint);
    const progress: string[] = [];
    const run = client.request({ type: 'runChecks' }, { onProgress: (e) => progress.push(e.type) });
    const id = port.sent[0].id;
    port.emit({ type: 'checkStarted', requestId: id, checkId: 'a/b' });
    port.emit({
      type: 'checkResult',
      requestId: id,
      checkId: 'a/b',
      pass: true,
      detail: 'ok',
      gpuMs: 1,
      cpuMs: 2,
      timing: 'wall-clock',
    });
    port.emit({ type: 'checksDone', requestId: id, passed: 1, failed: 0 });
    await expect(run).resolves.toMatchObject({ type: 'checksDone', passed: 1, failed: 0 });
    expect(progress).toEqual(['checkStarted', 'checkResult']);
  });

  it("rejects with the worker's kind and message on an error event", async () => {
    const port = manualEndpoint();
    const client = new WorkerClient(port.endpoint);
    const run = client.request({ type: 'runChecks' });
    port.emit({ type: 'error', requestId: 1, kind: 'device-lost', message: 'The GPU device was lost.' });
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerRequestError);
    expect(error).toMatchObject({ kind: 'device-lost', message: 'The GPU device was lost.' });
  });

  it('delivers every event, including unsolicited ones, to subscribers until they unsubscribe', () => {
    const port = manualEndpoint();
    const client = new WorkerClient(port.endpoint);
    const seen: string[] = [];
    const unsubscribe = client.subscribe((e) => seen.push(e.type));
    port.emit({ type: 'deviceLost', requestId: null, reason: 'unknown', message: 'driver reset' });
    unsubscribe();
    port.emit({ type: 'deviceLost', requestId: null, reason: 'unknown', message: 'again' });
    expect(seen).toEqual(['deviceLost']);
  });

  it('rejects everything pending, and later requests, when the worker crashes', async () => {
    const port = manualEndpoint();
    const client = new WorkerClient(port.endpoint);
    const init = client.request({ type: 'init' });
    port.crash('boom');
    await expect(init).rejects.toMatchObject({ kind: 'worker-crashed' });
    await expect(init).rejects.toThrow(/boom/);
    await expect(client.request({ type: 'listChecks' })).rejects.toMatchObject({ kind: 'worker-crashed' });
  });

  it('ignores messages outside the protocol instead of misrouting them', () => {
    const port = manualEndpoint();
    const client = new WorkerClient(port.endpoint);
    const seen: unknown[] = [];
    client.subscribe((e) => seen.push(e));
    const originalError = console.error;
    console.error = () => {};
    try {
      port.emit({ type: 'nonsense', requestId: 1 });
      port.emit('hello');
    } finally {
      console.error = originalError;
    }
    expect(seen).toEqual([]);
  });
});
