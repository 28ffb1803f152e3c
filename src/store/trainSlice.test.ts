// The train slice through the real store, client, host and TrainHost, with the CPU reference
// trainer behind the trainer seam and the model host faked (it records what it is asked to load).
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAINING_SETTINGS } from '../training/settings';
import { writeZip } from '../training/zip';
import { WorkerClient } from '../worker/client';
import { GpuHost } from '../worker/host';
import type { ModelHost } from '../worker/modelHost';
import type { ModelCard, ModelSourceSpec } from '../worker/modelTypes';
import type { WorkerEvent } from '../worker/protocol';
import { fakeGpu, hostEndpoint, settle } from '../worker/test-fakes';
import { referenceTrainers } from '../worker/train-fakes';
import { TrainHost } from '../worker/trainHost';
import type { StartTrainingParams } from '../worker/trainTypes';
import { createAppStore } from './createAppStore';
import { applyTrainingEvent, checkpointEntries, initialTrainState, trainOnEvent } from './trainSlice';

const settings = { ...DEFAULT_TRAINING_SETTINGS, learningRate: 1e-2, warmupSteps: 0, totalSteps: 6, batchSize: 2, contextLength: 8 }; // prettier-ignore
const NANO: StartTrainingParams = { model: { kind: 'preset', preset: 'nano' }, corpus: { kind: 'builtin' }, settings }; // prettier-ignore

function appWithTraining() {
  const loads: ModelSourceSpec[] = [];
  const models = {
    reset() {},
    stop: () => false,
    async load(_gpu: unknown, requestId: number, spec: ModelSourceSpec, post: (e: WorkerEvent) => void) {
      loads.push(spec);
      post({ type: 'modelLoaded', requestId, card: { name: 'local folder checkpoint' } as ModelCard });
    },
  } as unknown as ModelHost;
  const trainers = referenceTrainers();
  const training = new TrainHost({ createTrainer: trainers.createTrainer, loadedModel: () => null, memoryBudgetBytes: 2 ** 30 }); // prettier-ignore
  const store = createAppStore({
    hasWebGpu: () => true,
    startClient: () =>
      new WorkerClient(
        hostEndpoint(
          (post) => new GpuHost({ checks: [], post, models, training, createGpu: async () => fakeGpu() }),
        ),
      ),
  });
  return { store, loads, trainers };
}

describe('train slice', () => {
  it('an invalid setting is refused in the page, naming the value, without asking the worker', async () => {
    const { store, trainers } = appWithTraining();
    await store.getState().connect();
    await store.getState().startTraining({ ...NANO, settings: { ...settings, learningRate: -1 } });
    const { train } = store.getState();
    expect(train.status).toBe('idle');
    expect(train.error).toBe('adamw: learningRate (lr) must be a finite number >= 0, got -1');
    expect(trainers.created).toEqual([]);
  });

  it('trains with streamed points, pauses and resumes, then saves and uses the model', async () => {
    const { store, loads } = appWithTraining();
    await store.getState().connect();
    const run = store.getState().startTraining({ ...NANO, settings: { ...settings, totalSteps: 10_000 } });
    expect(store.getState().train.status).toBe('preparing');
    for (let i = 0; i < 400 && store.getState().train.points.length < 2; i++) await settle();
    expect(store.getState().train.status).toBe('running');
    expect(store.getState().train.info?.architecture).toBe('gpt2');
    await store.getState().pauseTraining();
    expect(store.getState().train.status).toBe('paused');
    await store.getState().resumeTraining();
    expect(store.getState().train.status).toBe('running');
    await store.getState().stopTraining();
    await run;
    const { train } = store.getState();
    expect(train.status).toBe('stopped');
    expect(train.points.map((p) => p.step)).toEqual([...Array(train.outcome!.stepsDone).keys()]);

    const saved = await store.getState().saveCheckpoint();
    expect(saved?.fileName).toBe(`nano-gpt2-step-${train.outcome!.stepsDone}.zip`);
    expect(store.getState().train.saved?.bytes).toBe(saved?.zip.byteLength);

    // A start the worker refuses (the corpus is too short) leaves the finished run as it was.
    await store.getState().startTraining({ ...NANO, corpus: { kind: 'text', name: 'a.txt', text: 'abc' } });
    expect(store.getState().train).toMatchObject({ status: 'stopped', points: train.points, error: expect.stringContaining('a.txt has 3 tokens') }); // prettier-ignore

    await store.getState().loadTrainedModel();
    expect(loads).toHaveLength(1);
    const spec = loads[0] as Extract<ModelSourceSpec, { kind: 'files' }>;
    expect(spec.files.map((f) => f.path)).toEqual(saved!.files.map((f) => `${saved!.folderName}/${f}`));
    expect(store.getState().model.card?.name).toBe('local folder checkpoint');
  });

  it('loads a checkpoint zip, or picked files as they are', async () => {
    const zip = writeZip({ 'config.json': new TextEncoder().encode('{}'), 'model.safetensors': new Uint8Array(8) }, 'nano-gpt2-step-3'); // prettier-ignore
    const fromZip = await checkpointEntries([new File([zip], 'nano-gpt2-step-3.zip')]);
    expect(fromZip.map((e) => [e.path, e.file.name, e.file.size])).toEqual([
      ['nano-gpt2-step-3/config.json', 'config.json', 2],
      ['nano-gpt2-step-3/model.safetensors', 'model.safetensors', 8],
    ]);
    const unnamed = await checkpointEntries([new File([zip], '44a23ef8-d376-4c70')]); // a download's temp name
    expect(unnamed.map((e) => e.file.name)).toEqual(['config.json', 'model.safetensors']);
    const picked = await checkpointEntries([
      new File(['{}'], 'config.json'),
      new File(['x'], 'tokenizer.json'),
    ]);
    expect(picked.map((e) => e.path)).toEqual(['config.json', 'tokenizer.json']);

    const { store, loads } = appWithTraining();
    await store.getState().connect();
    await store.getState().loadCheckpoint([new File([zip], 'nano-gpt2-step-3.zip')]);
    expect(loads).toHaveLength(1);
    await store.getState().loadCheckpoint([new File(['not a zip'], 'broken.zip')]);
    expect(store.getState().train.checkpointError).toBe('broken.zip is not a zip archive (no end-of-central-directory record)'); // prettier-ignore
    expect(loads).toHaveLength(1);
  });

  it('reducers: progress appends, a lost device fails the run but keeps the curve', () => {
    const point = {
      step: 0,
      loss: 4,
      learningRate: 1e-3,
      gradientNorm: 1,
      tokensPerSecond: 100,
      elapsedMs: 5,
    };
    let train = applyTrainingEvent({ ...initialTrainState, status: 'preparing' }, { type: 'trainingProgress', requestId: 1, points: [point] }); // prettier-ignore
    train = applyTrainingEvent(train, {
      type: 'trainingProgress',
      requestId: 1,
      points: [{ ...point, step: 1 }],
    });
    expect(train.points.map((p) => p.step)).toEqual([0, 1]);
    const lost = trainOnEvent({ ...train, status: 'running' }, { type: 'deviceLost', requestId: null, reason: 'unknown', message: '' }); // prettier-ignore
    expect(lost.status).toBe('failed');
    expect(lost.points).toHaveLength(2);
    expect(lost.error).toContain('reconnect the GPU and train again');
    expect(trainOnEvent(initialTrainState, { type: 'deviceLost', requestId: null, reason: 'unknown', message: '' })).toBe(initialTrainState); // prettier-ignore
  });
});
