// The share-link codec: an Experiment in the URL hash, and back.
//
// Link format (the part after '#'):
//   x<N>.<base64url(deflateRaw(canonical JSON))>       N = experiment format (today 1)
// - `x<N>.` names the format, so a link from an older app is upgraded (migrations.ts) and a link from
//   a newer app is recognised and refused with "update the app" instead of a confusing schema error.
// - The JSON is canonical (keys sorted at every level), and DEFLATE is deterministic, so the same
//   experiment always gives the same link: links can be compared and deduplicated as strings.
// - Raw DEFLATE has no checksum; damage is caught by strict base64url, the inflater, UTF-8, JSON
//   and finally the schema. A damaged link therefore either fails with a message or (rarely) decodes
//   to a different but fully valid experiment; it never yields an invalid one.
// Format 0 (pre-release, plain JSON) is still read: see migrations.ts.
//
// Limits: the link text is at most MAX_LINK_CHARS, and inflation stops at MAX_INFLATED_BYTES, so a
// hostile link costs a bounded amount of memory and time (a zip bomb is cut off, not expanded).
import { deflateSync } from 'fflate';
import type { Experiment } from './experiment';
import {
  canonicalJson,
  decodeBase64Url,
  decodeUtf8,
  encodeBase64Url,
  encodeUtf8,
  inflateBounded,
} from './bytes';
import { describeValue } from './issues';
import { CURRENT_FORMAT, migrateToCurrent } from './migrations';
import { formatNumber } from './parameters';
import { validateExperiment } from './schema';

export const MAX_LINK_CHARS = 65_536;
export const MAX_INFLATED_BYTES = 262_144;

export type ShareLinkErrorCode =
  | 'empty'
  | 'too-long'
  | 'not-logitlab'
  | 'newer-version'
  | 'unknown-version'
  | 'corrupted'
  | 'too-large'
  | 'invalid-json'
  | 'invalid-experiment'
  /** A bug in the codec: something threw that should have been handled. Never expected. */
  | 'internal';

export interface ShareLinkError {
  code: ShareLinkErrorCode;
  /** One or two sentences for the user: what is wrong and what to do. */
  message: string;
  /** For 'invalid-experiment': one line per schema problem ("lanes[1].method.alpha: ..."). */
  details: string[];
}

export type DecodeLinkResult =
  { ok: true; experiment: Experiment; migratedFrom?: number } | { ok: false; error: ShareLinkError };

/** Thrown by encodeLink for an experiment that would make an unopenable link (a bug in the caller). */
export class ExperimentEncodeError extends Error {
  constructor(readonly issues: string[]) {
    super(`cannot share an invalid experiment:\n${issues.join('\n')}`);
    this.name = 'ExperimentEncodeError';
  }
}

/** The Decode tab's route prefix in the app's links: `#decode/<payload>`. */
export const DECODE_ROUTE = 'decode/';

/** The hash for `experiment`, without '#'. Throws ExperimentEncodeError if it does not validate. */
export function encodeLink(experiment: Experiment): string {
  const validation = validateExperiment(experiment);
  if (!validation.ok) throw new ExperimentEncodeError(validation.issues);
  const json = canonicalJson(validation.experiment);
  const link = `x${CURRENT_FORMAT}.${encodeBase64Url(deflateSync(encodeUtf8(json), { level: 9 }))}`;
  if (link.length > MAX_LINK_CHARS) {
    throw new ExperimentEncodeError([
      `the link would be ${link.length} characters; at most ${MAX_LINK_CHARS} open`,
    ]);
  }
  return link;
}

/** A full shareable URL that opens the Decode tab: `base` (any hash dropped) + '#decode/' + the link. */
export function shareUrl(experiment: Experiment, base: string): string {
  const hashAt = base.indexOf('#');
  return `${hashAt >= 0 ? base.slice(0, hashAt) : base}#${DECODE_ROUTE}${encodeLink(experiment)}`;
}

function failure(code: ShareLinkErrorCode, message: string, details: string[] = []): DecodeLinkResult {
  return { ok: false, error: { code, message, details } };
}

const VERSIONED = /^x(\d+)\.([\s\S]*)$/;

/**
 * Reads an experiment from a full URL, a '#...' hash or the bare payload. Never throws: every
 * problem comes back as a ShareLinkError with a message for the user.
 */
export function decodeLink(hashOrUrl: string): DecodeLinkResult {
  try {
    return decodeUnchecked(hashOrUrl);
  } catch (error) {
    return failure(
      'internal',
      `LogitLab failed to read this link (${String(error).slice(0, 200)}); please report it`,
    );
  }
}

