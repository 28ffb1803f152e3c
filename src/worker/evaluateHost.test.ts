// The Evaluate requests with fake model slots and a scripted runEvaluation: the default model is
// loaded into its slot and handed to the runner with its tokenizer, progress is throttled but the
// last job always reported, cancel ends the run with a 'cancelled' reply, refusals are errors.
import { describe, expect, it } from 'vitest';
import type { EvaluationConfig, EvaluationProgress, EvaluationResult } from '../evaluate';
import { defaultEvaluationConfig } from '../evaluate';
import type { EvaluationDeps, RunEvaluationOptions } from '../evaluate/runner';
import type { LanguageModel } from '../model/interface';
import { TextTokenizer } from '../model/tokenizer';
import { shapesTokenizerConfig, shapesTokenizerJson } from '../world';
import type { SlotHost, SlotModel } from './decodeSetup';
import { EvaluateHost } from './evaluateHost';
import type { EvaluationEvent } from './evaluateTypes';
import type { ModelCard, ModelSourceSpec } from './modelTypes';
import type { WorkerEvent } from './protocol';
import { fakeGpu } from './test-fakes';

const tokenizer = TextTokenizer.fromJson(shapesTokenizerJson(), shapesTokenizerConfig());

function slotModel(name: string, spec: ModelSourceSpec): SlotModel {
  const model = { info: { name, fileHashes: { 'model.safetensors': 'a'.repeat(64) } } } as unknown as LanguageModel; // prettier-ignore
  return { model, tokenizer, card: { name } as ModelCard, spec };
}

function slot(loads: string[]): SlotHost {
  let loaded: SlotModel | null = null;
  return {
    loadedModel: () => loaded,
    async load(_gpu, _requestId, spec) {
      loads.push(spec.kind === 'url' ? spec.url : spec.kind);
      loaded = slotModel('shapes-vlm', spec);
    },
  };
}

const progress = (done: number, total: number): EvaluationProgress => ({
  benchmark: 'pope',
  done,
  total,
  elapsedMs: done * 10,
  etaMs: (total - done) * 10,
  examplesPerSecond: 100,
});

/** What runEvaluation rejects with on cancel (EvaluationCancelledError; its module needs WebGPU). */
function cancelled(): Error {
  const error = new Error('the evaluation was cancelled');
  error.name = 'AbortError';
  return error;
}

/** A runner that reports `jobs` jobs, each after a macrotask, and honours the signal between them. */
function scriptedRunner(jobs: number, seen: { deps?: EvaluationDeps; config?: EvaluationConfig }) {
  return async (config: EvaluationConfig, deps: EvaluationDeps, options: RunEvaluationOptions) => {
    seen.deps = deps;
    seen.config = config;
    for (let done = 1; done <= jobs; done++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (options.signal?.aborted) throw cancelled();
      options.onProgress?.(progress(done, jobs));
    }
    return { kind: 'logitlab-evaluation', config } as unknown as EvaluationResult;
  };
}

function setup(jobs: number) {
  const loads: string[] = [];
  const vlm = slot(loads);
  const seen: { deps?: EvaluationDeps; config?: EvaluationConfig } = {};
  let now = 0;
  const host = new EvaluateHost({
    slots: {
      workbench: null,
      shapes: () => vlm,
      shapesFolderUrl: (name) => `http://app/models/${name}/`,
    },
    runEvaluation: scriptedRunner(jobs, seen),
    clock: () => (now += 50), // 4 jobs per PROGRESS_INTERVAL_MS
  });
  const events: (WorkerEvent | EvaluationEvent)[] = [];
  return { host, events, loads, seen, post: (e: WorkerEvent | EvaluationEvent) => events.push(e) };
}

const ofType = <T extends string>(events: { type: string }[], type: T) =>
  events.filter((e) => e.type === type);

describe('EvaluateHost', () => {
  it('loads the default model into its slot, runs with it, throttles progress and replies with the result', async () => {
    const { host, events, loads, seen, post } = setup(10);
    const config = defaultEvaluationConfig();
    await host.start(fakeGpu(), 7, { config }, post);
    expect(loads).toEqual(['http://app/models/shapes-vlm/']);
    expect(seen.deps?.models.main.info.name).toBe('shapes-vlm');
    expect(seen.deps?.tokenizer).toBe(tokenizer);
    expect(seen.config).toBe(config);
    const reported = ofType(events, 'evaluationProgress') as Extract<EvaluationEvent, { type: 'evaluationProgress' }>[]; // prettier-ignore
    expect(reported.length).toBeGreaterThan(1);
    expect(reported.length).toBeLessThan(10);
    expect(reported.at(-1)).toMatchObject({ requestId: 7, done: 10, total: 10 });
    expect(events.at(-1)).toMatchObject({ type: 'evaluationDone', requestId: 7, status: 'completed' });
  });

  it('cancel ends the run between jobs with a cancelled reply and the last progress', async () => {
    const { host, events, post } = setup(1000);
    expect(host.cancel()).toBe(false); // nothing runs yet
    const run = host.start(fakeGpu(), 3, { config: defaultEvaluationConfig() }, post);
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
    expect(host.cancel()).toBe(true);
    expect(host.cancel()).toBe(false); // already cancelling
    await run;
    const done = events.at(-1) as Extract<EvaluationEvent, { type: 'evaluationDone' }>;
    expect(done).toMatchObject({ type: 'evaluationDone', requestId: 3, status: 'cancelled' });
    expect(done.status === 'cancelled' && done.progress!.done).toBeLessThan(1000);
    expect(host.cancel()).toBe(false); // the run is over
  });

  it('refuses a model the worker does not have, and a folder dataset, with messages for the user', async () => {
    const { host, post } = setup(1);
    const config = defaultEvaluationConfig();
    const hub = { ...config, models: { main: { source: 'hub' as const, id: 'org/vlm', sha256: {} } } };
    await expect(host.start(fakeGpu(), 1, { config: hub }, post)).rejects.toThrow(/no model is loaded in the Model tab/); // prettier-ignore
    const folder = { ...config, dataset: { kind: 'folder' as const, name: 'coco', annotationsSha256: 'b'.repeat(64), questionTemplate: 'Is there a {object}?' } }; // prettier-ignore
    await expect(host.start(fakeGpu(), 2, { config: folder }, post)).rejects.toThrow(/folder dataset/);
  });

  it('a runner failure that is not a cancel is the request error', async () => {
    const host = new EvaluateHost({
      slots: { workbench: null, shapes: () => slot([]), shapesFolderUrl: () => 'http://app/m/' },
      runEvaluation: async () => {
        throw new Error('device lost');
      },
    });
    await expect(host.start(fakeGpu(), 1, { config: defaultEvaluationConfig() }, () => {})).rejects.toThrow('device lost'); // prettier-ignore
  });
});
