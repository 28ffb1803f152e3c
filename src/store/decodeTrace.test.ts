// The decode slice's pure parts: worker events folded into the state, divergence between lanes, and
// experiment edits validated against the catalog (stored as typed, never clamped).
import { describe, expect, it } from 'vitest';
import { defaultExperiment } from '../share/methods';
import type { LaneTrace } from '../share/trace';
import type { WorkerEvent } from '../worker/protocol';
import { fakeToken } from './decodeFakes';
import * as edit from './decodeExperiment';
import { applyDecodeEvent, decodeOnEvent, initialDecodeState, type DecodeState } from './decodeSlice';
import { EMPTY_STATISTICS, firstDivergence } from './decodeTrace';

const experiment = defaultExperiment();
const started: WorkerEvent = {
  type: 'decodeStarted',
  requestId: 1,
  promptTokens: [2, 5],
  promptPieces: ['<bos>', 'the'],
  lanes: experiment.lanes.map((lane) => ({ laneId: lane.id, inputs: [] })),
};
const stats = (tokens: number) => ({ ...EMPTY_STATISTICS, tokens, readbackBytes: 96 * tokens });
const batch = (laneId: string, lane: number, steps: number[], stopReason: 'max-tokens' | null = null) => ({
  laneId,
  tokens: steps.map((s) => fakeToken(lane, s)),
  statistics: stats(steps[steps.length - 1] + 1),
  stopReason,
});

describe('decode events', () => {
  it('decodeStarted opens empty lanes with the experiment as sent; paused runs start paused', () => {
    const sent = { ...experiment, prompt: 'as sent' };
    const state = applyDecodeEvent(initialDecodeState(), started, { experiment: sent, paused: false });
    expect(state.status).toBe('running');
    expect(state.traceSource).toBe('run');
    expect(state.promptPieces).toEqual(['<bos>', 'the']);
    expect(state.trace?.experiment.prompt).toBe('as sent');
    expect(state.experiment.prompt).toBe(experiment.prompt); // the editor keeps its own copy
    expect(state.trace?.lanes.map((l) => [l.laneId, l.tokens.length])).toEqual([['lane-1', 0], ['lane-2', 0], ['lane-3', 0]]); // prettier-ignore
    expect(applyDecodeEvent(initialDecodeState(), started, { experiment, paused: true }).status).toBe(
      'paused',
    );
  });

  it('decodeTokens appends per lane, never doubles a step, takes the latest statistics and stop reason', () => {
    let state: DecodeState = applyDecodeEvent(initialDecodeState(), started);
    const tokens = (lanes: ReturnType<typeof batch>[]): WorkerEvent => ({
      type: 'decodeTokens',
      requestId: 1,
      lanes,
    });
    state = applyDecodeEvent(state, tokens([batch('lane-1', 0, [0, 1]), batch('lane-2', 1, [0])]));
    state = applyDecodeEvent(
      state,
      tokens([batch('lane-1', 0, [1, 2], 'max-tokens'), batch('ghost', 5, [0])]),
    );
    const [one, two, three] = state.trace!.lanes;
    expect(one.tokens.map((t) => t.step)).toEqual([0, 1, 2]);
    expect(one.statistics.tokens).toBe(3);
    expect(one.stopReason).toBe('max-tokens');
    expect(two.tokens).toHaveLength(1);
    expect(three.tokens).toHaveLength(0);
    // Before decodeStarted there is no trace to append to.
    expect(applyDecodeEvent(initialDecodeState(), tokens([batch('lane-1', 0, [0])])).trace).toBeNull();
  });

  it('decodeEnded swaps in the worker trace; a lost device ends only an active run', () => {
    const running = applyDecodeEvent(initialDecodeState(), started);
    const final = { ...running.trace!, environment: { adapter: 'a', userAgent: 'u', createdAt: '2025-01-31T12:00:00.000Z' } }; // prettier-ignore
    const done = applyDecodeEvent({ ...running, stopping: true }, { type: 'decodeEnded', requestId: 1, trace: final, status: 'stopped' }); // prettier-ignore
    expect(done).toMatchObject({ status: 'done', stopping: false, outcome: 'stopped', trace: final });

    const lost: WorkerEvent = { type: 'deviceLost', requestId: null, reason: 'unknown', message: 'gone' };
    expect(decodeOnEvent(running, lost)).toMatchObject({ status: 'error', error: expect.stringContaining('GPU device was lost during the run (gone)') }); // prettier-ignore
    expect(decodeOnEvent(done, lost)).toBe(done);
    expect(decodeOnEvent(running, { type: 'lossSimulated', requestId: 3 })).toBe(running);
  });
});

