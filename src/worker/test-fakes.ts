// Test doubles for Node unit tests: a fake GPU runtime and an in-memory worker channel.
import type { AdapterSummary } from '../gpu/device';
import { GpuError } from '../gpu/errors';
import type { Gpu, GpuLoss } from '../gpu/runtime';
import type { KernelCheck, KernelCheckResult } from '../kernels/check';
import type { GpuWorkerEndpoint } from './client';
import type { GpuHost } from './host';
import type { WorkerEvent, WorkerRequest } from './protocol';

export function fakeAdapter(description: string): AdapterSummary {
  return {
    vendor: 'google',
    architecture: 'swiftshader',
    device: '',
    description,
    isFallbackAdapter: false,
    features: ['subgroups'],
    shaderF16: false,
    timestampQuery: false,
    limits: { maxStorageBufferBindingSize: 2 ** 31 - 4, maxComputeWorkgroupStorageSize: 32768 },
  };
}

export interface FakeGpu extends Gpu {
  /** Loses the device as the browser would. */
  lose(loss: GpuLoss): void;
  uncapturedErrors: string[];
  destroyed: boolean;
}

/** Just the part of `Gpu` that the host uses, with loss under the test's control. */
export function fakeGpu(description = 'first', onReacquire?: (next: FakeGpu) => void): FakeGpu {
  let resolveLost!: (loss: GpuLoss) => void;
  let lossInfo: GpuLoss | null = null;
  const gpu = {
    summary: fakeAdapter(description),
    lost: new Promise<GpuLoss>((resolve) => (resolveLost = resolve)),
    uncapturedErrors: [] as string[],
    destroyed: false,
    get isLost() {
      return lossInfo !== null;
    },
    assertAlive() {
      if (lossInfo) throw new GpuError('device-lost', `The GPU device was lost (${lossInfo.reason}).`);
    },
    lose(loss: GpuLoss) {
      if (lossInfo) return;
      lossInfo = loss;
      resolveLost(loss);
    },
    destroy() {
      gpu.destroyed = true;
      gpu.lose({ reason: 'destroyed', message: 'Device was destroyed.' });
    },
    async reacquire() {
      if (!lossInfo) gpu.destroy();
      const next = fakeGpu(`${description}+1`, onReacquire);
      onReacquire?.(next);
      return next;
    },
    takeUncapturedErrors() {
      return gpu.uncapturedErrors.splice(0);
    },
  };
  return gpu as unknown as FakeGpu;
}

export function passingResult(detail = 'max |gpu-ref| 0'): KernelCheckResult {
  return { pass: true, detail, gpuMs: 1.5, timing: 'wall-clock', cpuMs: 4 };
}

export function fakeCheck(id: string, run: KernelCheck['run'] = async () => passingResult()): KernelCheck {
  return { id, family: id.split('/')[0], description: `checks ${id}`, run };
}

/** A promise with its resolve exposed, for checks that finish when the test says so. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets every queued microtask and macrotask run (messages here hop through setTimeout). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * A `GpuHost` behind an in-memory endpoint that behaves like a Worker: messages are cloned and
 * delivered asynchronously in both directions.
 */
export function hostEndpoint(host: (post: (event: WorkerEvent) => void) => GpuHost): GpuWorkerEndpoint {
  const listeners: ((event: MessageEvent<WorkerEvent>) => void)[] = [];
  const deliver = (event: WorkerEvent) =>
    setTimeout(() => {
      for (const listener of listeners)
        listener({ data: structuredClone(event) } as MessageEvent<WorkerEvent>);
    }, 0);
  const server = host(deliver);
  return {
    postMessage(request: WorkerRequest) {
      const copy = structuredClone(request);
      setTimeout(() => void server.receive(copy), 0);
    },
    addEventListener(type: 'message' | 'error', listener: (event: never) => void) {
      if (type === 'message') listeners.push(listener as (event: MessageEvent<WorkerEvent>) => void);
    },
  };
}
