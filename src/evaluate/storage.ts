// Keeping results across page reloads. The view talks to an EvaluationStorage; the browser backs it
// with IndexedDB or localStorage through the four-method TextStore below, and tests with
// MemoryTextStore. Results are stored as their JSON file text (./result-schema.ts), so what is kept
// is exactly what is exported, and a stored result is validated again when it is loaded (a result
// saved by an older app is reported, not trusted). An index of small summaries makes list() cheap.
import { METHODS } from '../share/methods';
import type { EvaluationResult } from './result';
import { parseEvaluation, serializeEvaluation, type EvaluationParse } from './result-schema';

/** What a list of saved evaluations shows without loading them. */
export interface StoredEvaluation {
  id: string;
  createdAt: string;
  /** Main model name. */
  model: string;
  /** "greedy (Plain)", "vcd (VCD)", ... */
  lanes: string[];
  benchmarks: ('pope' | 'chair')[];
  /** Characters of the stored JSON. */
  size: number;
}

export interface EvaluationStorage {
  /** Saved evaluations, newest first. */
  list(): Promise<StoredEvaluation[]>;
  save(result: EvaluationResult): Promise<StoredEvaluation>;
  /** The result, its validation problems, or null when nothing is stored under `id`. */
  load(id: string): Promise<EvaluationParse | null>;
  remove(id: string): Promise<void>;
}

/** A string key-value store (an IndexedDB object store, localStorage, a Map). */
export interface TextStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export class MemoryTextStore implements TextStore {
  readonly entries = new Map<string, string>();
  async get(key: string) {
    return this.entries.get(key) ?? null;
  }
  async set(key: string, value: string) {
    this.entries.set(key, value);
  }
  async delete(key: string) {
    this.entries.delete(key);
  }
}

/** FNV-1a of the text, 8 hex digits: two different results saved in the same millisecond differ. */
function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

function summaryOf(id: string, result: EvaluationResult, size: number): StoredEvaluation {
  return {
    id,
    createdAt: result.environment.createdAt,
    model: result.models.main.name,
    lanes: result.lanes.map(
      ({ lane }) => `${lane.id} (${METHODS[lane.method.method]?.label ?? lane.method.method})`,
    ),
    benchmarks: (['pope', 'chair'] as const).filter((b) => result[b] !== null),
    size,
  };
}

function readIndex(text: string | null): StoredEvaluation[] {
  if (text === null) return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? (value as StoredEvaluation[]) : [];
  } catch {
    // A damaged index loses the list, not the results; saving again rebuilds it.
    return [];
  }
}

/** An EvaluationStorage over `store`, under keys starting with `prefix`. */
export function textStoreEvaluationStorage(
  store: TextStore,
  prefix = 'logitlab:evaluation:',
): EvaluationStorage {
  const indexKey = `${prefix}index`;
  const resultKey = (id: string) => `${prefix}result:${id}`;
  return {
    async list() {
      return readIndex(await store.get(indexKey)).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    },
    async save(result) {
      const text = serializeEvaluation(result);
      const id = `${result.environment.createdAt}-${shortHash(text)}`;
      const summary = summaryOf(id, result, text.length);
      await store.set(resultKey(id), text);
      const index = readIndex(await store.get(indexKey)).filter((entry) => entry.id !== id);
      await store.set(indexKey, JSON.stringify([...index, summary]));
      return summary;
    },
    async load(id) {
      const text = await store.get(resultKey(id));
      return text === null ? null : parseEvaluation(text);
    },
    async remove(id) {
      await store.delete(resultKey(id));
      const index = readIndex(await store.get(indexKey));
      await store.set(indexKey, JSON.stringify(index.filter((entry) => entry.id !== id)));
    },
  };
}

/** In-memory storage (tests, and a page without browser storage). */
export function memoryEvaluationStorage(): EvaluationStorage {
  return textStoreEvaluationStorage(new MemoryTextStore());
}
