// The app store: every slice combined once. UI components read it through `useAppStore(selector)`.
import { useStore } from 'zustand';
import { startGpuWorker } from '../worker/start';
import { createAppStore } from './createAppStore';
import type { AppState } from './types';

export const appStore = createAppStore({
  hasWebGpu: () => typeof navigator !== 'undefined' && 'gpu' in navigator && Boolean(navigator.gpu),
  startClient: startGpuWorker,
  // public/models/, wherever the app is served from.
  modelsUrl: new URL(`${import.meta.env.BASE_URL}models/`, location.href).href,
});

export function useAppStore<T>(selector: (state: AppState) => T): T {
  return useStore(appStore, selector);
}

export type { AppState } from './types';
export type { GpuState, GpuStatus } from './gpuSlice';
export type { ChecksState, CheckResultState, CheckStatus } from './checksSlice';
export type { GenerationState, InspectionState, ModelState, ModelStatus } from './modelSlice';
export type { TrainState } from './trainSlice';
export type { ShapesImage, ShapesModelState, ShapesRun, ShapesState } from './shapesSlice';
export type { ColourMeasure, DecodeState, DecodeStatus, DecodeUpload } from './decodeSlice';
export type { EvaluateState, EvaluateStatus } from './evaluateSlice';
export type { SpeculativeRunView, SpeculativeState, SpeculativeStatus } from './speculativeSlice';
