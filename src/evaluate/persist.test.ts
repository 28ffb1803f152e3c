// Results as files: the JSON of a run reads back equal (and an edited one is refused with the field
// named), the CSV has one row per lane × benchmark × split × metric with intervals, and a sweep's
// series are in sweep order. Keeping results in the browser is ./storage.test.ts.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultLane } from '../share/methods';
import { CSV_COLUMNS, evaluationCsv } from './csv';
import type { EvaluationResult } from './result';
import { sweepSeries } from './records';
import { parseEvaluation, serializeEvaluation } from './result-schema';
import { testing } from './testing';

vi.hoisted(() => {
  Object.assign(globalThis, {
    GPUBufferUsage: {
      MAP_READ: 1,
      MAP_WRITE: 2,
      COPY_SRC: 4,
      COPY_DST: 8,
      INDEX: 16,
      VERTEX: 32,
      UNIFORM: 64,
      STORAGE: 128,
    },
    GPUMapMode: { READ: 1, WRITE: 2 },
  });
});
const { DecodeSession } = await import('../decoding/lanes/session');
const { runEvaluation } = await import('./runner');
const { harness, config, tokenizer, gpu, clock } = testing(DecodeSession);

let result: EvaluationResult;
beforeAll(async () => {
  const h = harness();
  const lanes = [defaultLane('plain', 'yes'), defaultLane('vcd', 'truth')];
  const sweep = { lane: 'truth', parameter: 'alpha', values: [0.5, 2] };
  result = await runEvaluation(config({ lanes, sweep }), {
    gpu,
    models: { main: h.main },
    tokenizer,
    createSession: h.createSession,
    clock,
  });
});

describe('result JSON', () => {
  it('reads back equal, and refuses an edited file naming what is wrong', () => {
    const text = serializeEvaluation(result);
    expect(parseEvaluation(text)).toEqual({ ok: true, result });
    expect(parseEvaluation(JSON.parse(text))).toEqual({ ok: true, result });
    const edited = JSON.parse(text) as EvaluationResult;
    edited.pope!.answers[1].pop();
    edited.lanes[0].lane.method = { method: 'plain', extra: 1 } as never;
    const parsed = parseEvaluation(edited);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.issues).toEqual([
      'result.lanes[0].lane.method: unknown field "extra"',
      `result.pope.answers[1]: has ${result.pope!.examples.length - 1} answers for ${result.pope!.examples.length} examples`,
    ]);
    expect(parseEvaluation('{"kind":')).toMatchObject({
      ok: false,
      issues: [expect.stringMatching(/^the file is not valid JSON/)],
    });
    expect(parseEvaluation({ ...JSON.parse(text), lanes: [] })).toMatchObject({
      ok: false,
      issues: ["result.lanes: has 0 lane results for the config's 3 lanes"],
    });
  });
});

describe('result CSV', () => {
  it('has one row per lane × benchmark × split × metric, intervals and differences in columns', () => {
    const lines = evaluationCsv(result).trimEnd().split('\r\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    // Per lane: 3 splits × (5 metrics + unparsed + errors) + CHAIR 4 metrics + 6 counts + errors.
    expect(lines).toHaveLength(1 + 3 * (3 * 7 + 4 + 6 + 1));
    const rows = lines.slice(1).map((line) => line.split(','));
    const column = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
    const row = (lane: string, benchmark: string, split: string, metric: string) =>
      rows.find(
        (r) =>
          r[0] === lane &&
          r[column('benchmark')] === benchmark &&
          r[column('split')] === split &&
          r[column('metric')] === metric,
      )!;
    const accuracy = result.lanes[1].pope![2].metrics.accuracy;
    const difference = result.lanes[1].pope![2].difference!.accuracy;
    expect(row('truth-1', 'pope', 'adversarial', 'accuracy')).toEqual([
      'truth-1',
      'VCD',
      'alpha',
      '0.5',
      'pope',
      'adversarial',
      'accuracy',
      String(accuracy.value),
      String(accuracy.low),
      String(accuracy.high),
      String(difference.value),
      String(difference.low),
      String(difference.high),
      String(result.lanes[1].pope![2].questions),
      '3',
      '0.95',
    ]);
    expect(row('yes', 'chair', '', 'chairI').slice(0, 4)).toEqual(['yes', 'Plain', '', '']);
    expect(row('yes', 'chair', '', 'chairI')[column('diff')]).toBe('');
    expect(row('yes', 'pope', 'random', 'unparsed')[column('ci_low')]).toBe('');
  });

  it('quotes fields with commas or quotes (RFC 4180)', () => {
    const odd = structuredClone(result);
    odd.lanes[0].lane.id = 'a';
    odd.config.sweep = { ...odd.config.sweep!, parameter: 'x,"y"' };
    odd.lanes[0].sweepValue = 1;
    expect(evaluationCsv(odd).split('\r\n')[1].startsWith('a,Plain,"x,""y""",1,pope,random,accuracy,')).toBe(
      true,
    );
  });
});

describe('sweep series', () => {
  it("are the swept lanes' estimates in sweep order, for a line chart", () => {
    expect(sweepSeries(result, { benchmark: 'pope', split: 'random', name: 'accuracy' })).toEqual([
      { laneIndex: 1, value: 0.5, estimate: result.lanes[1].pope![0].metrics.accuracy },
      { laneIndex: 2, value: 2, estimate: result.lanes[2].pope![0].metrics.accuracy },
    ]);
    expect(sweepSeries(result, { benchmark: 'chair', name: 'chairI' }).map((p) => p.value)).toEqual([0.5, 2]);
  });
});
