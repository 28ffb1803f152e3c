// Saved evaluations in the browser's real IndexedDB (idb-keyval) and localStorage, in a database and
// under a key prefix of this test's own: a result larger than localStorage's ~5 MB quota is kept
// and read back equal; result and summary are one transaction; a localStorage result of the old
// format is moved in and removed from localStorage; the database's content survives a new store over
// it (a reload).
import { afterAll, describe, expect, it } from 'vitest';
import { DecodeSession } from '../decoding/lanes/session';
import { defaultLane } from '../share/methods';
import type { EvaluationResult } from './result';
import { serializeEvaluation } from './result-schema';
import { runEvaluation } from './runner';
import { textStoreEvaluationStorage } from './storage';
import { indexedDbTextStore, localStorageTextStore } from './storage-browser';
import { migrateLegacyEvaluations } from './storage-migration';
import { testing } from './testing';

const DATABASE = 'logitlab-evaluations-test';
const LEGACY = 'logitlab-test:evaluation:';

async function tinyResult(): Promise<EvaluationResult> {
  const { harness, config, tokenizer, gpu, clock } = testing(DecodeSession);
  const h = harness();
  return runEvaluation(config({ lanes: [defaultLane('plain', 'yes'), defaultLane('vcd', 'truth')] }), {
    gpu,
    models: { main: h.main },
    tokenizer,
    createSession: h.createSession,
    clock,
  });
}

/** The result with an answer text padded to `characters` of JSON in all. */
function padded(result: EvaluationResult, characters: number): EvaluationResult {
  const big = structuredClone(result);
  big.pope!.answers[0][0].text += 'x'.repeat(characters - serializeEvaluation(result).length);
  return big;
}

afterAll(async () => {
  for (const key of Object.keys(localStorage)) if (key.startsWith(LEGACY)) localStorage.removeItem(key);
  await new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(DATABASE);
    request.onsuccess = request.onerror = request.onblocked = resolve;
  });
});

describe('evaluation storage in IndexedDB', () => {
  it('keeps a result past localStorage quota, lists, loads and removes it across a reload', async () => {
    const result = await tinyResult();
    const large = padded(result, 12_000_000);
    expect(() => localStorage.setItem(`${LEGACY}probe`, serializeEvaluation(large))).toThrow(/quota/i);

    const storage = textStoreEvaluationStorage(indexedDbTextStore(DATABASE, 'results'));
    const saved = await storage.save(large);
    expect(saved.size).toBe(serializeEvaluation(large).length);

    const reloaded = textStoreEvaluationStorage(indexedDbTextStore(DATABASE, 'results'));
    expect(await reloaded.list()).toEqual({ entries: [saved], skipped: [] });
    expect(await reloaded.load(saved.id)).toEqual({ ok: true, result: large });
    await reloaded.remove(saved.id);
    expect(await reloaded.list()).toEqual({ entries: [], skipped: [] });
    expect(await indexedDbTextStore(DATABASE, 'results').keys()).toEqual([]);
  });

  it('moves a result saved in localStorage by the old version into IndexedDB', async () => {
    const result = await tinyResult();
    const legacyKey = `${LEGACY}result:${result.environment.createdAt}-0000abcd`;
    localStorage.setItem(legacyKey, serializeEvaluation(result));
    localStorage.setItem(`${LEGACY}index`, '[]');

    const storage = textStoreEvaluationStorage(indexedDbTextStore(DATABASE, 'results'));
    const report = await migrateLegacyEvaluations(localStorageTextStore(localStorage), storage, LEGACY);
    expect(report).toEqual({ moved: 1, problems: [] });
    expect(Object.keys(localStorage).filter((key) => key.startsWith(LEGACY))).toEqual([]);
    const { entries } = await storage.list();
    expect(entries.map((e) => e.createdAt)).toEqual([result.environment.createdAt]);
    expect(await storage.load(entries[0].id)).toEqual({ ok: true, result });
    await storage.remove(entries[0].id);
  });
});
