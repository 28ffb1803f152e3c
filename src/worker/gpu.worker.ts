// The dedicated worker that owns the GPU device. The page starts it with `startGpuWorker()`
// (./start.ts) and talks to it only through the messages in ./protocol.ts.
import { DecodeSession } from '../decoding/lanes/session';
import { kernelChecks } from '../kernels/registry';
import { Trainer } from '../training/trainer';
import { DecodeHost } from './decodeHost';
import { runEvaluation } from '../evaluate/runner';
import { EvaluateHost } from './evaluateHost';
import { GpuHost } from './host';
import { GPU_MEMORY_BUDGET_BYTES, ModelHost, sourceOf } from './modelHost';
import type { WorkerEvent, WorkerRequest } from './protocol';
import type { ShapesModelName } from './shapesTypes';
import { ShapesHost } from './shapesHost';
import { SpeculativeHost } from './speculativeHost';
import { SpeculativeSession } from '../speculative/session';
import { TrainHost } from './trainHost';

// The DOM lib types `self` as a Window; in this file it is the worker's global scope.
const scope = self as unknown as DedicatedWorkerGlobalScope;

const models = new ModelHost();
const shapes = new ShapesHost(() => new ModelHost());
// The default models are served with the page (public/models/), as the store loads them.
const modelsUrl = new URL(`${import.meta.env.BASE_URL}models/`, self.location.href);
const slots = {
  workbench: models,
  shapes: (name: ShapesModelName) => shapes.host(name),
  shapesFolderUrl: (name: ShapesModelName) => new URL(`${name}/`, modelsUrl).href,
};
const host = new GpuHost({
  checks: kernelChecks,
  post: (event: WorkerEvent) => scope.postMessage(event),
  models,
  shapes,
  decode: new DecodeHost({
    slots: {
      workbench: models,
      shapes: (name) => shapes.host(name),
      shapesFolderUrl: (name) => new URL(`${name}/`, modelsUrl).href,
    },
    createSession: (options) => DecodeSession.create(options),
  }),
  evaluate: new EvaluateHost({ slots, runEvaluation }),
  speculative: new SpeculativeHost({ slots, createSession: (options) => SpeculativeSession.create(options) }),
  training: new TrainHost({
    createTrainer: (gpu, config, tensors, options) => Trainer.create(gpu, config, tensors, options),
    loadedModel() {
      const loaded = models.loadedSource();
      return loaded ? { source: sourceOf(loaded.spec), name: loaded.name } : null;
    },
    memoryBudgetBytes: GPU_MEMORY_BUDGET_BYTES,
  }),
});

scope.addEventListener('message', (event: MessageEvent<WorkerRequest>) => {
  void host.receive(event.data);
});
