import type { WorkerClient } from '../worker/client';
import type { ShapesModelName } from '../worker/shapesTypes';
import type { ChecksSlice } from './checksSlice';
import type { DecodeSlice } from './decodeSlice';
import type { EvaluateSlice } from './evaluateSlice';
import type { GpuSlice } from './gpuSlice';
import type { ModelSlice } from './modelSlice';
import type { ShapesSlice } from './shapesSlice';
import type { SpeculativeSlice } from './speculativeSlice';
import type { TrainSlice } from './trainSlice';

/** The whole app state: every slice, combined once in ./index.ts. */
export type AppState = GpuSlice &
  ChecksSlice &
  ModelSlice &
  TrainSlice &
  ShapesSlice &
  DecodeSlice &
  SpeculativeSlice &
  EvaluateSlice;

/** What the store needs from the outside world; tests pass fakes. */
export interface StoreDeps {
  /** Whether the main thread sees `navigator.gpu` (checked before any worker starts). */
  hasWebGpu(): boolean;
  /** The client of the GPU worker, started on first use. */
  client(): WorkerClient;
  /** The folder URL of a Shapes default model served with the app (`…/models/<name>/`). */
  modelFolderUrl(name: ShapesModelName): string;
  now(): number;
}
