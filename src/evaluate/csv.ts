// Results as CSV (RFC 4180: comma-separated, CRLF line ends, fields with a comma, quote or line
// break quoted, quotes doubled): one row per lane × benchmark × split × metric, with the bootstrap
// interval and the paired difference to the baseline lane. Counts (POPE's unparsed answers, CHAIR's
// raw counts) are rows without intervals. CHAIR's split column is empty.
import { METHODS } from '../share/methods';
import type { Estimate } from './bootstrap';
import { CHAIR_METRICS, POPE_METRICS } from './counts';
import type { EvaluationResult } from './result';

export const CSV_COLUMNS = [
  'lane',
  'method',
  'sweep_parameter',
  'sweep_value',
  'benchmark',
  'split',
  'metric',
  'value',
  'ci_low',
  'ci_high',
  'diff',
  'diff_low',
  'diff_high',
  'n',
  'scenes',
  'confidence',
] as const;

function field(value: string | number | null): string {
  if (value === null) return '';
  const text = typeof value === 'number' ? String(value) : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function evaluationCsv(result: EvaluationResult): string {
  const { sweep, bootstrap } = result.config;
  const rows: (string | number | null)[][] = [[...CSV_COLUMNS]];
  result.lanes.forEach(({ lane, sweepValue, pope, chair }) => {
    const common = [
      lane.id,
      METHODS[lane.method.method].label,
      sweepValue === null ? null : sweep!.parameter,
      sweepValue,
    ];
    const metricRow = (
      benchmark: string,
      split: string | null,
      metric: string,
      e: Estimate,
      d: Estimate | null,
      n: number,
      scenes: number,
    ) =>
      rows.push([
        ...common,
        benchmark,
        split,
        metric,
        e.value,
        e.low,
        e.high,
        d?.value ?? null,
        d?.low ?? null,
        d?.high ?? null,
        n,
        scenes,
        bootstrap.confidence,
      ]);
    const countRow = (
      benchmark: string,
      split: string | null,
      metric: string,
      value: number,
      n: number,
      scenes: number,
    ) =>
      rows.push([...common, benchmark, split, metric, value, null, null, null, null, null, n, scenes, null]);
    for (const s of pope ?? []) {
      for (const m of POPE_METRICS)
        metricRow('pope', s.split, m, s.metrics[m], s.difference?.[m] ?? null, s.questions, s.scenes);
      countRow('pope', s.split, 'unparsed', s.unparsed, s.questions, s.scenes);
      countRow('pope', s.split, 'errors', s.errors, s.questions, s.scenes);
    }
    if (chair) {
      for (const m of CHAIR_METRICS)
        metricRow(
          'chair',
          null,
          m,
          chair.metrics[m],
          chair.difference?.[m] ?? null,
          chair.captions,
          chair.captions,
        );
      for (const [name, value] of Object.entries(chair.counts))
        countRow('chair', null, name, value, chair.captions, chair.captions);
      countRow('chair', null, 'errors', chair.errors, chair.captions, chair.captions);
    }
  });
  return rows.map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}
