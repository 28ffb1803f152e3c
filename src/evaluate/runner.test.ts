// The runner's orchestration without a GPU: the real DecodeSession over a fake model, with lanes
// whose steps are scripted per example (test-fakes.ts of the lane runner). Checks that every
// distinct (scene, prompt) is one session per lane group with the example's experiment, answers
// land on every example that asked them, metrics equal the world's scorers on those answers,
// progress counts jobs with an ETA, cancellation stops promptly and releases every sequence, and
// setup problems are reported before anything decodes.
import { describe, expect, it, vi } from 'vitest';
import { fakeModel, SHAPES_VLM_CONFIG } from '../decoding/lanes/test-fakes';
import { defaultLane } from '../share/methods';
import { chairMetrics, DEFAULT_WORLD, popeMetrics, sampleSceneAt, shapesIn, SHAPES } from '../world';
import type { EvaluationProgress } from './progress';
import { popeRecords, worstPopeRecords } from './records';
import { testing } from './testing';

// The engine's modules read WebGPU's constants at load time; Node has none.
vi.hoisted(() => {
  Object.assign(globalThis, {
    GPUBufferUsage: {
      MAP_READ: 1,
      MAP_WRITE: 2,
      COPY_SRC: 4,
      COPY_DST: 8,
      INDEX: 16,
      VERTEX: 32,
      UNIFORM: 64,
      STORAGE: 128,
    },
    GPUMapMode: { READ: 1, WRITE: 2 },
  });
});
const { DecodeSession } = await import('../decoding/lanes/session');
const { runEvaluation, EvaluationCancelledError, EvaluationSetupError } = await import('./runner');

const { harness, config, tokenizer, gpu, clock } = testing(DecodeSession);

