import { createStore, type StoreApi } from 'zustand/vanilla';
import { createChecksSlice } from './checksSlice';
import { createDecodeSlice, decodeOnEvent } from './decodeSlice';
import { createEvaluateSlice } from './evaluateSlice';
import { createGpuSlice, gpuOnEvent } from './gpuSlice';
import { createModelSlice, modelOnEvent } from './modelSlice';
import { createShapesSlice, shapesOnEvent } from './shapesSlice';
import { createSpeculativeSlice, speculativeOnEvent } from './speculativeSlice';
import { createTrainSlice, trainOnEvent } from './trainSlice';
import type { AppState, StoreDeps } from './types';
import type { WorkerClient } from '../worker/client';

/**
 * Combines the slices over one worker client. `startClient` runs on first use (and again after
 * the worker crashed), and the store subscribes to the client's unsolicited events right then.
 */
export function createAppStore(deps: {
  hasWebGpu(): boolean;
  startClient(): WorkerClient;
  now?: () => number;
  /** Where the default models are served: an absolute URL of the folder holding them. */
  modelsUrl?: string;
}): StoreApi<AppState> {
  const modelsUrl = new URL(deps.modelsUrl ?? 'http://localhost/models/');
  let client: WorkerClient | null = null;
  const storeDeps: StoreDeps = {
    hasWebGpu: deps.hasWebGpu,
    now: deps.now ?? (() => performance.now()),
    modelFolderUrl: (name) => new URL(`${name}/`, modelsUrl).href,
    client() {
      // A crashed worker cannot recover; "Try again" then starts a fresh one.
      if (!client || client.isCrashed) {
        client = deps.startClient();
        client.subscribe((event) =>
          store.setState((s) => ({
            gpu: gpuOnEvent(s.gpu, event),
            model: modelOnEvent(s.model, event),
            train: trainOnEvent(s.train, event),
            shapes: shapesOnEvent(s.shapes, event),
            decode: decodeOnEvent(s.decode, event),
            speculative: speculativeOnEvent(s.speculative, event),
          })),
        );
      }
      return client;
    },
  };
  const store = createStore<AppState>()((...a) => ({
    ...createGpuSlice(storeDeps)(...a),
    ...createChecksSlice(storeDeps)(...a),
    ...createModelSlice(storeDeps)(...a),
    ...createTrainSlice(storeDeps)(...a),
    ...createShapesSlice(storeDeps)(...a),
    ...createDecodeSlice(storeDeps)(...a),
    ...createSpeculativeSlice(storeDeps)(...a),
    ...createEvaluateSlice(storeDeps)(...a),
  }));
  return store;
}