describe('divergence', () => {
  const lane = (index: number, count: number, stopReason: LaneTrace['stopReason'] = null): LaneTrace => ({
    laneId: `lane-${index + 1}`,
    inputs: [],
    tokens: Array.from({ length: count }, (_, s) => fakeToken(index, s)),
    text: '',
    stopReason,
    statistics: EMPTY_STATISTICS,
  });
  it('is the first step with a different token, or where the shorter finished lane stopped', () => {
    expect(firstDivergence(lane(0, 5), lane(1, 5))).toBe(2);
    expect(firstDivergence(lane(0, 5), lane(0, 2))).toBeNull(); // still running: not known yet
    expect(firstDivergence(lane(0, 5), lane(0, 2, 'eos'))).toBe(2);
    expect(firstDivergence(lane(0, 4, 'max-tokens'), lane(0, 4, 'max-tokens'))).toBeNull();
  });
});

describe('experiment edits', () => {
  it('starts valid; out-of-range values are kept as typed and named by path with the allowed range', () => {
    expect(edit.experimentProblems(experiment)).toEqual({});
    let e = edit.setLaneParameter(experiment, 1, 'alpha', 7);
    e = edit.setLaneSampling(e, 0, { temperature: 0, topP: Number.NaN });
    e = { ...e, maxTokens: 0, image: { kind: 'scene', seed: 1.5, index: 0 } };
    expect(e.lanes[1].method).toMatchObject({ method: 'vcd', alpha: 7 });
    expect(edit.experimentProblems(e)).toEqual({
      'lanes[1].method.alpha': '7 is above the maximum 5 (VCD alpha allows 0 to 5)',
      'lanes[0].sampling.temperature':
        '0 must be above 0 (sampling temperature allows above 0 and at most 5)',
      'lanes[0].sampling.topP': 'enter a number (sampling topP allows above 0 and at most 1)',
      maxTokens: '0 is below the minimum 1 (maxTokens allows integers 1 to 512)',
      'image.seed': '1.5 is not a whole number (seed allows integers 0 to 9007199254740991)',
    });
    expect(edit.setLaneParameter(experiment, 1, 'nonsense', 3)).toEqual(experiment);
  });

  it('needs: CD without an amateur model, VCD without an image', () => {
    const e = edit.setLaneMethod({ ...experiment, image: null }, 0, 'cd');
    expect(e.lanes[0].method).toEqual({ method: 'cd', alpha: 1, beta: 0.1 });
    expect(edit.experimentProblems(e)).toMatchObject({
      'lanes[0].method': expect.stringContaining('CD contrasts against an amateur model'),
      'lanes[1].method': expect.stringContaining('VCD contrasts views of the image'),
    });
  });

  it('blocks Run for a speculative lane without a draft model, or with sampling filters', () => {
    const e = edit.setLaneMethod(
      { ...experiment, models: { main: experiment.models.main } },
      0,
      'speculative',
    );
    expect(edit.experimentProblems(e)['lanes[0].method']).toMatch(/drafts with the amateur slot's model/);
    const lookup = edit.setLaneParameter(e, 0, 'variant', 'prompt-lookup');
    expect(edit.experimentProblems(lookup)['lanes[0].method']).toBeUndefined();
    const filtered = edit.setLaneSampling(lookup, 0, { greedy: false, topK: 5 });
    expect(edit.experimentProblems(filtered)['lanes[0].method']).toMatch(/top-k/i);
  });

  it('adds up to 6 lanes, keeps at least one, duplicates right after with a fresh id', () => {
    let e = experiment;
    for (let i = 0; i < 5; i++) e = edit.addLane(e);
    expect(e.lanes.map((l) => l.id)).toEqual(['lane-1', 'lane-2', 'lane-3', 'lane-4', 'lane-5', 'lane-6']);
    expect(edit.duplicateLane(e, 0)).toBe(e);
    e = edit.removeLane(edit.removeLane(e, 4), 4);
    const copy = edit.duplicateLane(edit.setLaneParameter(e, 1, 'noiseStep', 250), 1);
    expect(copy.lanes.map((l) => l.id)).toEqual(['lane-1', 'lane-2', 'lane-5', 'lane-3', 'lane-4']);
    expect(copy.lanes[2].method).toEqual({ ...copy.lanes[1].method });
    expect(copy.lanes[2].method).not.toBe(copy.lanes[1].method);
    let one = experiment;
    for (let i = 0; i < 5; i++) one = edit.removeLane(one, 0);
    expect(one.lanes.map((l) => l.id)).toEqual(['lane-3']);
  });

  it('pins a default ref that pins nothing to the loaded hashes, and leaves pinned refs alone', () => {
    const ref = experiment.models.main;
    expect(edit.pinModel(ref, { 'model.safetensors': 'aa' }).sha256).toEqual({ 'model.safetensors': 'aa' });
    const pinned = { ...ref, sha256: { 'model.safetensors': 'bb' } };
    expect(edit.pinModel(pinned, { 'model.safetensors': 'aa' })).toBe(pinned);
    expect(edit.pinModel(ref, null)).toBe(ref);
  });
});
