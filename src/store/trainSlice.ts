// The `train` slice: the Train workbench's run (status, the model and corpus it trains, every
// step's loss / learning rate / gradient norm / throughput), its end (completed, stopped, or
// stopped by a NaN with the message naming the step and tensor), and checkpoints: save (a zip the
// UI downloads), use the trained model in the Model tab, or load a saved checkpoint back. All GPU
// work happens in the worker; settings are validated here first, with the worker's own function.
import type { StateCreator } from 'zustand';
import { settingsProblem } from '../training/settings';
import { readZip } from '../training/zip';
import type { WorkerEvent } from '../worker/protocol';
import type {
  SavedCheckpoint,
  StartTrainingParams,
  TrainingInfo,
  TrainingOutcome,
  TrainingPoint,
  TrainingStatus,
} from '../worker/trainTypes';
import { errorOf } from './errors';
import type { AppState, StoreDeps } from './types';

export interface TrainState {
  status: TrainingStatus;
  info: TrainingInfo | null;
  /** Every step of the current or last run, in order. */
  points: TrainingPoint[];
  outcome: TrainingOutcome | null;
  /** Why the run could not start or failed (a refused setting names the value). */
  error: string | null;
  saving: boolean;
  /** The last checkpoint saved (the archive itself is handed to the caller, not kept). */
  saved: { fileName: string; stepsDone: number; bytes: number } | null;
  /** Why saving or loading a checkpoint failed. */
  checkpointError: string | null;
  /** What the last successful checkpoint load put in the Model tab ("nano-gpt2-step-300.zip"). */
  loadedFrom: string | null;
}

export interface TrainSlice {
  train: TrainState;
  startTraining(params: StartTrainingParams): Promise<void>;
  pauseTraining(): Promise<void>;
  resumeTraining(): Promise<void>;
  stopTraining(): Promise<void>;
  /** The current (or last good) parameters as a zip; null when saving failed (see checkpointError). */
  saveCheckpoint(): Promise<SavedCheckpoint | null>;
  /** Saves, then loads the checkpoint as the Model tab's model (through the real loader). */
  loadTrainedModel(): Promise<void>;
  /** Loads a saved checkpoint (its .zip, or the unpacked folder's files) as the Model tab's model. */
  loadCheckpoint(files: readonly File[]): Promise<void>;
}

export const initialTrainState: TrainState = {
  status: 'idle',
  info: null,
  points: [],
  outcome: null,
  error: null,
  saving: false,
  saved: null,
  checkpointError: null,
  loadedFrom: null,
};

/** True while a run holds the worker (preparing, running or paused). */
export function isTrainingActive(status: TrainingStatus): boolean {
  return status === 'preparing' || status === 'running' || status === 'paused';
}

/** Folds a streamed training event into the state (pure). */
export function applyTrainingEvent(train: TrainState, event: WorkerEvent): TrainState {
  // A new run replaces the last one's curve and checkpoint notes only once it has really started.
  if (event.type === 'trainingStarted')
    return { ...initialTrainState, loadedFrom: train.loadedFrom, info: event.info, status: 'running' };
  if (event.type === 'trainingProgress') return { ...train, points: train.points.concat(event.points) };
  return train;
}

/** A lost device takes the trainer's parameters with it; what was plotted stays (pure). */
export function trainOnEvent(train: TrainState, event: WorkerEvent): TrainState {
  if (event.type !== 'deviceLost' || train.status === 'idle' || train.status === 'failed') return train;
  return {
    ...train,
    status: 'failed',
    error:
      'The GPU device was lost, and with it the trained parameters that were not saved: reconnect the GPU and train again.',
  };
}

/** Whether a file is a zip archive: by name, or by the local-file-header signature "PK\3\4". */
async function isZip(file: File): Promise<boolean> {
  if (file.name.toLowerCase().endsWith('.zip')) return true;
  const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  return head.length === 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4;
}

/** A zip (one file) unpacked into files, or the files as they were picked. */
export async function checkpointEntries(files: readonly File[]): Promise<{ path: string; file: File }[]> {
  if (files.length === 1 && (await isZip(files[0]))) {
    const archive = files[0];
    const entries = await readZip(new Uint8Array(await archive.arrayBuffer()), archive.name);
    return [...entries].map(([path, bytes]) => ({
      path,
      file: new File([new Uint8Array(bytes)], path.split('/').pop()!),
    }));
  }
  return files.map((file) => ({ path: file.webkitRelativePath || file.name, file }));
}

