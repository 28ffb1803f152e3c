// The dedicated worker that owns the GPU device. The page starts it with `startGpuWorker()`
// (./start.ts) and talks to it only through the messages in ./protocol.ts.
import { kernelChecks } from '../kernels/registry';
import { GpuHost } from './host';
import { ModelHost } from './modelHost';
import type { WorkerEvent, WorkerRequest } from './protocol';

// The DOM lib types `self` as a Window; in this file it is the worker's global scope.
const scope = self as unknown as DedicatedWorkerGlobalScope;

const host = new GpuHost({
  checks: kernelChecks,
  post: (event: WorkerEvent) => scope.postMessage(event),
  models: new ModelHost(),
});

scope.addEventListener('message', (event: MessageEvent<WorkerRequest>) => {
  void host.receive(event.data);
});
