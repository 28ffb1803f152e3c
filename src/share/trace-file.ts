// Trace files: a Decode run as pretty JSON, and back.
//
// File format:
//   { "format": "logitlab-trace", "version": 1, "trace": <Trace> }
// - Objects are indented by two spaces; arrays of plain values (token ids, [id, probability] pairs)
//   stay on one line, so a 500-token trace stays readable and a few MB small.
// - Numbers round-trip exactly: finite numbers as JSON numbers (JavaScript prints the shortest text
//   that parses back to the same double; -0 is written as -0), and the values JSON cannot hold as the
//   strings "Infinity", "-Infinity" and "NaN". Import accepts those strings only where the schema
//   has a measurement (trace-schema.ts), so "NaN" as a token id or a count is still refused.
// - Limits: MAX_TRACE_FILE_CHARS on both sides (export refuses to write a file import would refuse).
import type { Trace } from './trace';
import { describeValue, formatIssues } from './issues';
import { traceSchema } from './trace-schema';

export const TRACE_FILE_FORMAT = 'logitlab-trace';
export const TRACE_FILE_VERSION = 1;
/** 32 Mi characters: 6 lanes of 512 tokens with 16 components each fit with room to spare. */
export const MAX_TRACE_FILE_CHARS = 32 * 1024 * 1024;

export type TraceFileErrorCode =
  | 'too-large'
  | 'invalid-json'
  | 'not-a-trace'
  | 'newer-version'
  | 'unknown-version'
  | 'invalid-trace'
  /** A bug in the importer: something threw that should have been handled. Never expected. */
  | 'internal';

export interface TraceFileError {
  code: TraceFileErrorCode;
  message: string;
  /** For 'invalid-trace': one line per schema problem ("lanes[0].tokens[3].entropy: ..."). */
  details: string[];
}

export type ImportTraceResult = { ok: true; trace: Trace } | { ok: false; error: TraceFileError };

/** Thrown by exportTrace for a trace that import would refuse (a bug in whoever built the trace). */
export class TraceExportError extends Error {
  constructor(readonly issues: string[]) {
    super(`cannot export an invalid trace:\n${issues.join('\n')}`);
    this.name = 'TraceExportError';
  }
}

function numberText(value: number): string {
  if (Number.isNaN(value)) return '"NaN"';
  if (value === Infinity) return '"Infinity"';
  if (value === -Infinity) return '"-Infinity"';
  return Object.is(value, -0) ? '-0' : String(value);
}

function isPlain(value: unknown): boolean {
  return value === null || typeof value !== 'object';
}

/** Arrays of plain values, or of arrays of plain values, are written on one line. */
function isFlatArray(values: unknown[]): boolean {
  return values.every((item) => isPlain(item) || (Array.isArray(item) && item.every(isPlain)));
}

function prettyJson(value: unknown, indent: string): string {
  if (typeof value === 'number') return numberText(value);
  if (isPlain(value)) return JSON.stringify(value) ?? 'null';
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (isFlatArray(value)) return `[${value.map((item) => prettyJson(item, '')).join(', ')}]`;
    return `[\n${value.map((item) => inner + prettyJson(item, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
  if (entries.length === 0) return '{}';
  const lines = entries.map(([key, item]) => `${inner}${JSON.stringify(key)}: ${prettyJson(item, inner)}`);
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

/**
 * The trace as a trace file (see the format above). Validates first and throws TraceExportError
 * when the trace breaks the schema, so a file that import would refuse is never written.
 */
export function exportTrace(trace: Trace): string {
  const result = traceSchema.safeParse(trace, { reportInput: true });
  if (!result.success) throw new TraceExportError(formatIssues(result.error));
  const text = `${prettyJson({ format: TRACE_FILE_FORMAT, version: TRACE_FILE_VERSION, trace }, '')}\n`;
  if (text.length > MAX_TRACE_FILE_CHARS) {
    throw new TraceExportError([
      `the file would be ${text.length} characters; at most ${MAX_TRACE_FILE_CHARS} import`,
    ]);
  }
  return text;
}

function failure(code: TraceFileErrorCode, message: string, details: string[] = []): ImportTraceResult {
  return { ok: false, error: { code, message, details } };
}

/** Reads a trace file. Never throws: every problem comes back as a TraceFileError. */
export function importTrace(text: string): ImportTraceResult {
  try {
    return importUnchecked(text);
  } catch (error) {
    return failure(
      'internal',
      `LogitLab failed to read this trace file (${String(error).slice(0, 200)}); please report it`,
    );
  }
}

function importUnchecked(text: unknown): ImportTraceResult {
  if (typeof text !== 'string')
    return failure('not-a-trace', `a trace file must be text, not ${typeof text}`);
  if (text.length > MAX_TRACE_FILE_CHARS) {
    return failure(
      'too-large',
      `the file has ${text.length} characters; trace files are at most ${MAX_TRACE_FILE_CHARS}, so this is not one LogitLab trace`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 160) : 'unreadable';
    return failure('invalid-json', `the file is not valid JSON (${reason}); it was cut or edited`);
  }
  const file =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  if (!file || file.format !== TRACE_FILE_FORMAT) {
    return failure(
      'not-a-trace',
      `this JSON is not a LogitLab trace file (it lacks "format": "${TRACE_FILE_FORMAT}")`,
    );
  }
  const version = file.version;
  if (typeof version === 'number' && Number.isInteger(version) && version > TRACE_FILE_VERSION) {
    return failure(
      'newer-version',
      `this trace was written by a newer LogitLab (trace format ${version}); update the app`,
    );
  }
  if (version !== TRACE_FILE_VERSION) {
    return failure(
      'unknown-version',
      `trace format ${describeValue(version)} does not exist (this app reads ${TRACE_FILE_VERSION})`,
    );
  }
  const unknownKeys = Object.keys(file).filter((key) => !['format', 'version', 'trace'].includes(key));
  if (unknownKeys.length > 0) {
    return failure(
      'invalid-trace',
      `the file has unknown top-level fields: ${unknownKeys.slice(0, 5).join(', ')}`,
    );
  }
  const result = traceSchema.safeParse(file.trace, { reportInput: true });
  if (!result.success) {
    const lines = formatIssues(result.error, { root: 'trace' });
    const more = lines.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : '';
    return failure('invalid-trace', `the trace is not valid: ${lines[0]}${more}`, lines);
  }
  return { ok: true, trace: result.data };
}
