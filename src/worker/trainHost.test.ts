// The training requests through the real GpuHost and TrainHost, with the CPU reference trainer
// behind the trainer seam: real (tiny) training in Node, the protocol's streaming, the immediate
// pause / resume / stop / save, refusals that name the value, and the NaN path.
import { describe, expect, it } from 'vitest';
import { folderAsFiles } from '../model/loading/fixtures/tinyModels';
import { loadModelFolder } from '../model/loading/loadModelFolder';
import { localFilesSource } from '../model/loading/localFiles';
import { DEFAULT_TRAINING_SETTINGS, type TrainingSettings } from '../training/settings';
import { TrainingError } from '../training/types';
import { readZip } from '../training/zip';
import { GpuHost } from './host';
import type { WorkerEvent, WorkerRequestBody } from './protocol';
import { referenceTrainers } from './train-fakes';
import { TrainHost, type TrainHostOptions } from './trainHost';
import { fakeGpu, settle } from './test-fakes';
import type { StartTrainingParams } from './trainTypes';

const TINY_SETTINGS: TrainingSettings = {
  ...DEFAULT_TRAINING_SETTINGS,
  learningRate: 1e-2,
  minLearningRate: 1e-3,
  warmupSteps: 0,
  totalSteps: 12,
  batchSize: 2,
  contextLength: 8,
};

const NANO: StartTrainingParams = { model: { kind: 'preset', preset: 'nano' }, corpus: { kind: 'builtin' }, settings: TINY_SETTINGS }; // prettier-ignore

function setup(override: Partial<TrainHostOptions> = {}) {
  const events: WorkerEvent[] = [];
  const trainers = referenceTrainers();
  const training = new TrainHost({
    createTrainer: trainers.createTrainer,
    loadedModel: () => null,
    memoryBudgetBytes: 2 ** 30,
    ...override,
  });
  const host = new GpuHost({
    checks: [],
    post: (e) => events.push(e),
    training,
    createGpu: async () => fakeGpu(),
  });
  let nextId = 1;
  const send = (body: WorkerRequestBody) => host.receive({ ...body, id: nextId++ });
  const of = <T extends WorkerEvent['type']>(type: T) =>
    events.filter((e): e is Extract<WorkerEvent, { type: T }> => e.type === type);
  const points = () => of('trainingProgress').flatMap((e) => e.points);
  return { host, events, trainers, send, of, points };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await settle();
  expect(condition()).toBe(true);
}

