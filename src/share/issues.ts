// Human-readable validation messages: one line per problem, "where: what", e.g.
//   lanes[1].method.alpha: 7 is above the maximum 5 (VCD alpha allows 0 to 5)
//   lanes[0].method.method: unknown method "beam"; expected one of plain, cd, vcd, ...
// Schemas put their own wording on custom checks; the generic zod codes are worded here, from the
// issue's input (parse with `reportInput: true` so values can be quoted).
import type { z } from 'zod';
import { formatNumber } from './parameters';

type Issue = z.core.$ZodIssue & { input?: unknown };

/** Quotes a value for a message, shortened so a hostile link cannot produce a megabyte of text. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * `lanes[1].method.alpha`, `models.main.sha256["model.safetensors"]`. With `root` the path starts
 * there (`trace.lanes[0]`); the whole value itself is `root`, or "(top level)" without one.
 */
export function formatPath(path: readonly PropertyKey[], root?: string): string {
  let out = root ?? '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && IDENTIFIER.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key).slice(0, 40))}]`;
  }
  return out || '(top level)';
}

const EXPECTED: Record<string, string> = {
  int: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  tuple: 'a pair',
  record: 'an object',
};

function sizeMessage(
  issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall,
  limit: number | bigint,
  small: boolean,
): string {
  const input = issue.input;
  if (issue.origin === 'string' && typeof input === 'string') {
    if (small && Number(limit) === 1) return 'must not be empty';
    return `is ${input.length} characters long; ${small ? 'at least' : 'at most'} ${limit} allowed`;
  }
  if (issue.origin === 'array' && Array.isArray(input)) {
    return `has ${input.length} entries; ${small ? 'at least' : 'at most'} ${limit} allowed`;
  }
  if (issue.origin === 'number' || issue.origin === 'int') {
    return `${describeValue(input)} is ${small ? 'below the minimum' : 'above the maximum'} ${String(limit)}`;
  }
  return `${describeValue(input)} is too ${small ? 'small' : 'large'} (limit ${String(limit)})`;
}

function issueMessage(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      if (issue.input === undefined) return `is missing (expected ${expected})`;
      return `expected ${expected}, got ${describeValue(issue.input)}`;
    }
    case 'unrecognized_keys': {
      const keys = issue.keys.slice(0, 5).map((key) => describeValue(key));
      const more = issue.keys.length > 5 ? ` and ${issue.keys.length - 5} more` : '';
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys.join(', ')}${more}`;
    }
    case 'invalid_union': {
      if ('discriminator' in issue && typeof issue.discriminator === 'string') {
        const options = ((issue as { options?: unknown[] }).options ?? []).map(String).join(', ');
        const input = issue.input as Record<string, unknown> | undefined;
        const value = input && typeof input === 'object' ? input[issue.discriminator] : undefined;
        const got = value === undefined ? 'is missing' : `${describeValue(value)} is unknown`;
        return `${got}; expected one of ${options}`;
      }
      return `${describeValue(issue.input)} matches none of the allowed forms`;
    }
    case 'invalid_value':
      return `${describeValue(issue.input)} is not one of ${issue.values.map((v) => describeValue(v)).join(', ')}`;
    case 'too_small':
      return sizeMessage(issue, issue.minimum, true);
    case 'too_big':
      return sizeMessage(issue, issue.maximum, false);
    case 'invalid_key':
      return `field name ${describeValue(issue.input)}: ${issue.issues.map((inner) => inner.message).join('; ')}`;
    default:
      return issue.message;
  }
}

export interface FormatIssuesOptions {
  /** Name of the validated value, prefixed to every path ("trace"). */
  root?: string;
  /** Lines at most; the rest are counted in a last line. Default 20. */
  limit?: number;
}

/**
 * One line per issue, "path: message", at most `limit` lines (then "... and N more problems").
 * Accepts a ZodError or its issue list.
 */
export function formatIssues(
  error: z.ZodError | readonly z.core.$ZodIssue[],
  { root, limit = 20 }: FormatIssuesOptions = {},
): string[] {
  const issues = (Array.isArray(error) ? error : (error as z.ZodError).issues) as readonly Issue[];
  const lines = issues
    .slice(0, limit)
    .map((issue) => `${formatPath(issue.path, root)}: ${issueMessage(issue)}`);
  if (issues.length > limit) lines.push(`... and ${issues.length - limit} more problems`);
  return lines;
}
