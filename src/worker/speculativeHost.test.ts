// The Speculative requests through GpuHost with fake model slots and a scripted session: default
// models loaded into their slots when needed (the draft only when the method drafts with a model),
// pins checked, the prompt encoded with BOS, rounds in batches with their pieces, pause / step /
// resume / stop at once, the engine's refusal passed on in its words, and the Model tab's model
// described as a ref.
import { describe, expect, it } from 'vitest';
import type { LanguageModel } from '../model/interface';
import { TextTokenizer } from '../model/tokenizer';
import { defaultModelRef, type SpeculativeSetup } from '../share/speculative-link';
import { METHOD_DEFAULTS } from '../speculative/defaults';
import type {
  SpeculativeSessionOptions,
  SpeculativeStepReport,
  SpeculativeTrace,
} from '../speculative/session';
import type { RoundRecord } from '../speculative/types';
import { SpeculativeSetupError } from '../speculative/validate';
import { shapesTokenizerConfig, shapesTokenizerJson } from '../world';
import { WorkerClient } from './client';
import type { SlotHost, SlotModel } from './decodeSetup';
import { GpuHost } from './host';
import type { ModelCard, ModelSourceSpec } from './modelTypes';
import type { WorkerEvent } from './protocol';
import type { ShapesModelName } from './shapesTypes';
import { SpeculativeHost, describeWorkbench, speculativePromptIds, type SpeculativeSessionLike } from './speculativeHost'; // prettier-ignore
import { fakeGpu, hostEndpoint } from './test-fakes';

const tokenizer = TextTokenizer.fromJson(shapesTokenizerJson(), shapesTokenizerConfig());
const HASH = 'a'.repeat(64);

function slotModel(name: string, spec: ModelSourceSpec): SlotModel {
  const model = { info: { name, fileHashes: { 'model.safetensors': HASH } } } as unknown as LanguageModel;
  return { model, tokenizer, card: { name } as ModelCard, spec };
}

function slot(initial: SlotModel | null, loads: string[]): SlotHost {
  let loaded = initial;
  return {
    loadedModel: () => loaded,
    async load(_gpu, requestId, spec, post) {
      loads.push(spec.kind === 'url' ? spec.url : spec.kind);
      loaded = slotModel(spec.kind === 'url' ? spec.url : 'loaded', spec);
      post({ type: 'modelLoaded', requestId, card: loaded.card });
    },
  };
}

/** Each step is one round of two tokens (ids 20 + 2r, 21 + 2r); the baseline writes the same ids. */
function fakeSession(options: SpeculativeSessionOptions, log: string[]): SpeculativeSessionLike {
  const rounds: RoundRecord[] = [];
  let cancelled = false;
  const tokens = () => rounds.flatMap((r) => r.emitted);
  const done = () => cancelled || tokens().length >= options.maxTokens;
  return {
    get done() {
      return done();
    },
    async step(): Promise<SpeculativeStepReport> {
      log.push('step');
      const id = 20 + 2 * rounds.length;
      const round: RoundRecord = { round: rounds.length, draftLength: 1, tokens: [{ id, status: 'accepted', source: 'draft', p: 0.9, q: 0.8 }, { id: id + 1, status: 'bonus', source: 'target', p: null, q: null }], emitted: [id, id + 1], accepted: 1, targetCalls: 1, draftCalls: 1, exact: true, ms: 1 }; // prettier-ignore
      rounds.push(round);
      return { round, baseline: round.emitted.map((t) => ({ id: t, probability: 1 })), done: done() };
    },
    cancel: () => void (cancelled = true),
    trace(): SpeculativeTrace {
      const stopReason = cancelled ? 'cancelled' : done() ? 'max-tokens' : null;
      const statistics = { tokens: tokens().length } as SpeculativeTrace['speculative']['statistics'];
      return {
        version: 1,
        models: { target: options.target.info.name, draft: options.draft?.info.name ?? null },
        prompt: [...options.prompt],
        maxTokens: options.maxTokens,
        speculative: { method: options.method, sampling: options.sampling, seed: options.seed, tokens: tokens(), rounds: [...rounds], statistics, methodStatistics: {}, stopReason }, // prettier-ignore
        baseline: { tokens: tokens().map((id) => ({ id, probability: 1 })), statistics: { tokens: tokens().length, targetCalls: 1, ms: 1, msPerToken: 1, readbackBytes: 8, readbackBytesPerToken: 8 }, stopReason }, // prettier-ignore
        speedup: 1.5,
      };
    },
    dispose: () => void log.push('dispose'),
  };
}

