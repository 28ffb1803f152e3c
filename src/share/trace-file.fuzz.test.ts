// Fuzz test of importTrace: 3,000 seeded mutations of exported trace files. Properties: nothing
// throws; every result is either a trace that exports and re-imports to itself, or a TraceFileError
// with a short, non-empty message and never the 'internal' code. Bounded by iteration count.
import { expect, test } from 'vitest';
import { mutateJson, seededRandom, type Random } from './testing';
import { randomTrace } from './testing-trace';
import { exportTrace, importTrace, type ImportTraceResult } from './trace-file';

const ITERATIONS = 3000;
const SEED = 0x7ace;

const JSON_BITS = [
  '"',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '-',
  '0',
  '9',
  'e',
  '.',
  ' ',
  'n',
  'NaN',
  'Infinity',
  '\\',
  'é',
];

type Mutation = (text: string, random: Random) => string;

function charEdit(edit: (chars: string[], at: number, random: Random) => void): Mutation {
  return (text, random) => {
    const chars = text.split('');
    edit(chars, random.int(0, chars.length - 1), random);
    return chars.join('');
  };
}

/** Replaces the n-th number in the text with a spelling JSON or the schema may or may not accept. */
const numberSwap: Mutation = (text, random) => {
  const numbers = [...text.matchAll(/-?\d+(\.\d+)?(e[+-]?\d+)?/g)];
  if (numbers.length === 0) return text;
  const match = random.pick(numbers);
  const spelling = random.pick([
    '"NaN"',
    '"Infinity"',
    '"-Infinity"',
    'NaN',
    'Infinity',
    '1e999',
    '-0',
    '"1"',
    '1.5',
    'null',
  ]);
  return text.slice(0, match.index) + spelling + text.slice(match.index + match[0].length);
};

test(`importTrace survives ${ITERATIONS} seeded mutations of trace files`, () => {
  const random = seededRandom(SEED);
  const files = Array.from({ length: 6 }, () => exportTrace(randomTrace(random, undefined, 0.2)));
  const parsed = files.map((text) => JSON.parse(text) as unknown);

  const mutations: Record<string, Mutation> = {
    flip: charEdit((chars, at, r) => (chars[at] = r.pick(JSON_BITS))),
    insert: charEdit((chars, at, r) => chars.splice(at, 0, r.pick(JSON_BITS))),
    delete: charEdit((chars, at, r) => chars.splice(at, r.int(1, 20))),
    truncate: (text, r) => text.slice(0, r.int(0, text.length - 1)),
    numberSwap,
    structural: (_, r) => {
      let value = r.pick(parsed);
      for (let n = r.int(1, 3); n > 0; n--) value = mutateJson(value, r);
      return JSON.stringify(value);
    },
    garbage: (_, r) => Array.from({ length: r.int(0, 100) }, () => r.pick(JSON_BITS)).join(''),
    deep: (_, r) => '['.repeat(r.int(1, 100_000)),
    padded: (text, r) => ' '.repeat(r.int(0, 100_000)) + text,
  };
  const names = Object.keys(mutations);
  const outcomes: Record<string, number> = {};
  let iterations = 0;

  for (let i = 0; i < ITERATIONS; i++) {
    const name = names[i % names.length];
    const input = mutations[name](random.pick(files), random);
    let result: ImportTraceResult;
    try {
      result = importTrace(input);
    } catch (error) {
      throw new Error(`iteration ${i} (${name}, seed ${SEED}) threw ${String(error)}`);
    }
    const where = `iteration ${i} (${name})`;
    if (result.ok) {
      let again: ImportTraceResult;
      try {
        again = importTrace(exportTrace(result.trace));
      } catch (error) {
        throw new Error(`${where}: imported trace does not export: ${String(error)}`);
      }
      expect(again, where).toEqual({ ok: true, trace: result.trace });
      outcomes.ok = (outcomes.ok ?? 0) + 1;
    } else {
      const { code, message, details } = result.error;
      expect(code, `${where}: ${message}`).not.toBe('internal');
      expect(typeof message === 'string' && message.length > 0 && message.length < 1000, where).toBe(true);
      expect(details.length, where).toBeLessThanOrEqual(21);
      expect(
        details.every((line) => typeof line === 'string' && line.length > 0 && line.length < 1000),
        where,
      ).toBe(true);
      outcomes[code] = (outcomes[code] ?? 0) + 1;
    }
    iterations++;
  }

  expect(iterations).toBe(ITERATIONS);
  for (const code of ['ok', 'invalid-json', 'invalid-trace', 'not-a-trace']) {
    expect(outcomes[code] ?? 0, `outcome ${code} in ${JSON.stringify(outcomes)}`).toBeGreaterThan(0);
  }
}, 180_000);
