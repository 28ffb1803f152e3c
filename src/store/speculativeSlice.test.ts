// The speculative slice's actions through the real store and WorkerClient, with a scripted worker
// (speculativeFakes.ts): what is sent, refusals in the page (the engine's ranges, next to the
// field), run / step / pause / resume / stop, pinning to the loaded files, links and the trace file.
import { describe, expect, it } from 'vitest';
import { encodeSpeculativeLink } from '../share/speculative-link';
import { WorkerClient } from '../worker/client';
import { settle } from '../worker/test-fakes';
import { createAppStore } from './createAppStore';
import { FAKE_PINS, fakeSpeculativeWorker } from './speculativeFakes';
import { defaultSpeculativeSetup, engineSetupCheck, firstDifference, setupProblems, speculativeTokens } from './speculativeState'; // prettier-ignore

async function app(options: Parameters<typeof fakeSpeculativeWorker>[0] = {}) {
  const worker = fakeSpeculativeWorker(options);
  const store = createAppStore({
    hasWebGpu: () => true,
    startClient: () => new WorkerClient(worker.endpoint),
  });
  await store.getState().connect();
  const until = async (condition: () => boolean) => {
    for (let i = 0; i < 400 && !condition(); i++) await settle();
    expect(condition()).toBe(true);
  };
  return { store, worker, until, spec: () => store.getState().speculative };
}