function decodeUnchecked(input: unknown): DecodeLinkResult {
  if (typeof input !== 'string') return failure('not-logitlab', `a link must be text, not ${typeof input}`);
  if (input.length > MAX_LINK_CHARS) {
    return failure(
      'too-long',
      `the link is ${input.length} characters long; LogitLab links are at most ${MAX_LINK_CHARS}. Was it pasted twice, or is it another site's link?`,
    );
  }
  const text = input.trim();
  const hashAt = text.indexOf('#');
  if (hashAt < 0 && /^[a-z][a-z0-9+.-]*:/i.test(text)) {
    return failure('not-logitlab', 'the address has no "#..." part, so it carries no experiment');
  }
  const hash = hashAt >= 0 ? text.slice(hashAt + 1) : text;
  // The app's own links open the Decode tab: `#decode/<payload>` (src/ui/decode/hashRoute.ts).
  const payload = hash.startsWith(DECODE_ROUTE) ? hash.slice(DECODE_ROUTE.length) : hash;
  if (payload === '') return failure('empty', 'the link has nothing after "#": there is no experiment in it');

  const versioned = VERSIONED.exec(payload);
  if (versioned) return decodeVersioned(versioned[1], versioned[2]);
  if (/^x\d+$/.test(payload)) {
    return failure(
      'corrupted',
      `the link ends right after its format tag "${payload}": it was cut when copied`,
    );
  }
  if (payload.startsWith('{') || /^%7b/i.test(payload)) return decodePlainJson(payload);
  if (payload.startsWith('j.')) {
    const bytes = decodeBase64Url(payload.slice(2));
    if (!bytes.ok) return failure('corrupted', `the link is damaged: ${bytes.message}`);
    const json = decodeUtf8(bytes.value);
    if (!json.ok) return failure('corrupted', `the link is damaged: ${json.message}`);
    return fromJsonText(json.value, null);
  }
  const shown = payload.length > 24 ? `${payload.slice(0, 21)}...` : payload;
  return failure(
    'not-logitlab',
    `"#${shown}" is not a LogitLab experiment link: those start with "#x${CURRENT_FORMAT}."`,
  );
}

function decodeVersioned(digits: string, body: string): DecodeLinkResult {
  const format = Number(digits);
  if (format > CURRENT_FORMAT) {
    return failure(
      'newer-version',
      `this link was made by a newer LogitLab (format x${digits.length > 12 ? `${digits.slice(0, 12)}...` : digits}); update the app to open it`,
    );
  }
  if (format < 1 || digits !== String(format)) {
    return failure(
      'unknown-version',
      `"x${digits}." is not a LogitLab link format (formats are x1 to x${CURRENT_FORMAT})`,
    );
  }
  const bytes = decodeBase64Url(body);
  if (!bytes.ok)
    return failure('corrupted', `the link is damaged: ${bytes.message}. Copy the whole link again.`);
  const inflated = inflateBounded(bytes.value, MAX_INFLATED_BYTES);
  if (!inflated.ok) {
    return inflated.tooLarge
      ? failure(
          'too-large',
          `the link's content ${inflated.message}; real experiments are far smaller, so the link is damaged or malicious`,
        )
      : failure('corrupted', `the link is damaged: ${inflated.message}. Copy the whole link again.`);
  }
  const json = decodeUtf8(inflated.value);
  if (!json.ok)
    return failure('corrupted', `the link is damaged: ${json.message}. Copy the whole link again.`);
  return fromJsonText(json.value, format);
}

/** `#{...}` as typed, or percent-encoded by a browser or chat app (`#%7B%22version%22...`). */
function decodePlainJson(payload: string): DecodeLinkResult {
  if (payload.startsWith('{') && isJson(payload)) return fromJsonText(payload, null);
  let decoded: string;
  try {
    decoded = decodeURIComponent(payload);
  } catch {
    // Not percent-encoded after all: report the JSON error of the text as it is.
    if (payload.startsWith('{')) return fromJsonText(payload, null);
    return failure('corrupted', 'the link is damaged: its percent-escapes ("%..") are broken');
  }
  return fromJsonText(decoded, null);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** `linkFormat` is the x<N> tag, or null for plain JSON (format = its `version` field, else 0). */
function fromJsonText(text: string, linkFormat: number | null): DecodeLinkResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 160) : 'unreadable';
    return failure(
      'invalid-json',
      `the link's content is not valid JSON (${reason}); it was damaged or edited by hand`,
    );
  }
  const declared =
    typeof value === 'object' && value !== null ? (value as { version?: unknown }).version : undefined;
  let format = linkFormat ?? 0;
  if (linkFormat === null && declared !== undefined) {
    if (typeof declared !== 'number' || !Number.isInteger(declared) || declared < 0) {
      return failure(
        'invalid-experiment',
        `the link's "version" is ${describeValue(declared)}; it must be a whole number`,
      );
    }
    if (declared > CURRENT_FORMAT) {
      return failure(
        'newer-version',
        `this link was made by a newer LogitLab (format x${formatNumber(declared)}); update the app to open it`,
      );
    }
    format = declared;
  } else if (linkFormat !== null && declared !== undefined && declared !== linkFormat) {
    return failure(
      'corrupted',
      `the link says format x${linkFormat} but its content says version ${describeValue(declared)}: it was edited`,
    );
  }
  const migrated = migrateToCurrent(value, format);
  if (!migrated.ok) return failure('invalid-experiment', `the link's experiment ${migrated.message}`);
  const validation = validateExperiment(migrated.value);
  if (!validation.ok) {
    const upgraded = format < CURRENT_FORMAT ? ` (after upgrading it from format ${format})` : '';
    const more = validation.issues.length > 1 ? ` (and ${validation.issues.length - 1} more)` : '';
    return failure(
      'invalid-experiment',
      `the link's experiment is not valid${upgraded}: ${validation.issues[0]}${more}`,
      validation.issues,
    );
  }
  return format < CURRENT_FORMAT
    ? { ok: true, experiment: validation.experiment, migratedFrom: format }
    : { ok: true, experiment: validation.experiment };
}