export function createTrainSlice(deps: StoreDeps): StateCreator<AppState, [], [], TrainSlice> {
  return (set, get) => {
    const setTrain = (patch: (t: TrainState) => Partial<TrainState>) =>
      set((s) => ({ train: { ...s.train, ...patch(s.train) } }));

    const loadEntries = async (entries: { path: string; file: File }[], from: string) => {
      setTrain(() => ({ checkpointError: null, loadedFrom: null }));
      await get().loadModel({ kind: 'files', files: entries });
      const { model } = get();
      if (model.error) setTrain(() => ({ checkpointError: model.error }));
      else if (model.status === 'ready') setTrain(() => ({ loadedFrom: from }));
    };

    return {
      train: initialTrainState,

      async startTraining(params) {
        const { train, gpu } = get();
        if (isTrainingActive(train.status) || gpu.status !== 'ready') return;
        const problem = settingsProblem(params.settings);
        if (problem) {
          setTrain(() => ({ error: problem.message }));
          return;
        }
        // A refusal before the first step leaves the last run (and its saveable parameters) as it was.
        const previous = train.status;
        let started = false;
        setTrain(() => ({ status: 'preparing', error: null }));
        try {
          const {
            type: _type,
            requestId: _id,
            ...outcome
          } = await deps.client().request(
            { type: 'startTraining', ...params },
            {
              onProgress: (event) => {
                started ||= event.type === 'trainingStarted';
                setTrain((t) => applyTrainingEvent(t, event));
              },
            },
          );
          setTrain(() => ({ status: outcome.status, outcome }));
        } catch (cause) {
          setTrain(() => ({ status: started ? 'failed' : previous, error: errorOf(cause).message }));
        }
      },

      async pauseTraining() {
        if (get().train.status !== 'running') return;
        try {
          const { wasRunning } = await deps.client().request({ type: 'pauseTraining' });
          if (wasRunning) setTrain((t) => (t.status === 'running' ? { status: 'paused' } : {}));
        } catch (cause) {
          setTrain(() => ({ error: errorOf(cause).message }));
        }
      },

      async resumeTraining() {
        if (get().train.status !== 'paused') return;
        try {
          const { wasPaused } = await deps.client().request({ type: 'resumeTraining' });
          if (wasPaused) setTrain((t) => (t.status === 'paused' ? { status: 'running' } : {}));
        } catch (cause) {
          setTrain(() => ({ error: errorOf(cause).message }));
        }
      },

      async stopTraining() {
        if (!isTrainingActive(get().train.status)) return;
        try {
          await deps.client().request({ type: 'stopTraining' });
        } catch (cause) {
          setTrain(() => ({ error: errorOf(cause).message }));
        }
      },

      async saveCheckpoint() {
        const { train } = get();
        if (train.saving || !train.info || train.status === 'failed') return null;
        setTrain(() => ({ saving: true, checkpointError: null }));
        try {
          const { type: _type, requestId: _id, ...saved } = await deps.client().request({ type: 'saveCheckpoint' }); // prettier-ignore
          setTrain(() => ({
            saving: false,
            saved: { fileName: saved.fileName, stepsDone: saved.stepsDone, bytes: saved.zip.byteLength },
          }));
          return saved;
        } catch (cause) {
          setTrain(() => ({ saving: false, checkpointError: errorOf(cause).message }));
          return null;
        }
      },

      async loadTrainedModel() {
        const saved = await get().saveCheckpoint();
        if (!saved) return;
        const file = new File([saved.zip], saved.fileName);
        await loadEntries(
          await checkpointEntries([file]),
          `the trained weights after ${saved.stepsDone} steps`,
        );
      },

      async loadCheckpoint(files) {
        if (files.length === 0) return;
        setTrain(() => ({ checkpointError: null }));
        let entries: { path: string; file: File }[];
        try {
          entries = await checkpointEntries(files);
        } catch (cause) {
          setTrain(() => ({ checkpointError: errorOf(cause).message }));
          return;
        }
        await loadEntries(entries, files.length === 1 ? files[0].name : `${files.length} files`);
      },
    };
  };
}