function speculativeSetup(overrides: Partial<SpeculativeSetup> = {}): SpeculativeSetup {
  return {
    version: 1,
    models: { target: defaultModelRef('shapes-expert'), draft: defaultModelRef('shapes-draft') },
    prompt: 'the picture shows',
    method: { ...METHOD_DEFAULTS.speculative },
    sampling: { greedy: true, temperature: 1, draftTemperature: 1 },
    seed: 0,
    maxTokens: 4,
    ...overrides,
  };
}

function setup(options: { workbench?: SlotModel | null; refuse?: string[] } = {}) {
  const log: string[] = [];
  const loads: string[] = [];
  const created: SpeculativeSessionOptions[] = [];
  const shapeSlots = new Map<ShapesModelName, SlotHost>();
  const slots = {
    workbench: slot(options.workbench ?? null, loads),
    shapes: (name: ShapesModelName) => {
      if (!shapeSlots.has(name)) shapeSlots.set(name, slot(null, loads));
      return shapeSlots.get(name)!;
    },
    shapesFolderUrl: (name: ShapesModelName) => `http://localhost/models/${name}/`,
  };
  const speculative = new SpeculativeHost({
    slots,
    createSession: async (o) => {
      if (options.refuse) throw new SpeculativeSetupError(options.refuse);
      created.push(o);
      return fakeSession(o, log);
    },
  });
  const events: WorkerEvent[] = [];
  const client = new WorkerClient(hostEndpoint((post) => new GpuHost({ checks: [], post, speculative, createGpu: async () => fakeGpu() }))); // prettier-ignore
  client.subscribe((e) => events.push(e));
  const start = (s = speculativeSetup(), paused = false) =>
    client.request({ type: 'startSpeculative', setup: s, paused });
  return { client, log, loads, created, events, start, slots };
}

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 0));
  expect(condition()).toBe(true);
};

