import { describe, expect, it } from 'vitest';
import { GpuHost } from './host';
import type { WorkerEvent, WorkerRequestBody } from './protocol';
import { deferred, fakeCheck, fakeGpu, passingResult, settle, type FakeGpu } from './test-fakes';
import type { KernelCheck, KernelCheckResult } from '../kernels/check';

function setup(checks: KernelCheck[]) {
  const events: WorkerEvent[] = [];
  const gpus: FakeGpu[] = [];
  const track = (gpu: FakeGpu) => (gpus.push(gpu), gpu);
  const host = new GpuHost({
    checks,
    post: (e) => events.push(e),
    createGpu: async () => track(fakeGpu('first', track)),
  });
  let nextId = 1;
  const send = (body: WorkerRequestBody) => host.receive({ ...body, id: nextId++ });
  return { host, events, gpus, send, types: () => events.map((e) => e.type) };
}

describe('GpuHost', () => {
  it('answers init with the adapter and lists checks without their code', async () => {
    const h = setup([fakeCheck('logits/top-p')]);
    await h.send({ type: 'init' });
    await h.send({ type: 'listChecks' });
    expect(h.events[0]).toMatchObject({ type: 'ready', requestId: 1, adapter: { vendor: 'google' } });
    expect(h.events[1]).toEqual({
      type: 'checkList',
      requestId: 2,
      checks: [{ id: 'logits/top-p', family: 'logits', description: 'checks logits/top-p' }],
    });
  });

  it('streams each check, turns throws and WebGPU errors into failures, then totals', async () => {
    const h = setup([
      fakeCheck('a/pass'),
      fakeCheck('a/throws', async () => {
        throw new RangeError('vocab 0 is not positive');
      }),
      fakeCheck('a/validation', async (gpu) => {
        (gpu as FakeGpu).uncapturedErrors.push('Binding size too small');
        return passingResult('looked fine');
      }),
    ]);
    await h.send({ type: 'init' });
    await h.send({ type: 'runChecks' });
    expect(h.types().slice(1)).toEqual([
      ...['checkStarted', 'checkResult', 'checkStarted', 'checkResult', 'checkStarted', 'checkResult'],
      'checksDone',
    ]);
    const results = h.events.filter((e) => e.type === 'checkResult');
    expect(results.map((r) => r.pass)).toEqual([true, false, false]);
    expect(results[1].detail).toBe('RangeError: vocab 0 is not positive');
    expect(results[2].detail).toMatch(/looked fine · WebGPU reported 1 error\(s\): Binding size too small/);
    expect(h.events.at(-1)).toEqual({ type: 'checksDone', requestId: 2, passed: 1, failed: 2 });
  });

  it('runs only the requested ids and names unknown ones', async () => {
    const h = setup([fakeCheck('a/one'), fakeCheck('a/two')]);
    await h.send({ type: 'init' });
    await h.send({ type: 'runChecks', ids: ['a/two'] });
    expect(h.events.filter((e) => e.type === 'checkStarted').map((e) => e.checkId)).toEqual(['a/two']);
    await h.send({ type: 'runChecks', ids: ['a/three'] });
    expect(h.events.at(-1)).toMatchObject({ type: 'error', requestId: 3, kind: 'failed' });
    expect(h.events.at(-1)).toMatchObject({ message: expect.stringMatching(/"a\/three".*a\/one, a\/two/) });
  });

  it('handles requests strictly one after another', async () => {
    const gate = deferred<KernelCheckResult>();
    const h = setup([fakeCheck('a/slow', () => gate.promise)]);
    await h.send({ type: 'init' });
    const run = h.send({ type: 'runChecks' });
    const list = h.send({ type: 'listChecks' });
    await settle();
    expect(h.types()).toEqual(['ready', 'checkStarted']);
    gate.resolve(passingResult());
    await Promise.all([run, list]);
    expect(h.types().slice(2)).toEqual(['checkResult', 'checksDone', 'checkList']);
  });

  it('ends a run with a device-lost error when the device is lost mid-check, instead of hanging', async () => {
    const never = new Promise<KernelCheckResult>(() => {});
    const h = setup([fakeCheck('a/hangs', () => never), fakeCheck('a/after')]);
    await h.send({ type: 'init' });
    const run = h.send({ type: 'runChecks' });
    await settle();
    h.gpus[0].lose({ reason: 'unknown', message: 'GPU process crashed' });
    await run;
    expect(h.types().slice(1)).toEqual(['checkStarted', 'deviceLost', 'checkResult', 'error']);
    const result = h.events.find((e) => e.type === 'checkResult');
    expect(result).toMatchObject({ pass: false, detail: expect.stringMatching(/lost.*GPU process crashed/) });
    expect(h.events.at(-1)).toMatchObject({ type: 'error', requestId: 2, kind: 'device-lost' });
    expect(h.events.find((e) => e.type === 'deviceLost')).toMatchObject({ message: 'GPU process crashed' });
  });

  it('simulates a loss at once, even while a check runs, and re-acquires a new device', async () => {
    const never = new Promise<KernelCheckResult>(() => {});
    const h = setup([fakeCheck('a/hangs', () => never)]);
    await h.send({ type: 'init' });
    const run = h.send({ type: 'runChecks' });
    await settle();
    await h.send({ type: 'simulateDeviceLoss' });
    await run;
    expect(h.gpus[0].destroyed).toBe(true);
    expect(h.events.find((e) => e.type === 'deviceLost')).toMatchObject({
      reason: 'destroyed',
      message: expect.stringMatching(/^Simulated on request/),
    });
    expect(h.events.at(-1)).toMatchObject({ type: 'error', requestId: 2, kind: 'device-lost' });

    await h.send({ type: 'runChecks' });
    expect(h.events.at(-1)).toMatchObject({ type: 'error', requestId: 4, kind: 'device-lost' });
    await h.send({ type: 'reacquire' });
    expect(h.events.at(-1)).toMatchObject({
      type: 'ready',
      requestId: 5,
      adapter: { description: 'first+1' },
    });
  });

  it('does not report the loss of a runtime it replaced on purpose', async () => {
    const h = setup([]);
    await h.send({ type: 'init' });
    await h.send({ type: 'reacquire' });
    await settle();
    expect(h.gpus[0].destroyed).toBe(true);
    expect(h.types()).toEqual(['ready', 'ready']);
  });

  it('refuses work before init and names unknown requests', async () => {
    const h = setup([fakeCheck('a/one')]);
    await h.send({ type: 'runChecks' });
    expect(h.events[0]).toMatchObject({ type: 'error', requestId: 1, kind: 'not-initialized' });
    await h.send({ type: 'frobnicate' } as unknown as WorkerRequestBody);
    expect(h.events[1]).toMatchObject({ type: 'error', requestId: 2, kind: 'unknown-request' });
  });
});
