// Experiment format versions and the upgrades between them. A link records the format it was made
// in; opening it runs the migrations n → n+1 → ... → CURRENT_FORMAT on the plain JSON, and only then
// validates against today's schema. So an old link keeps working as long as its chain of migrations
// exists, and each migration only has to know two neighbouring formats.
//
// Adding format 2: write `experiment.ts` for it, add MIGRATIONS[1] (1 → 2), bump CURRENT_FORMAT, and
// add a test that decodes a frozen format-1 link.
//
// Format 0 (the pre-release format, never in a release): plain JSON in the hash, `#{...}` (possibly
// percent-encoded) or `#j.<base64url of the UTF-8 JSON>`, with no `version` field (or `version: 0`),
// and the models at the top level instead of under `models`:
//   { "model": ModelRef, "amateur"?: ModelRef, "prompt", "image", "seed", "maxTokens", "lanes" }
// Everything else is as in format 1.

/** The format encodeLink writes and the schema validates. */
export const CURRENT_FORMAT = 1;

type JsonObject = Record<string, unknown>;

export interface Migration {
  /** The format this migration reads; it writes `from + 1`. */
  from: number;
  /** What changed, for the notice the app shows after opening an old link. */
  summary: string;
  /** Returns the upgraded value, or a message saying why this value cannot be upgraded. */
  migrate(value: JsonObject): JsonObject | string;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const MIGRATIONS: Readonly<Record<number, Migration>> = {
  0: {
    from: 0,
    summary:
      'format 0 named the models `model` and `amateur`; format 1 groups them under `models` and adds `version`',
    migrate(value) {
      if ('models' in value) {
        return 'it has both the format 0 field "model" and the format 1 field "models"; it is neither format';
      }
      if (!('model' in value)) return 'it has no "model" (format 0) or "models" (format 1) field';
      const { model, amateur, version: _version, ...rest } = value;
      const models: JsonObject = { main: model };
      if (amateur !== undefined) models.amateur = amateur;
      return { version: 1, models, ...rest };
    },
  },
};

export type MigrationResult = { ok: true; value: unknown } | { ok: false; message: string };

/** Upgrades plain JSON of format `from` to CURRENT_FORMAT; never throws. */
export function migrateToCurrent(value: unknown, from: number): MigrationResult {
  let current = value;
  for (let format = from; format < CURRENT_FORMAT; format++) {
    const migration = MIGRATIONS[format];
    if (!migration)
      return { ok: false, message: `cannot be upgraded: no upgrade from format ${format} exists` };
    if (!isObject(current)) {
      return { ok: false, message: `is ${describeJson(current)}, not a JSON object` };
    }
    const next = migration.migrate(current);
    if (typeof next === 'string') {
      return { ok: false, message: `cannot be upgraded from format ${format}: ${next}` };
    }
    current = next;
  }
  return { ok: true, value: current };
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
