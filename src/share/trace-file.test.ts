import { describe, expect, test } from 'vitest';
import { defaultExperiment } from './methods';
import { randomTrace } from './testing-trace';
import { seededRandom } from './testing';
import type { Trace } from './trace';
import {
  MAX_TRACE_FILE_CHARS,
  TraceExportError,
  exportTrace,
  importTrace,
  type ImportTraceResult,
  type TraceFileErrorCode,
} from './trace-file';

function expectError(result: ImportTraceResult, code: TraceFileErrorCode): string {
  if (result.ok) throw new Error(`expected a ${code} error, got a trace`);
  expect(result.error.code, result.error.message).toBe(code);
  expect(result.error.message.length).toBeGreaterThan(10);
  return result.error.message;
}

/** Every number in a value, in order, so -0 and NaN can be compared with Object.is. */
function numbersOf(value: unknown, out: number[] = []): number[] {
  if (typeof value === 'number') out.push(value);
  else if (value !== null && typeof value === 'object')
    for (const item of Object.values(value)) numbersOf(item, out);
  return out;
}

function smallTrace(): Trace {
  return randomTrace(seededRandom(1), defaultExperiment(), 0);
}

/** The file text with the trace edited as parsed JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- edits reach anywhere into parsed JSON
function editedFile(edit: (trace: Record<string, any>) => void): string {
  const file = JSON.parse(exportTrace(smallTrace())) as { trace: Record<string, unknown> };
  edit(file.trace);
  return JSON.stringify(file);
}

describe('exportTrace / importTrace', () => {
  test('200 random traces round-trip exactly, including ±Infinity, NaN and -0', () => {
    const random = seededRandom(424242);
    let nonFinite = 0;
    for (let i = 0; i < 200; i++) {
      const trace = randomTrace(random, undefined, 0.2);
      const result = importTrace(exportTrace(trace));
      if (!result.ok) throw new Error(`trace ${i}: ${result.error.message}`);
      expect(result.trace).toEqual(trace);
      const before = numbersOf(trace);
      const after = numbersOf(result.trace);
      expect(after.length).toBe(before.length);
      const changed = before.findIndex((n, k) => !Object.is(after[k], n));
      expect(changed, `trace ${i} number ${changed}: ${before[changed]} became ${after[changed]}`).toBe(-1);
      nonFinite += before.filter((n) => !Number.isFinite(n)).length;
    }
    expect(nonFinite).toBeGreaterThan(100);
  }, 60_000);

  test('the file is pretty JSON with a format marker; short arrays stay on one line', () => {
    const trace = smallTrace();
    trace.lanes[0].tokens[0].combined.entropy = Infinity;
    trace.lanes[0].tokens[0].combined.chosenProbability = NaN;
    trace.lanes[0].tokens[0].combined.top = [
      [5, 0.5],
      [7, -0],
    ];
    const text = exportTrace(trace);
    expect(text.startsWith('{\n  "format": "logitlab-trace",\n  "version": 1,\n  "trace": {\n')).toBe(true);
    expect(text).toContain('"top": [[5, 0.5], [7, -0]]');
    expect(text).toContain('"entropy": "Infinity"');
    expect(text).toContain('"chosenProbability": "NaN"');
    expect(text.endsWith('}\n')).toBe(true);
  });

  test('export refuses a trace that import would refuse', () => {
    const trace = smallTrace();
    trace.lanes[0].tokens[0].id = NaN;
    expect(() => exportTrace(trace)).toThrow(TraceExportError);
    try {
      exportTrace(trace);
    } catch (error) {
      expect((error as TraceExportError).issues[0]).toBe('lanes[0].tokens[0].id: expected a number, got NaN');
    }
  });

  test('non-finite spellings are accepted only in measurement fields', () => {
    const lines = (text: string) => {
      const result = importTrace(text);
      expectError(result, 'invalid-trace');
      return result.ok ? [] : result.error.details;
    };
    expect(lines(editedFile((t) => (t.lanes[0].tokens[0].id = 'NaN')))).toEqual([
      'trace.lanes[0].tokens[0].id: expected a number, got "NaN"',
    ]);
    expect(lines(editedFile((t) => (t.lanes[0].tokens[0].entropy2 = 'Infinity')))).toEqual([
      'trace.lanes[0].tokens[0]: unknown field "entropy2"',
    ]);
    expect(lines(editedFile((t) => (t.lanes[0].tokens[0].combined.entropy = 'inf')))).toEqual([
      'trace.lanes[0].tokens[0].combined.entropy: expected a number (or "Infinity", "-Infinity", "NaN"), got "inf"',
    ]);
    const ok = importTrace(editedFile((t) => (t.lanes[0].statistics.meanEntropy = '-Infinity')));
    expect(ok.ok && ok.trace.lanes[0].statistics.meanEntropy).toBe(-Infinity);
  });

  test('in `extra`, the three spellings read as numbers and other strings stay strings', () => {
    const result = importTrace(
      editedFile((t) => (t.lanes[0].tokens[0].extra = { score: 'NaN', bucket: 'high' })),
    );
    expect(result.ok && result.trace.lanes[0].tokens[0].extra).toEqual({ score: NaN, bucket: 'high' });
  });

  test('invariants between fields are checked', () => {
    const details = (text: string) => {
      const result = importTrace(text);
      return result.ok ? [] : result.error.details;
    };
    expect(details(editedFile((t) => (t.lanes[0].tokens[1].step = 5)))).toEqual([
      'trace.lanes[0].tokens[1].step: is 5; token 1 must have step 1',
    ]);
    expect(details(editedFile((t) => (t.lanes[0].laneId = 'lane-9')))).toEqual([
      'trace.lanes[0].laneId: "lane-9" is not a lane of the experiment',
    ]);
    expect(
      details(editedFile((t) => t.lanes[0].tokens[0].components.push(t.lanes[0].tokens[0].combined)))[0],
    ).toMatch(/components: has \d distributions but the lane has \d inputs/);
    expect(details(editedFile((t) => (t.experiment.maxTokens = 1)))[0]).toMatch(
      /tokens: has \d tokens but the experiment allows 1/,
    );
  });
});

describe('importTrace errors', () => {
  test('each class has its code and message', () => {
    expect(expectError(importTrace('x'.repeat(MAX_TRACE_FILE_CHARS + 1)), 'too-large')).toMatch(
      /at most 33554432/,
    );
    expect(expectError(importTrace('{"format": "logitlab-trace",'), 'invalid-json')).toMatch(
      /^the file is not valid JSON/,
    );
    expect(expectError(importTrace('{"format": "other"}'), 'not-a-trace')).toMatch(
      /lacks "format": "logitlab-trace"/,
    );
    expect(expectError(importTrace('[]'), 'not-a-trace')).toBeTruthy();
    expect(expectError(importTrace('{"format": "logitlab-trace", "version": 2}'), 'newer-version')).toMatch(
      /newer LogitLab \(trace format 2\); update the app/,
    );
    expect(
      expectError(importTrace('{"format": "logitlab-trace", "version": "1"}'), 'unknown-version'),
    ).toMatch(/trace format "1" does not exist/);
    expect(expectError(importTrace('{"format": "logitlab-trace", "version": 1}'), 'invalid-trace')).toBe(
      'the trace is not valid: trace: is missing (expected an object)',
    );
    const extra = JSON.stringify({ ...JSON.parse(exportTrace(smallTrace())), note: 1 });
    expect(expectError(importTrace(extra), 'invalid-trace')).toMatch(/unknown top-level fields: note/);
    expect(expectError(importTrace(5 as unknown as string), 'not-a-trace')).toMatch(/must be text/);
  });

  test('an invalid experiment inside the trace is reported with its path', () => {
    const result = importTrace(editedFile((t) => (t.experiment.lanes[1].method.alpha = 7)));
    expect(expectError(result, 'invalid-trace')).toBe(
      'the trace is not valid: trace.experiment.lanes[1].method.alpha: 7 is above the maximum 5 (VCD alpha allows 0 to 5)',
    );
  });
});