describe('TrainHost', () => {
  it('trains a new nano model: info, every step in order, the loss falls, then completed', async () => {
    const h = setup();
    await h.send({ type: 'init' });
    await h.send({ type: 'startTraining', ...NANO });
    const [started] = h.of('trainingStarted');
    expect(started.info).toMatchObject({ architecture: 'gpt2', layers: 2, hiddenSize: 64, contextLength: 8, totalSteps: 12, tokensPerStep: 16 }); // prettier-ignore
    expect(started.info.tokenizer).toMatch(/^character level/);
    const points = h.points();
    expect(points.map((p) => p.step)).toEqual([...Array(12).keys()]);
    expect(points.every((p) => Number.isFinite(p.gradientNorm) && p.tokensPerSecond > 0)).toBe(true);
    expect(points[0].learningRate).toBeCloseTo(1e-2);
    expect(points[11].elapsedMs).toBeGreaterThanOrEqual(points[0].elapsedMs);
    const late = points.slice(-3).reduce((s, p) => s + p.loss, 0) / 3;
    expect(late).toBeLessThan(points[0].loss - 0.3);
    expect(h.events.at(-1)).toMatchObject({ type: 'trainingEnded', status: 'completed', stepsDone: 12, message: null }); // prettier-ignore
  });

  it('saves a checkpoint zip the loader reads back with the trainer’s exact weights', async () => {
    const h = setup();
    await h.send({ type: 'init' });
    await h.send({ type: 'startTraining', ...NANO, settings: { ...TINY_SETTINGS, totalSteps: 3 } });
    await h.send({ type: 'saveCheckpoint' });
    const [saved] = h.of('checkpointSaved');
    expect(saved.fileName).toBe('nano-gpt2-step-3.zip');
    expect(saved.files).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'README.md']); // prettier-ignore
    const entries = await readZip(saved.zip);
    const folder = Object.fromEntries([...entries].map(([path, bytes]) => [path.split('/').pop()!, new Uint8Array(bytes)])); // prettier-ignore
    const loaded = await loadModelFolder(localFilesSource(folderAsFiles(folder, saved.folderName)));
    const weights = h.trainers.created[0].weights();
    for (const [name, values] of weights) expect(loaded.tensors.get(name)!.toFloat32()).toEqual(values);
    expect(new TextDecoder().decode(folder['README.md'])).toContain('| steps | 3 of 3 |');
  });

  it('pause, save while paused, resume and stop are handled between steps', async () => {
    const h = setup();
    await h.send({ type: 'init' });
    const run = h.send({
      type: 'startTraining',
      ...NANO,
      settings: { ...TINY_SETTINGS, totalSteps: 10_000 },
    });
    await until(() => h.points().length >= 2);
    await h.send({ type: 'pauseTraining' });
    expect(h.of('trainingPaused')[0].wasRunning).toBe(true);
    for (let i = 0; i < 5; i++) await settle();
    const stepsAtPause = h.trainers.created[0].stepsDone;
    for (let i = 0; i < 20; i++) await settle();
    expect(h.trainers.created[0].stepsDone).toBe(stepsAtPause);
    await h.send({ type: 'saveCheckpoint' });
    expect(h.of('checkpointSaved')[0].stepsDone).toBe(stepsAtPause);
    await h.send({ type: 'resumeTraining' });
    expect(h.of('trainingResumed')[0].wasPaused).toBe(true);
    await until(() => h.trainers.created[0].stepsDone > stepsAtPause + 1);
    await h.send({ type: 'stopTraining' });
    await run;
    const ended = h.of('trainingEnded')[0];
    expect(ended.status).toBe('stopped');
    expect(ended.stepsDone).toBeLessThan(10_000);
    expect(h.points().map((p) => p.step)).toEqual([...Array(ended.stepsDone).keys()]);
    await h.send({ type: 'stopTraining' });
    expect(h.of('trainingStopping').map((e) => e.wasRunning)).toEqual([true, false]);
  });

  it('refuses invalid settings, a short corpus and a missing loaded model before building anything', async () => {
    const h = setup();
    await h.send({ type: 'init' });
    await h.send({ type: 'startTraining', ...NANO, settings: { ...TINY_SETTINGS, learningRate: -1 } });
    await h.send({
      type: 'startTraining',
      ...NANO,
      corpus: { kind: 'text', name: 'short.txt', text: 'a cat' },
    });
    await h.send({ type: 'startTraining', ...NANO, model: { kind: 'loaded' } });
    await h.send({ type: 'saveCheckpoint' });
    expect(h.of('error').map((e) => e.message)).toEqual([
      'adamw: learningRate (lr) must be a finite number >= 0, got -1',
      'short.txt has 5 tokens, but a context length of 8 needs at least 9 (one window of T + 1 tokens): use a longer text or a shorter context length', // prettier-ignore
      'No model is loaded: load one in the Model tab, or train a new model from a size preset.',
      'There is nothing to save yet: start training first.',
    ]);
    expect(h.of('trainingStarted')).toEqual([]);
    expect(h.trainers.created).toEqual([]);
  });

  it('a NaN ends the run as stopped-nan naming step and tensor; the last good parameters still save', async () => {
    const trainers = referenceTrainers();
    const h = setup({
      async createTrainer(...args) {
        const trainer = await trainers.createTrainer(...args);
        return {
          ...trainer,
          get stepsDone() {
            return trainer.stepsDone;
          },
          trainStep: (batches, objective) =>
            trainer.stepsDone === 2
              ? Promise.reject(new TrainingError('Training stopped at step 2: the gradient of h.0.attn.c_attn.weight has 3 NaN/Inf entries', 2, 'h.0.attn.c_attn.weight')) // prettier-ignore
              : trainer.trainStep(batches, objective),
          exportWeights: () => trainer.exportWeights(),
        };
      },
    });
    await h.send({ type: 'init' });
    await h.send({ type: 'startTraining', ...NANO });
    expect(h.events.at(-1)).toMatchObject({
      type: 'trainingEnded',
      status: 'stopped-nan',
      stepsDone: 2,
      failedStep: 2,
      tensor: 'h.0.attn.c_attn.weight',
      message: 'Training stopped at step 2: the gradient of h.0.attn.c_attn.weight has 3 NaN/Inf entries',
    });
    await h.send({ type: 'saveCheckpoint' });
    const [saved] = h.of('checkpointSaved');
    expect(saved.stepsDone).toBe(2);
    const readme = new TextDecoder().decode((await readZip(saved.zip)).get(`${saved.folderName}/README.md`));
    expect(readme).toContain('| ended | Training stopped at step 2: the gradient of h.0.attn.c_attn.weight');
  });
});