describe('runEvaluation (scripted lanes, fake model)', () => {
  it('runs each distinct (scene, prompt) once per lane group, with the example as a Decode experiment', async () => {
    const h = harness();
    const progress: EvaluationProgress[] = [];
    const result = await runEvaluation(
      config(),
      { gpu, models: { main: h.main }, tokenizer, createSession: h.createSession, clock },
      { onProgress: (p) => progress.push(p) },
    );
    const pope = result.pope!;
    const distinct = new Set(pope.examples.map((e) => `${e.sceneIndex}|${e.prompt}`));
    expect(h.sessions).toHaveLength(distinct.size + 3);
    expect(result.examplesRun).toBe(distinct.size + 3);
    // Every yes-question is asked in all three splits but decoded once.
    expect(pope.examples.length).toBeGreaterThan(distinct.size);
    const first = h.sessions[0];
    expect(first).toEqual({
      version: 1,
      models: result.config.models,
      prompt: pope.examples.find((e) => e.sceneIndex === 0)!.prompt,
      image: { kind: 'scene', seed: result.config.seed, index: 0 },
      seed: 40,
      maxTokens: 3,
      lanes: result.config.lanes,
    });
    expect(h.sessions.at(-1)).toMatchObject({ prompt: 'the picture shows', seed: 42, maxTokens: 4 });
    expect(h.main.lengths.size).toBe(0);
    // Progress: one event per job, done counting up to the total, an ETA that reaches 0.
    expect(progress.map((p) => p.done)).toEqual(Array.from({ length: distinct.size + 3 }, (_, i) => i + 1));
    expect(progress.every((p) => p.total === distinct.size + 3)).toBe(true);
    expect(progress.at(-1)!.etaMs).toBe(0);
    expect(progress[0].etaMs).toBeGreaterThan(0);
  });

  it("scores every lane's answers as the world's scorers do, with paired differences to the baseline", async () => {
    const h = harness();
    const result = await runEvaluation(config(), {
      gpu,
      models: { main: h.main },
      tokenizer,
      createSession: h.createSession,
      clock,
    });
    const pope = result.pope!;
    result.lanes.forEach((lane, l) => {
      lane.pope!.forEach((summary) => {
        const indices = pope.examples.flatMap((e, i) => (e.split === summary.split ? [i] : []));
        const expected = popeMetrics(
          indices.map((i) => pope.answers[l][i].text),
          indices.map((i) => pope.examples[i].label),
        );
        expect(summary.questions).toBe(expected.count);
        expect(summary.metrics.accuracy.value).toBeCloseTo(expected.accuracy, 12);
        expect(summary.metrics.yesRatio.value).toBeCloseTo(expected.yesRatio, 12);
        expect(summary.metrics.f1.value).toBeCloseTo(expected.f1, 12);
        expect(summary.scenes).toBe(3);
      });
    });
    const [yes, truth] = result.lanes;
    expect(
      yes.pope!.map((s) => [s.metrics.yesRatio.value, s.metrics.recall.value, s.metrics.accuracy.value]),
    ).toEqual(Array(3).fill([1, 1, 0.5]));
    expect(yes.pope![0].difference).toBeNull();
    // The truthful lane is right on every question: +0.5 accuracy on every scene, so a point interval.
    expect(truth.pope![0].metrics.accuracy).toEqual({ value: 1, low: 1, high: 1 });
    expect(truth.pope![0].difference!.accuracy).toEqual({ value: 0.5, low: 0.5, high: 0.5 });
    // CHAIR: "a star" against the scenes, and the truthful lane's single true shape.
    const scenes = [0, 1, 2].map((i) => sampleSceneAt(DEFAULT_WORLD, result.config.seed, i));
    const expected = chairMetrics(
      scenes.map(() => 'a star'),
      scenes,
    );
    expect(yes.chair!.metrics.chairI.value).toBe(expected.chairI);
    expect(yes.chair!.metrics.meanLength.value).toBe(2);
    expect(truth.chair!.metrics.chairS.value).toBe(0);
    expect(result.chair!.answers[0].map((a) => a.hallucinated)).toEqual(
      scenes.map((s) => (shapesIn(s).has('star') ? [] : ['star'])),
    );
    expect(result.chair!.examples[0].objects).toEqual(SHAPES.filter((s) => shapesIn(scenes[0]).has(s)));
    // Records: the yes-sayer's worst cases are its hallucinated yeses.
    const worst = worstPopeRecords(result, 0, 'adversarial');
    expect(worst.length).toBe(popeRecords(result, 0, 'adversarial').filter((r) => r.label === 'no').length);
    expect(worst.every((r) => r.label === 'no' && r.said === 'yes' && !r.correct)).toBe(true);
  });

  it('runs more lanes than a session holds in groups of six, and records lane errors and unreadable answers', async () => {
    const h = harness();
    const lanes = [
      defaultLane('plain', 'yes'),
      ...Array.from({ length: 6 }, (_, i) => defaultLane('plain', `mute-${i}`)),
      defaultLane('plain', 'broken'),
    ];
    const result = await runEvaluation(
      config({
        lanes,
        benchmarks: { pope: { splits: ['random'], scenes: 2, questionsPerScene: 2, maxTokens: 3 } },
      }),
      { gpu, models: { main: h.main }, tokenizer, createSession: h.createSession, clock },
    );
    expect(h.sessions.map((s) => s.lanes.length)).toEqual(
      Array(h.sessions.length / 2)
        .fill([6, 2])
        .flat(),
    );
    expect(result.lanes[3].pope![0]).toMatchObject({ unparsed: 4, errors: 0 });
    const broken = result.lanes[7].pope![0];
    const starQuestions = result.pope!.examples.filter((e) => e.prompt.includes('star')).length;
    expect(broken.errors).toBe(starQuestions);
    expect(result.pope!.answers[7].filter((a) => a.error === 'empty plausible set')).toHaveLength(
      starQuestions,
    );
  });

  it('cancels between steps: rejects with AbortError, disposes the session, releases every sequence', async () => {
    const controller = new AbortController();
    let steps = 0;
    const h = harness(() => {
      if (++steps === 5) controller.abort();
    });
    const progress: EvaluationProgress[] = [];
    const run = runEvaluation(
      config(),
      { gpu, models: { main: h.main }, tokenizer, createSession: h.createSession, clock },
      { signal: controller.signal, onProgress: (p) => progress.push(p) },
    );
    await expect(run).rejects.toBeInstanceOf(EvaluationCancelledError);
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    // Stopped within the job it was in: at most the jobs before it reported.
    expect(progress.length).toBeLessThanOrEqual(2);
    expect(steps).toBeLessThanOrEqual(6);
    expect(h.main.lengths.size).toBe(0);
    const before = new AbortController();
    before.abort();
    const idle = harness();
    await expect(
      runEvaluation(
        config(),
        { gpu, models: { main: idle.main }, tokenizer, createSession: idle.createSession },
        { signal: before.signal },
      ),
    ).rejects.toBeInstanceOf(EvaluationCancelledError);
    expect(idle.sessions).toHaveLength(0);
  });

  it('reports setup problems before decoding anything: invalid config, pinned hashes, missing capabilities', async () => {
    const h = harness();
    const deps = { gpu, models: { main: h.main }, tokenizer, createSession: h.createSession };
    await expect(runEvaluation({ ...config(), lanes: [] }, deps)).rejects.toThrow(/lanes: has 0 entries/);
    const pinned = config();
    pinned.models = { main: { ...pinned.models.main, sha256: { 'model.safetensors': 'b'.repeat(64) } } };
    await expect(runEvaluation(pinned, deps)).rejects.toThrow(
      /has no file model.safetensors, which the config pins/,
    );
    const textOnly = fakeModel('shapes-vlm', SHAPES_VLM_CONFIG, { hiddenStates: false });
    const dola = runEvaluation(
      config({ lanes: [defaultLane('plain', 'yes'), defaultLane('dola', 'dola')] }),
      { ...deps, models: { main: textOnly } },
    );
    await expect(dola).rejects.toBeInstanceOf(EvaluationSetupError);
    await expect(dola).rejects.toThrow(/lane 2 \(dola, DoLa\) needs hidden states/);
    expect(h.sessions).toHaveLength(0);
  });
});
