// Starts the GPU worker. Kept apart from client.ts so Node tests can import the client without
// a bundler resolving the worker URL.
import { WorkerClient } from './client';

export function startGpuWorker(): WorkerClient {
  // Vite recognises this exact `new Worker(new URL(...), { type: 'module' })` form and bundles it.
  const worker = new Worker(new URL('./gpu.worker.ts', import.meta.url), {
    type: 'module',
    name: 'logitlab-gpu',
  });
  return new WorkerClient(worker);
}
