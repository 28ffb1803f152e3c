// Keeping results across page reloads. The view talks to an EvaluationStorage; the browser backs it
// with IndexedDB (./storage-browser.ts) through the four-method TextStore below, and tests with
// MemoryTextStore. A result is stored as its JSON file text (./result-schema.ts), so what is kept is
// exactly what is exported, and it is validated again when it is loaded (a result saved by an older
// app is reported, not trusted). Beside each result lies its small summary, so list() reads no
// result; a summary that does not validate is left out of the list and reported, never thrown.
// Result and summary are written in one setMany (one IndexedDB transaction): both or neither.
import { z } from 'zod';
import { formatIssues } from '../share/issues';
import type { ModelRef } from '../share/experiment';
import { METHODS } from '../share/methods';
import type { EvaluationResult } from './result';
import { parseEvaluation, serializeEvaluation, type EvaluationParse } from './result-schema';

/** What a list of saved evaluations shows without loading them. */
export interface StoredEvaluation {
  id: string;
  createdAt: string;
  /** The main model's name: a default model's folder, a hub repo id, a URL's last folder. */
  model: string;
  /** Where the main model was loaded from (its folder URL, or the hub repo and revision). */
  modelSource: string;
  /** "greedy (Plain)", "vcd (VCD)", ... */
  lanes: string[];
  benchmarks: ('pope' | 'chair')[];
  /** Characters of the stored JSON. */
  size: number;
}

/** The saved evaluations, and one line per stored entry that could not be read (left out). */
export interface SavedEvaluations {
  /** Newest first. */
  entries: StoredEvaluation[];
  skipped: string[];
}

export interface EvaluationStorage {
  list(): Promise<SavedEvaluations>;
  save(result: EvaluationResult): Promise<StoredEvaluation>;
  /** The result, its validation problems, or null when nothing is stored under `id`. */
  load(id: string): Promise<EvaluationParse | null>;
  remove(id: string): Promise<void>;
}

/** A string key-value store (an IndexedDB object store, localStorage, a Map). */
export interface TextStore {
  get(key: string): Promise<string | null>;
  /** Writes every entry or, when it fails, none (IndexedDB: one transaction). */
  setMany(entries: [key: string, value: string][]): Promise<void>;
  deleteMany(keys: string[]): Promise<void>;
  keys(): Promise<string[]>;
}

export class MemoryTextStore implements TextStore {
  readonly entries = new Map<string, string>();
  async get(key: string) {
    return this.entries.get(key) ?? null;
  }
  async setMany(entries: [string, string][]) {
    for (const [key, value] of entries) this.entries.set(key, value);
  }
  async deleteMany(keys: string[]) {
    for (const key of keys) this.entries.delete(key);
  }
  async keys() {
    return [...this.entries.keys()];
  }
}

const storedEvaluationSchema = z.strictObject({
  id: z.string().min(1),
  createdAt: z.string(),
  model: z.string(),
  modelSource: z.string(),
  lanes: z.array(z.string()),
  benchmarks: z.array(z.enum(['pope', 'chair'])),
  size: z.number().int().min(0),
});

/** FNV-1a of the text, 8 hex digits: two different results saved in the same millisecond differ. */
function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/** A model's short name: "shapes-vlm", "owner/repo@rev", the last folder of a URL. */
export function modelDisplayName(ref: ModelRef): string {
  if (ref.source === 'default') return ref.id;
  if (ref.source === 'hub') return `${ref.id}${ref.revision ? `@${ref.revision}` : ''}`;
  try {
    const folder = new URL(ref.id).pathname.split('/').filter((part) => part !== '');
    return folder.at(-1) ?? ref.id;
  } catch {
    return ref.id;
  }
}

function summaryOf(id: string, result: EvaluationResult, size: number): StoredEvaluation {
  return {
    id,
    createdAt: result.environment.createdAt,
    model: modelDisplayName(result.config.models.main),
    modelSource: result.models.main.name,
    lanes: result.lanes.map(
      ({ lane }) => `${lane.id} (${METHODS[lane.method.method]?.label ?? lane.method.method})`,
    ),
    benchmarks: (['pope', 'chair'] as const).filter((b) => result[b] !== null),
    size,
  };
}

/** A stored summary, or why it cannot be read. */
function readSummary(id: string, text: string | null): StoredEvaluation | string {
  if (text === null) return `saved result ${id}: its summary vanished while listing`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `saved result ${id}: its summary is not JSON (${describeText(text)})`;
  }
  const parsed = storedEvaluationSchema.safeParse(value, { reportInput: true });
  if (!parsed.success) return `saved result ${id}: ${formatIssues(parsed.error, { root: 'summary' })[0]}`;
  if (parsed.data.id !== id) return `saved result ${id}: its summary names another id (${parsed.data.id})`;
  return parsed.data;
}

const describeText = (text: string) =>
  text.length > 40 ? `${JSON.stringify(text.slice(0, 40))}… ${text.length} characters` : JSON.stringify(text); // prettier-ignore

/** An EvaluationStorage over `store`, under keys `<prefix>result:<id>` and `<prefix>summary:<id>`. */
export function textStoreEvaluationStorage(store: TextStore, prefix = ''): EvaluationStorage {
  const resultKey = (id: string) => `${prefix}result:${id}`;
  const summaryPrefix = `${prefix}summary:`;
  const summaryKey = (id: string) => `${summaryPrefix}${id}`;
  return {
    async list() {
      const ids = (await store.keys())
        .filter((key) => key.startsWith(summaryPrefix))
        .map((key) => key.slice(summaryPrefix.length));
      const read = await Promise.all(ids.map(async (id) => readSummary(id, await store.get(summaryKey(id)))));
      const entries = read.filter((entry): entry is StoredEvaluation => typeof entry !== 'string');
      return {
        entries: entries.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id)),
        skipped: read.filter((entry): entry is string => typeof entry === 'string'),
      };
    },
    async save(result) {
      const text = serializeEvaluation(result);
      const id = `${result.environment.createdAt}-${shortHash(text)}`;
      const summary = summaryOf(id, result, text.length);
      await store.setMany([
        [resultKey(id), text],
        [summaryKey(id), JSON.stringify(summary)],
      ]);
      return summary;
    },
    async load(id) {
      const text = await store.get(resultKey(id));
      return text === null ? null : parseEvaluation(text);
    },
    async remove(id) {
      await store.deleteMany([summaryKey(id), resultKey(id)]);
    },
  };
}

/** In-memory storage (tests, and a page without browser storage). */
export function memoryEvaluationStorage(): EvaluationStorage {
  return textStoreEvaluationStorage(new MemoryTextStore());
}