describe('speculative slice', () => {
  it('runs the default setup, streams rounds and baseline, ends with the trace and pins the models', async () => {
    const { store, worker, spec } = await app();
    await store.getState().runSpeculative();
    const [start] = worker.speculativeRequests();
    expect(start).toMatchObject({
      type: 'startSpeculative',
      paused: false,
      setup: defaultSpeculativeSetup(),
    });
    expect(spec()).toMatchObject({ status: 'done', outcome: 'completed', error: null, loading: null });
    const run = spec().run!;
    expect(run.promptPieces).toEqual(['<bos>', 'the', 'picture', 'shows']);
    expect(speculativeTokens(run)).toHaveLength(16);
    expect(
      firstDifference(
        speculativeTokens(run),
        run.baseline.map((t) => t.id),
      ),
    ).toBeNull();
    expect(run.rounds.flatMap((r) => r.tokens.map((t) => t.status))).toEqual(expect.arrayContaining(['accepted', 'rejected', 'discarded', 'resampled', 'bonus'])); // prettier-ignore
    expect(spec().trace?.speculative.tokens).toEqual(speculativeTokens(run));
    expect(spec().pieces[10]).toBe('w10');
    // The run's files are pinned in the setup, so the link now reproduces exactly these models.
    expect(spec().setup.models.target.sha256).toEqual(FAKE_PINS);
    expect(spec().setup.models.draft.sha256).toEqual(FAKE_PINS);
    expect(run.setup.models.target.sha256).toEqual({}); // what ran is kept as it was sent
  });

  it('refuses values the engine refuses, next to their field, without asking the worker', async () => {
    const { store, worker, spec } = await app();
    store.getState().setSpeculativeParameter('draftLength', 17);
    expect(setupProblems(spec().setup)).toEqual({ 'method.draftLength': 'speculative draft length K must be an integer in 1..16, got 17' }); // prettier-ignore
    await store.getState().runSpeculative();
    expect(spec().status).toBe('idle');
    expect(spec().error).toBe('Run refused: speculative draft length K must be an integer in 1..16, got 17. Fix the highlighted field first.'); // prettier-ignore
    expect(spec().setup.method).toMatchObject({ draftLength: 17 }); // not clamped
    expect(store.getState().speculativeLinkPayload()).toBeNull();

    store.getState().setSpeculativeMethod('judge'); // K carries over, the judge's defaults come with it
    expect(spec().setup.method).toEqual({
      name: 'judge',
      draftLength: 17,
      threshold: 0.5,
      learningRate: 0.5,
    });
    store.getState().setSpeculativeParameter('draftLength', 4);
    store.getState().setSpeculativeParameter('threshold', 1.2);
    store.getState().setSpeculativeSampling({ greedy: false, draftTemperature: 0 });
    expect(setupProblems(spec().setup)).toEqual({
      'method.threshold': 'judge threshold must be in [0, 1], got 1.2',
      'sampling.draftTemperature': 'draft temperature must be a finite number > 0, got 0',
    });
    store.getState().setSpeculativeMethod('spectr');
    store.getState().setSpeculativeParameter('rho', 9);
    expect(setupProblems(spec().setup)['method.rho']).toContain('spectr rho must be in [1, candidates = 2]');
    store.getState().setSpeculativeParameter('rho', Number.NaN); // an emptied field unsets rho
    expect(spec().setup.method).toEqual({ name: 'spectr', draftLength: 4, candidates: 2 });
    store.getState().setSpeculativeParameter('threshold', 0.3); // not a SpecTr field: ignored
    expect(spec().setup.method).toEqual({ name: 'spectr', draftLength: 4, candidates: 2 });
    store.getState().setSpeculativeSeed(-1);
    store.getState().setSpeculativeMaxTokens(Number.NaN);
    expect(Object.keys(setupProblems(spec().setup))).toEqual([
      'sampling.draftTemperature',
      'seed',
      'maxTokens',
    ]);
    expect(worker.speculativeRequests()).toEqual([]);
  });

  it('Step from idle starts paused and steps once; then step, resume, pause and stop', async () => {
    const { store, worker, until, spec } = await app();
    store.getState().setSpeculativeMaxTokens(200);
    const run = store.getState().stepSpeculative();
    await until(() => spec().run?.rounds.length === 1);
    expect(spec().status).toBe('paused');
    expect(worker.speculativeRequests().map((r) => r.type)).toEqual(['startSpeculative', 'stepSpeculative']);
    expect(worker.speculativeRequests()[0]).toMatchObject({ paused: true });
    await store.getState().stepSpeculative();
    await until(() => spec().run?.rounds.length === 2);
    await store.getState().resumeSpeculative();
    expect(spec().status).toBe('running');
    await until(() => spec().run!.rounds.length > 4);
    await store.getState().pauseSpeculative();
    expect(spec().status).toBe('paused');
    await store.getState().stopSpeculative();
    await run;
    expect(spec()).toMatchObject({ status: 'done', outcome: 'stopped', stopping: false });
    expect(spec().trace!.speculative.stopReason).toBe('cancelled');
    expect(speculativeTokens(spec().run).length).toBeLessThan(200);
  });

  it('a refusal from the worker keeps the last run and shows the message', async () => {
    const { store, spec } = await app({
      refuse: 'the target "a" has vocab_size 62 but the draft "b" has 50257: …',
    });
    await store.getState().runSpeculative();
    expect(spec()).toMatchObject({ status: 'idle', run: null, loading: null });
    expect(spec().error).toBe('Run refused: the target "a" has vocab_size 62 but the draft "b" has 50257: …');
  });

  it("chooses the Model tab's model pinned to its files, or says why it cannot", async () => {
    const none = await app();
    await none.store.getState().chooseWorkbenchModel('draft');
    expect(none.spec().modelNotes.draft).toBe('No model is loaded in the Model tab.');
    expect(none.spec().setup.models.draft).toEqual(defaultSpeculativeSetup().models.draft);

    const ref = { source: 'hub' as const, id: 'owner/model', sha256: FAKE_PINS };
    const { store, spec } = await app({ workbench: ref });
    await store.getState().chooseWorkbenchModel('target');
    expect(spec().setup.models.target).toEqual(ref);
    // The page has not loaded it (the Model tab is empty here): Run says so before asking the worker.
    await store.getState().runSpeculative();
    expect(spec().error).toContain(
      'Run refused: the target model owner/model is not loaded: load it in the Model tab',
    );
  });

  it('opens a valid link, refuses a damaged one and runs nothing; exports the trace as JSON', async () => {
    const { store, worker, spec } = await app();
    const shared = { ...defaultSpeculativeSetup(), prompt: 'the picture shows a', seed: 9, method: { name: 'aded' as const, draftLength: 3 } }; // prettier-ignore
    const link = encodeSpeculativeLink(shared, engineSetupCheck);
    expect(store.getState().loadSpeculativeLink(`#speculative/${link}`)).toBe(true);
    expect(spec().setup).toEqual(shared);
    expect(store.getState().speculativeLinkPayload()).toBe(link);

    expect(store.getState().loadSpeculativeLink(`${link.slice(0, 12)}!${link.slice(13)}`)).toBe(false);
    expect(spec().linkError).toMatch(/^the link is damaged: .*Nothing was changed or run\.$/);
    expect(spec().setup).toEqual(shared);
    expect(worker.speculativeRequests()).toEqual([]);
    store.getState().dismissSpeculativeError();
    expect(spec().linkError).toBeNull();

    expect(store.getState().exportSpeculativeTrace()).toBeNull();
    store.getState().setSpeculativeMaxTokens(5);
    await store.getState().runSpeculative();
    const file = JSON.parse(store.getState().exportSpeculativeTrace()!);
    expect(file).toMatchObject({ format: 'logitlab-speculative-trace', version: 1, link: expect.stringMatching(/^#speculative\/x1\./) }); // prettier-ignore
    expect(file.trace.speculative.tokens).toHaveLength(5);
    expect(file.pieces['10']).toBe('w10');
  });
});