describe('SpeculativeHost', () => {
  it('loads the default target and draft, prompts with BOS, streams rounds and ends with the trace', async () => {
    const h = setup();
    await h.client.request({ type: 'init' });
    const ended = await h.start();
    expect(h.loads).toEqual([
      'http://localhost/models/shapes-expert/',
      'http://localhost/models/shapes-draft/',
    ]);
    const [options] = h.created;
    expect(options.prompt).toEqual([2, 11, 16, 17]); // <bos> the picture shows
    expect(options.eosTokenIds).toEqual([3]);
    expect(options.draft?.info.name).toBe('http://localhost/models/shapes-draft/');
    const started = h.events.find((e) => e.type === 'speculativeStarted');
    expect(started).toMatchObject({ promptPieces: ['<bos>', 'the', 'picture', 'shows'], exact: true, draft: { fileHashes: { 'model.safetensors': HASH } } }); // prettier-ignore
    const batches = h.events.flatMap((e) => (e.type === 'speculativeRounds' ? [e] : []));
    expect(batches.flatMap((b) => b.rounds.flatMap((r) => r.emitted))).toEqual([20, 21, 22, 23]);
    expect(batches.flatMap((b) => b.baseline.map((t) => t.id))).toEqual([20, 21, 22, 23]);
    expect(batches.at(-1)).toMatchObject({ speculativeStop: 'max-tokens', speedup: 1.5 });
    const pieces = new Map([...batches.flatMap((b) => b.pieces), ...ended.pieces]);
    expect(pieces.size).toBe(4);
    expect(pieces.get(20)).toBe(tokenizer.decodeToken(20));
    expect(ended).toMatchObject({ type: 'speculativeEnded', status: 'completed', trace: { speculative: { tokens: [20, 21, 22, 23] } } }); // prettier-ignore
    expect(h.log.at(-1)).toBe('dispose');
  });

  it('does not load a draft for model-free drafts, and gives FoReaL the sentence ends', async () => {
    const h = setup();
    await h.client.request({ type: 'init' });
    await h.start(speculativeSetup({ method: { ...METHOD_DEFAULTS['prompt-lookup'] } }));
    expect(h.loads).toEqual(['http://localhost/models/shapes-expert/']);
    expect(h.created[0].draft).toBeNull();
    await h.start(speculativeSetup({ method: { ...METHOD_DEFAULTS.foreal } }));
    expect(h.created[1].sentenceEndTokenIds).toEqual(expect.arrayContaining([5, 7])); // '.' and '?'
    expect(h.events.filter((e) => e.type === 'speculativeStarted').map((e) => e.type === 'speculativeStarted' && e.exact)).toEqual([true, false]); // prettier-ignore
  });

  it('starts paused: a step runs one round and replies once it is out; then resume and stop', async () => {
    const h = setup();
    await h.client.request({ type: 'init' });
    const run = h.start(speculativeSetup({ maxTokens: 100 }), true);
    await until(() => h.events.some((e) => e.type === 'speculativeStarted'));
    expect(h.log).toEqual([]);
    expect(await h.client.request({ type: 'stepSpeculative' })).toMatchObject({ wasPaused: true });
    expect(h.log).toEqual(['step']);
    expect(await h.client.request({ type: 'resumeSpeculative' })).toMatchObject({ wasPaused: true });
    await until(() => h.log.length >= 3);
    expect(await h.client.request({ type: 'pauseSpeculative' })).toMatchObject({ wasRunning: true });
    expect(await h.client.request({ type: 'stopSpeculative' })).toMatchObject({ wasRunning: true });
    const ended = await run;
    expect(ended.status).toBe('stopped');
    expect(ended.trace.speculative.stopReason).toBe('cancelled');
    expect(await h.client.request({ type: 'stepSpeculative' })).toMatchObject({ wasPaused: false });
    expect(await h.client.request({ type: 'stopSpeculative' })).toMatchObject({ wasRunning: false });
  });

  it("refuses before anything runs: pins that differ, no Model tab model, and the engine's own words", async () => {
    const h = setup();
    await h.client.request({ type: 'init' });
    const pinned = speculativeSetup({ models: { target: { ...defaultModelRef('shapes-expert'), sha256: { 'model.safetensors': 'b'.repeat(64) } }, draft: defaultModelRef('shapes-draft') } }); // prettier-ignore
    await expect(h.start(pinned)).rejects.toThrow(/not the one this setup pins: model.safetensors is aaaaaaaaaaaa…, the experiment pins bbbbbbbbbbbb…/); // prettier-ignore
    const hub = speculativeSetup({ models: { target: { source: 'hub', id: 'owner/big', sha256: { 'model.safetensors': HASH } }, draft: defaultModelRef('shapes-draft') } }); // prettier-ignore
    await expect(h.start(hub)).rejects.toThrow('The target model is owner/big, but no model is loaded in the Model tab: load it there first.'); // prettier-ignore
    const unknown = speculativeSetup({ models: { target: defaultModelRef('shapes-giant'), draft: defaultModelRef('shapes-draft') } }); // prettier-ignore
    await expect(h.start(unknown)).rejects.toThrow(/"shapes-giant" is not a default model/);

    const message =
      'the target "a" and the draft "b" come with different tokenizers (tokenizer.json sha256 …)';
    const refusing = setup({ refuse: [message] });
    await refusing.client.request({ type: 'init' });
    await expect(refusing.start()).rejects.toThrow(message); // shown as is: no class name in front
    expect(refusing.events.some((e) => e.type === 'speculativeStarted')).toBe(false);
  });

  it("describes the Model tab's model as a ref: Hub and URL folders, not local files", async () => {
    const hub = setup({ workbench: slotModel('gpt2', { kind: 'hub', repo: 'openai-community/gpt2', revision: ' ' }) }); // prettier-ignore
    await hub.client.request({ type: 'init' });
    expect(await hub.client.request({ type: 'describeWorkbenchModel' })).toMatchObject({ ref: { source: 'hub', id: 'openai-community/gpt2', sha256: { 'model.safetensors': HASH } }, name: 'gpt2', problem: null }); // prettier-ignore
    const files = setup({ workbench: slotModel('mine', { kind: 'files', files: [] }) }).slots;
    expect(describeWorkbench(files)).toMatchObject({ ref: null, name: 'mine', problem: expect.stringContaining('local files, which a link cannot name') }); // prettier-ignore
    expect(describeWorkbench(setup().slots).problem).toBe('No model is loaded in the Model tab.');
  });

  it('encodes prompts for the models: BOS once in front', () => {
    expect(speculativePromptIds(tokenizer, '')).toEqual([2]);
    expect(speculativePromptIds(tokenizer, 'a red star')).toEqual([2, 8, 34, 50]);
    expect(speculativePromptIds(tokenizer, '<bos> a')).toEqual([2, 8]);
  });
});
