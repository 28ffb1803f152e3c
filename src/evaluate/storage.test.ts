// Saved evaluations over an injected TextStore (no IndexedDB in Node): save, list newest first,
// load validated, remove; a damaged summary is left out of the list and named; a refused write
// (a full quota) keeps every result saved before it; the one-time move out of localStorage moves
// readable results, leaves unreadable ones in place, and stops without loss when the target refuses;
// the evaluate slice turns each of these into a banner message instead of a throw.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createStore } from 'zustand/vanilla';
import { defaultLane } from '../share/methods';
import type { AppState, StoreDeps } from '../store/types';
import type { EvaluationResult } from './result';
import { serializeEvaluation } from './result-schema';
import { memoryEvaluationStorage, MemoryTextStore, modelDisplayName, textStoreEvaluationStorage } from './storage'; // prettier-ignore
import { describeStorageFailure, localStorageTextStore } from './storage-browser';
import { LEGACY_PREFIX, migrateLegacyEvaluations, withLegacyMigration } from './storage-migration';
import { testing } from './testing';

vi.hoisted(() => {
  Object.assign(globalThis, {
    GPUBufferUsage: { MAP_READ: 1, MAP_WRITE: 2, COPY_SRC: 4, COPY_DST: 8, INDEX: 16, VERTEX: 32, UNIFORM: 64, STORAGE: 128 }, // prettier-ignore
    GPUMapMode: { READ: 1, WRITE: 2 },
  });
});
const { DecodeSession } = await import('../decoding/lanes/session');
const { runEvaluation } = await import('./runner');
const { createEvaluateSlice } = await import('../store/evaluateSlice');
const { harness, config, tokenizer, gpu, clock } = testing(DecodeSession);

const MODEL_URL = 'http://127.0.0.1:4173/models/shapes-vlm/';
let result: EvaluationResult;
beforeAll(async () => {
  const h = harness();
  // As the worker loads a default model: by its folder URL, which becomes the model's name.
  h.main.info.name = MODEL_URL;
  const lanes = [defaultLane('plain', 'yes'), defaultLane('vcd', 'truth')];
  result = await runEvaluation(config({ lanes }), {
    gpu,
    models: { main: h.main },
    tokenizer,
    createSession: h.createSession,
    clock,
  });
});

/** The result as saved at another time (another id). */
const savedAt = (createdAt: string): EvaluationResult => ({
  ...structuredClone(result),
  environment: { ...result.environment, createdAt },
});

/** A MemoryTextStore whose writes fail as a full IndexedDB does once `limit` characters are kept. */
class QuotaTextStore extends MemoryTextStore {
  constructor(readonly limit: number) {
    super();
  }
  override async setMany(entries: [string, string][]) {
    const kept = [...this.entries.values()].reduce((sum, v) => sum + v.length, 0);
    const adding = entries.reduce((sum, [, v]) => sum + v.length, 0);
    if (kept + adding > this.limit)
      throw new Error(describeStorageFailure(new DOMException('quota', 'QuotaExceededError'), adding));
    await super.setMany(entries);
  }
}

/** A Storage over a Map, as localStorage is. */
function fakeLocalStorage(entries: Record<string, string>): Storage {
  const map = new Map(Object.entries(entries));
  return {
    get length() {
      return map.size;
    },
    key: (i: number) => [...map.keys()][i] ?? null,
    getItem: (key: string) => map.get(key) ?? null,
    setItem: (key: string, value: string) => void map.set(key, value),
    removeItem: (key: string) => void map.delete(key),
    clear: () => map.clear(),
  };
}

