// The browser's stores for saved evaluations: IndexedDB through idb-keyval (a long run's JSON, with
// every example and answer, can pass localStorage's ~5 MB quota), and localStorage as the TextStore
// the results of older versions are moved out of (./storage-migration.ts). A refused write (a full
// quota, a closed database) rejects with what was being kept and what to do; it never leaves half a
// result, since setMany is one transaction.
import { createStore, delMany, get, keys, setMany } from 'idb-keyval';
import { memoryEvaluationStorage, textStoreEvaluationStorage, type EvaluationStorage, type TextStore } from './storage'; // prettier-ignore
import { withLegacyMigration } from './storage-migration';

export const EVALUATION_DATABASE = { name: 'logitlab-evaluations', store: 'results' } as const;

const megabytes = (characters: number) => `${(characters / 1e6).toFixed(1)} MB`;

/** Why the browser refused, worded for the banner. */
export function describeStorageFailure(cause: unknown, characters: number | null): string {
  // DOMException (what IndexedDB rejects with) is an Error in browsers, but not in every runtime.
  const named = typeof cause === 'object' && cause !== null && 'name' in cause && 'message' in cause;
  const name = named ? String(cause.name) : '';
  const detail = named ? String(cause.message) : String(cause);
  const size = characters === null ? '' : ` (${megabytes(characters)})`;
  if (name === 'QuotaExceededError')
    return `the browser's storage for this site is full${size}: remove saved results, or export this one as JSON`;
  return `IndexedDB refused${size}: ${name ? `${name}: ` : ''}${detail.slice(0, 160) || 'no reason given'} (a private window may not allow it; export results as JSON to keep them)`; // prettier-ignore
}

/** An IndexedDB object store as a TextStore; failures reject with a worded Error. */
export function indexedDbTextStore(
  database: string = EVALUATION_DATABASE.name,
  objectStore: string = EVALUATION_DATABASE.store,
): TextStore {
  const store = createStore(database, objectStore);
  const worded = (characters: number | null) => (cause: unknown) => {
    throw new Error(describeStorageFailure(cause, characters));
  };
  return {
    async get(key) {
      const value: unknown = await get(key, store).catch(worded(null));
      // Another writer's non-string value reads as text that will not validate: reported, not thrown.
      return value === undefined ? null : typeof value === 'string' ? value : String(value);
    },
    setMany: (entries) =>
      setMany(entries, store).catch(worded(entries.reduce((sum, [, value]) => sum + value.length, 0))),
    deleteMany: (keysToDelete) => delMany(keysToDelete, store).catch(worded(null)),
    keys: async () => (await keys(store).catch(worded(null))).map(String),
  };
}

/** localStorage as a TextStore (only read and emptied: results are written to IndexedDB). */
export function localStorageTextStore(storage: Storage): TextStore {
  return {
    get: async (key) => storage.getItem(key),
    setMany: async (entries) => {
      for (const [key, value] of entries) storage.setItem(key, value);
    },
    deleteMany: async (keysToDelete) => {
      for (const key of keysToDelete) storage.removeItem(key);
    },
    keys: async () =>
      Array.from({ length: storage.length }, (_, i) => storage.key(i)).filter((k): k is string => k !== null),
  };
}

/** An empty TextStore (no localStorage to migrate from). */
const noLegacy: TextStore = {
  get: async () => null,
  setMany: async () => undefined,
  deleteMany: async () => undefined,
  keys: async () => [],
};

function legacyStore(): TextStore {
  try {
    if (typeof localStorage !== 'undefined') return localStorageTextStore(localStorage);
  } catch {
    // localStorage can throw on access (privacy settings): nothing to migrate then.
  }
  return noLegacy;
}

/** IndexedDB with localStorage's results moved in, or memory where there is no IndexedDB (Node). */
export function browserEvaluationStorage(): EvaluationStorage {
  try {
    if (typeof indexedDB === 'undefined') return memoryEvaluationStorage();
  } catch {
    // A sandboxed frame throws on access: results then live for the session.
    return memoryEvaluationStorage();
  }
  return withLegacyMigration(textStoreEvaluationStorage(indexedDbTextStore()), legacyStore());
}
