// Moving results saved by the localStorage version of the app (keys `logitlab:evaluation:result:<id>`
// beside an index under `logitlab:evaluation:index`) into the current storage. Each result is
// validated, saved in the target, and only then removed from the old store, so a failure (a full
// quota, IndexedDB refusing) loses nothing: the rest stays where it was and the next load tries
// again. A result that does not validate is not moved and stays in the old store, reported by name.
// Once every result has moved, the old index goes too; later loads find nothing to do.
import { parseEvaluation } from './result-schema';
import type { EvaluationStorage, TextStore } from './storage';

export const LEGACY_PREFIX = 'logitlab:evaluation:';

export interface MigrationReport {
  moved: number;
  /** One line per result left behind, and why. */
  problems: string[];
}

const messageOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause));

/** Moves every readable legacy result from `legacy` into `target`; never throws. */
export async function migrateLegacyEvaluations(
  legacy: TextStore,
  target: EvaluationStorage,
  prefix = LEGACY_PREFIX,
): Promise<MigrationReport> {
  const report: MigrationReport = { moved: 0, problems: [] };
  let keys: string[];
  try {
    keys = (await legacy.keys()).filter((key) => key.startsWith(`${prefix}result:`));
  } catch (cause) {
    report.problems.push(`results saved in localStorage could not be read: ${messageOf(cause)}`);
    return report;
  }
  let unreadable = 0;
  for (const key of keys) {
    try {
      const text = await legacy.get(key);
      if (text === null) continue;
      const parsed = parseEvaluation(text);
      if (!parsed.ok) {
        unreadable++;
        report.problems.push(
          `the result saved in localStorage under ${key} cannot be read (${parsed.issues[0]}); it was left there`,
        );
        continue;
      }
      await target.save(parsed.result);
      await legacy.deleteMany([key]);
      report.moved++;
    } catch (cause) {
      report.problems.push(
        `moving ${key} from localStorage to IndexedDB failed (${messageOf(cause)}); it stays in localStorage and the next load tries again`,
      );
      // The target is likely full or closed: the other results would fail alike.
      return report;
    }
  }
  if (unreadable === 0) {
    try {
      await legacy.deleteMany([`${prefix}index`]);
    } catch {
      // An index left behind lists nothing and is retried next load.
    }
  }
  return report;
}

/**
 * `target`, with the legacy results moved into it before its first use. list() reports what could
 * not be moved among its skipped entries (every list of the session: it is still true).
 */
export function withLegacyMigration(target: EvaluationStorage, legacy: TextStore): EvaluationStorage {
  let migration: Promise<MigrationReport> | null = null;
  const migrated = () => (migration ??= migrateLegacyEvaluations(legacy, target));
  return {
    async list() {
      const { problems } = await migrated();
      const listed = await target.list();
      return { entries: listed.entries, skipped: [...problems, ...listed.skipped] };
    },
    async save(result) {
      await migrated();
      return target.save(result);
    },
    async load(id) {
      await migrated();
      return target.load(id);
    },
    async remove(id) {
      await migrated();
      return target.remove(id);
    },
  };
}