describe('evaluation storage', () => {
  it('saves, lists newest first with the model name, loads validated results and removes them', async () => {
    const store = new MemoryTextStore();
    const storage = textStoreEvaluationStorage(store);
    const a = await storage.save(savedAt('2020-01-01T00:00:00.000Z'));
    const b = await storage.save(result);
    expect(a.id).not.toBe(b.id);
    expect(await storage.list()).toEqual({ entries: [b, a], skipped: [] });
    expect(b).toMatchObject({
      model: 'shapes-vlm',
      modelSource: MODEL_URL,
      lanes: ['yes (Plain)', 'truth (VCD)'],
      benchmarks: ['pope', 'chair'],
      size: serializeEvaluation(result).length,
    });
    expect(await storage.load(b.id)).toEqual({ ok: true, result });
    expect(await storage.load('missing')).toBeNull();
    // A stored file that no longer validates is reported, not trusted.
    await store.setMany([[`result:${a.id}`, '{"kind":"logitlab-evaluation"}']]);
    expect((await storage.load(a.id))?.ok).toBe(false);
    await storage.remove(a.id);
    expect((await storage.list()).entries.map((s) => s.id)).toEqual([b.id]);
    expect(await storage.load(a.id)).toBeNull();
    expect([...store.entries.keys()].sort()).toEqual([`result:${b.id}`, `summary:${b.id}`]);
    expect(await memoryEvaluationStorage().list()).toEqual({ entries: [], skipped: [] });
  });

  it('leaves damaged summaries out of the list, each named with what is wrong', async () => {
    const store = new MemoryTextStore();
    const storage = textStoreEvaluationStorage(store);
    const good = await storage.save(result);
    await store.setMany([
      ['summary:torn', '{"id":"torn","created'],
      ['summary:edited', JSON.stringify({ ...good, id: 'edited', size: -1 })],
      ['summary:moved', JSON.stringify(good)],
    ]);
    const { entries, skipped } = await storage.list();
    expect(entries).toEqual([good]);
    expect(skipped.sort()).toEqual([
      'saved result edited: summary.size: -1 is below the minimum 0',
      `saved result moved: its summary names another id (${good.id})`,
      'saved result torn: its summary is not JSON ("{\\"id\\":\\"torn\\",\\"created")',
    ]);
  });

  it('keeps every saved result when a write is refused for quota, and says what to do', async () => {
    const text = serializeEvaluation(result);
    const store = new QuotaTextStore(2.5 * text.length);
    const storage = textStoreEvaluationStorage(store);
    const first = await storage.save(savedAt('2020-01-01T00:00:00.000Z'));
    const second = await storage.save(savedAt('2020-01-02T00:00:00.000Z'));
    await expect(storage.save(result)).rejects.toThrow(
      /^the browser's storage for this site is full \(\d+\.\d MB\): remove saved results, or export this one as JSON$/,
    );
    expect((await storage.list()).entries.map((e) => e.id)).toEqual([second.id, first.id]);
    expect((await storage.load(first.id))?.ok).toBe(true);
    // Nothing half-written: no result without its summary.
    expect(store.entries.size).toBe(4);
  });
});

