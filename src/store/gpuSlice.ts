// The `gpu` slice: connection status, the adapter the worker acquired, and why it failed or was lost.
import type { StateCreator } from 'zustand';
import type { AdapterSummary } from '../gpu/device';
import type { WorkerErrorKind, WorkerEvent } from '../worker/protocol';
import type { AppState, StoreDeps } from './types';
import { errorOf } from './errors';

export type GpuStatus = 'idle' | 'connecting' | 'ready' | 'error' | 'lost';

export interface GpuState {
  status: GpuStatus;
  adapter: AdapterSummary | null;
  error: { kind: WorkerErrorKind; message: string } | null;
  loss: { reason: string; message: string } | null;
}

export interface GpuSlice {
  gpu: GpuState;
  /** Starts the worker and acquires a device; a no-op while connecting or connected. */
  connect(): Promise<void>;
  /** Re-acquires a device after a loss (the "Reconnect GPU" button). */
  reconnect(): Promise<void>;
  /** Destroys the device on purpose to exercise the loss path (diagnostics). */
  simulateDeviceLoss(): Promise<void>;
}

export const initialGpuState: GpuState = { status: 'idle', adapter: null, error: null, loss: null };

/** What the main thread shows when `navigator.gpu` is missing (the worker is never started). */
export const NO_WEBGPU_MESSAGE =
  'This browser does not expose WebGPU (navigator.gpu is missing), so LogitLab cannot run its kernels here.';

/** The gpu slice's reaction to unsolicited worker events (pure, unit-tested). */
export function gpuOnEvent(gpu: GpuState, event: WorkerEvent): GpuState {
  if (event.type !== 'deviceLost') return gpu;
  return { ...gpu, status: 'lost', loss: { reason: event.reason, message: event.message } };
}

export function createGpuSlice(deps: StoreDeps): StateCreator<AppState, [], [], GpuSlice> {
  return (set, get) => {
    const setGpu = (patch: Partial<GpuState>) => set((s) => ({ gpu: { ...s.gpu, ...patch } }));
    return {
      gpu: initialGpuState,

      async connect() {
        const { status } = get().gpu;
        if (status === 'connecting' || status === 'ready' || status === 'lost') return;
        if (!deps.hasWebGpu()) {
          setGpu({ status: 'error', error: { kind: 'no-webgpu', message: NO_WEBGPU_MESSAGE } });
          return;
        }
        setGpu({ status: 'connecting', error: null });
        try {
          const { adapter } = await deps.client().request({ type: 'init' });
          setGpu({ status: 'ready', adapter, error: null, loss: null });
        } catch (cause) {
          setGpu({ status: 'error', error: errorOf(cause) });
          return;
        }
        await get().loadChecks();
      },

      async reconnect() {
        if (get().gpu.status === 'connecting') return;
        setGpu({ status: 'connecting' });
        try {
          const { adapter } = await deps.client().request({ type: 'reacquire' });
          setGpu({ status: 'ready', adapter, error: null, loss: null });
        } catch (cause) {
          setGpu({ status: 'error', error: errorOf(cause) });
        }
      },

      async simulateDeviceLoss() {
        if (get().gpu.status !== 'ready') return;
        try {
          await deps.client().request({ type: 'simulateDeviceLoss' });
        } catch (cause) {
          setGpu({ status: 'error', error: errorOf(cause) });
        }
      },
    };
  };
}