describe('storage failures, worded', () => {
  it('names a full quota, and any other refusal with its name and reason', () => {
    expect(describeStorageFailure(new DOMException('x', 'QuotaExceededError'), 12_345_678)).toBe(
      "the browser's storage for this site is full (12.3 MB): remove saved results, or export this one as JSON",
    );
    expect(
      describeStorageFailure(
        new DOMException('The database connection is closing.', 'InvalidStateError'),
        null,
      ),
    ).toBe(
      // prettier-ignore
      'IndexedDB refused: InvalidStateError: The database connection is closing. (a private window may not allow it; export results as JSON to keep them)', // prettier-ignore
    );
    expect(describeStorageFailure('blocked', null)).toMatch(/^IndexedDB refused: blocked \(/);
  });
});

describe('the move out of localStorage', () => {
  const legacyKey = (id: string) => `${LEGACY_PREFIX}result:${id}`;

  it('moves readable results, leaves an unreadable one in place and names it', async () => {
    const older = savedAt('2020-01-01T00:00:00.000Z');
    const local = fakeLocalStorage({
      [legacyKey('a')]: serializeEvaluation(older),
      [legacyKey('b')]: serializeEvaluation(result),
      [legacyKey('bad')]: '{"kind":"logitlab-evaluation"',
      [`${LEGACY_PREFIX}index`]: '[]',
      'another-app': 'kept',
    });
    const target = memoryEvaluationStorage();
    const report = await migrateLegacyEvaluations(localStorageTextStore(local), target);
    expect(report.moved).toBe(2);
    expect(report.problems).toEqual([
      expect.stringMatching(
        /^the result saved in localStorage under logitlab:evaluation:result:bad cannot be read \(the file is not valid JSON .*\); it was left there$/,
      ),
    ]);
    const { entries } = await target.list();
    expect(entries.map((e) => e.createdAt)).toEqual([result.environment.createdAt, older.environment.createdAt]); // prettier-ignore
    expect(await target.load(entries[0].id)).toEqual({ ok: true, result });
    // The moved results left localStorage; the unreadable one, its index and other apps' keys stay.
    expect(Array.from({ length: local.length }, (_, i) => local.key(i)).sort()).toEqual([
      'another-app',
      `${LEGACY_PREFIX}index`,
      legacyKey('bad'),
    ]);
  });

  it('stops without losing anything when the target refuses, and finishes on the next load', async () => {
    const text = serializeEvaluation(result);
    const local = fakeLocalStorage({
      [legacyKey('a')]: serializeEvaluation(savedAt('2020-01-01T00:00:00.000Z')),
      [legacyKey('b')]: text,
      [`${LEGACY_PREFIX}index`]: '[]',
    });
    const full = new QuotaTextStore(1.5 * text.length);
    const first = await migrateLegacyEvaluations(localStorageTextStore(local), textStoreEvaluationStorage(full)); // prettier-ignore
    expect(first.moved).toBe(1);
    expect(first.problems).toEqual([
      expect.stringMatching(
        /^moving logitlab:evaluation:result:b from localStorage to IndexedDB failed \(the browser's storage for this site is full .*\); it stays in localStorage and the next load tries again$/,
      ),
    ]);
    expect(local.getItem(legacyKey('b'))).toBe(text);
    expect(local.length).toBe(2); // b and the index

    // Room again (a result was removed): the next load moves the rest and drops the index.
    const roomy = new MemoryTextStore();
    await roomy.setMany([...full.entries]);
    const storage = withLegacyMigration(textStoreEvaluationStorage(roomy), localStorageTextStore(local));
    const listed = await storage.list();
    expect(listed.skipped).toEqual([]);
    expect(listed.entries).toHaveLength(2);
    expect(local.length).toBe(0);
  });
});

describe('model names', () => {
  it('are short: a default folder, a hub repo at its revision, a URL folder', () => {
    expect(modelDisplayName({ source: 'default', id: 'shapes-vlm', sha256: {} })).toBe('shapes-vlm');
    expect(modelDisplayName({ source: 'hub', id: 'org/tiny', revision: 'main', sha256: {} })).toBe('org/tiny@main'); // prettier-ignore
    expect(modelDisplayName({ source: 'url', id: 'https://host/a/my-model/', sha256: {} })).toBe('my-model');
    expect(modelDisplayName({ source: 'url', id: 'not a url', sha256: {} })).toBe('not a url');
  });
});

describe('the evaluate slice over failing storage', () => {
  function app(storage: ReturnType<typeof textStoreEvaluationStorage>) {
    const deps = { hasWebGpu: () => true, client: () => { throw new Error('no worker in this test'); }, modelFolderUrl: (n: string) => `http://m/${n}/`, now: () => 0 } as StoreDeps; // prettier-ignore
    type State = AppState;
    const store = createStore<State>()((...a) => createEvaluateSlice(deps, storage)(...a) as State);
    return { store, evaluate: () => store.getState().evaluate };
  }

  it('shows an imported result that cannot be saved, keeps the saved list, and names damaged entries', async () => {
    const text = serializeEvaluation(result);
    const quota = new QuotaTextStore(1.5 * text.length);
    const storage = textStoreEvaluationStorage(quota);
    const kept = await storage.save(savedAt('2020-01-01T00:00:00.000Z'));
    quota.entries.set('summary:torn', 'not json');
    const { store, evaluate } = app(storage);

    await store.getState().refreshSavedEvaluations();
    expect(evaluate().saved.map((e) => e.id)).toEqual([kept.id]);
    expect(evaluate().error).toBe(
      'Some saved results were left out: saved result torn: its summary is not JSON ("not json").',
    );

    await store.getState().importEvaluation(text);
    expect(evaluate().result).toEqual(result);
    expect(evaluate().resultId).toBeNull();
    expect(evaluate().error).toMatch(
      /^The result is shown but was not saved: the browser's storage for this site is full \(\d+\.\d MB\): remove saved results, or export this one as JSON$/,
    );
    expect(evaluate().saved.map((e) => e.id)).toEqual([kept.id]);
  });

  it('turns a store that throws on every call into messages, not rejections', async () => {
    const broken = new MemoryTextStore();
    const refuse = async () => {
      throw new Error(describeStorageFailure(new DOMException('closed', 'InvalidStateError'), null));
    };
    Object.assign(broken, { get: refuse, keys: refuse, deleteMany: refuse });
    const { store, evaluate } = app(textStoreEvaluationStorage(broken));
    await expect(store.getState().refreshSavedEvaluations()).resolves.toBeUndefined();
    expect(evaluate().error).toMatch(/^Saved results cannot be listed: IndexedDB refused: InvalidStateError: closed/); // prettier-ignore
    await expect(store.getState().openSavedEvaluation('x')).resolves.toBeUndefined();
    expect(evaluate().error).toMatch(/^The saved evaluation x cannot be opened: IndexedDB refused/);
    await expect(store.getState().removeSavedEvaluation('x')).resolves.toBeUndefined();
    expect(evaluate().error).toMatch(/^The saved evaluation x was not removed: IndexedDB refused/);
  });
});
