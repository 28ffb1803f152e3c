// An evaluation's results: one row per lane × POPE split and per lane for CHAIR, each metric as
// "value [low, high]" with the paired difference to the baseline lane below it; bar charts of the
// headline metrics; the sweep's line chart; and, for the row clicked, the lane's worst cases, each a
// link that opens that example in the Decode workbench.
import { useState } from 'react';
import {
  CHAIR_METRICS,
  POPE_METRICS,
  exampleLink,
  sweepSeries,
  worstChairRecords,
  worstPopeRecords,
  type Estimate,
  type EvaluationResult,
} from '../../evaluate';
import { METHODS } from '../../share/methods';
import type { PopeSplit } from '../../world/pope';
import { BarChart, SweepChart } from './charts';
import { excludesZero, formatDifference, formatEstimate } from './format';

type Selected = { lane: number; benchmark: 'pope'; split: PopeSplit } | { lane: number; benchmark: 'chair' };

const POPE_LABELS: Record<string, string> = { accuracy: 'accuracy', precision: 'precision', recall: 'recall', f1: 'F1', yesRatio: 'yes-ratio' }; // prettier-ignore
const CHAIR_LABELS: Record<string, string> = { chairI: 'CHAIR_i', chairS: 'CHAIR_s', recall: 'recall', meanLength: 'length' }; // prettier-ignore

function Cell({
  estimate,
  difference,
  digits,
}: {
  estimate: Estimate;
  difference: Estimate | null;
  digits: number;
}) {
  return (
    <td className="eval-cell">
      <span className="eval-estimate">{formatEstimate(estimate, digits)}</span>
      {difference ? (
        <span
          className={`eval-diff small${excludesZero(difference) ? ' eval-diff-sig' : ''}`}
          title="Difference to the baseline lane, paired over the same resampled scenes"
        >
          Δ {formatDifference(difference, digits)}
        </span>
      ) : null}
    </td>
  );
}

function laneName(result: EvaluationResult, lane: number): string {
  const { lane: config, sweepValue } = result.lanes[lane];
  const label = METHODS[config.method.method]?.label ?? config.method.method;
  return `${config.id} (${label}${sweepValue !== null ? ` ${result.config.sweep?.parameter}=${sweepValue}` : ''})`;
}

function WorstCases({ result, selected }: { result: EvaluationResult; selected: Selected }) {
  const records =
    selected.benchmark === 'pope'
      ? worstPopeRecords(result, selected.lane, selected.split, 12).map((r) => ({
          key: r.exampleIndex,
          text: `scene ${r.sceneIndex}: "${r.prompt}" truth ${r.label}, said ${r.said ?? `"${r.text}"`}`,
          href: exampleLink(result.config, selected.lane, r),
        }))
      : worstChairRecords(result, selected.lane, 12).map((r) => ({
          key: r.exampleIndex,
          text: `scene ${r.sceneIndex}: "${r.text}" hallucinated ${r.hallucinated.join(', ')} (scene has ${r.objects.join(', ')})`,
          href: exampleLink(result.config, selected.lane, r),
        }));
  const where = selected.benchmark === 'pope' ? `POPE ${selected.split}` : 'CHAIR';
  return (
    <div className="eval-worst" data-testid="eval-worst">
      <h3 className="small">
        Worst cases: {laneName(result, selected.lane)}, {where}
      </h3>
      {records.length === 0 ? (
        <p className="muted small">No wrong answers or hallucinated captions for this lane.</p>
      ) : (
        <ol>
          {records.map((r) => (
            <li key={r.key}>
              <a
                href={r.href}
                data-testid="eval-worst-link"
                title="Open this example with this lane in the Decode workbench"
              >
                {r.text}
              </a>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

export function EvaluateResults({ result }: { result: EvaluationResult }) {
  const [selected, setSelected] = useState<Selected | null>(null);
  const names = result.lanes.map((_, i) => laneName(result, i));
  const short = result.lanes.map(({ lane, sweepValue }) =>
    sweepValue !== null ? String(sweepValue) : lane.id,
  );
  const popeSplits = result.lanes[0]?.pope?.map((s) => s.split) ?? [];
  const isSelected = (s: Selected) => selected !== null && JSON.stringify(selected) === JSON.stringify(s);
  const sweep = result.config.sweep;
  return (
    <div className="eval-results" data-testid="eval-results">
      {popeSplits.length > 0 ? (
        <table className="eval-table" data-testid="eval-pope-table">
          <thead>
            <tr>
              <th>lane</th>
              <th>split</th>
              <th>n</th>
              {POPE_METRICS.map((m) => (
                <th key={m}>{POPE_LABELS[m] ?? m}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {result.lanes.flatMap((lane, l) =>
              (lane.pope ?? []).map((s) => {
                const row: Selected = { lane: l, benchmark: 'pope', split: s.split };
                return (
                  <tr
                    key={`${l}-${s.split}`}
                    className={isSelected(row) ? 'eval-row-selected' : undefined}
                    data-testid="eval-pope-row"
                    data-lane={l}
                    data-split={s.split}
                    onClick={() => setSelected(row)}
                  >
                    <th scope="row">{names[l]}</th>
                    <td>{s.split}</td>
                    <td title={`${s.scenes} scenes, ${s.unparsed} unreadable, ${s.errors} lane errors`}>
                      {s.questions}
                    </td>
                    {POPE_METRICS.map((m) => (
                      <Cell
                        key={m}
                        estimate={s.metrics[m]}
                        difference={s.difference?.[m] ?? null}
                        digits={2}
                      />
                    ))}
                  </tr>
                );
              }),
            )}
          </tbody>
        </table>
      ) : null}
      {result.lanes[0]?.chair ? (
        <table className="eval-table" data-testid="eval-chair-table">
          <thead>
            <tr>
              <th>lane</th>
              <th>captions</th>
              {CHAIR_METRICS.map((m) => (
                <th key={m}>{CHAIR_LABELS[m] ?? m}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {result.lanes.map((lane, l) => {
              const c = lane.chair!;
              const row: Selected = { lane: l, benchmark: 'chair' };
              return (
                <tr
                  key={l}
                  className={isSelected(row) ? 'eval-row-selected' : undefined}
                  data-testid="eval-chair-row"
                  data-lane={l}
                  onClick={() => setSelected(row)}
                >
                  <th scope="row">{names[l]}</th>
                  <td>{c.captions}</td>
                  {CHAIR_METRICS.map((m) => (
                    <Cell
                      key={m}
                      estimate={c.metrics[m]}
                      difference={c.difference?.[m] ?? null}
                      digits={m === 'meanLength' ? 1 : 2}
                    />
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      <p className="muted small">
        {Math.round(result.config.bootstrap.confidence * 100)}% bootstrap intervals over scenes (
        {result.config.bootstrap.resamples} resamples); Δ is the paired difference to {names[0]}, bold when
        its interval excludes 0. Click a row for its worst cases.
      </p>
      {selected ? <WorstCases result={result} selected={selected} /> : null}
      <div className="eval-charts">
        {popeSplits.map((split) => (
          <BarChart
            key={split}
            title={`POPE ${split}: F1`}
            labels={short}
            testId={`eval-bars-${split}`}
            estimates={result.lanes.map((l) => l.pope!.find((s) => s.split === split)!.metrics.f1)}
          />
        ))}
        {result.lanes[0]?.chair ? (
          <BarChart
            title="CHAIR_i (lower is better)"
            labels={short}
            testId="eval-bars-chair"
            estimates={result.lanes.map((l) => l.chair!.metrics.chairI)}
          />
        ) : null}
        {sweep && popeSplits[0] ? (
          <SweepChart
            title={`POPE ${popeSplits[0]} F1 against ${sweep.lane}'s ${sweep.parameter}`}
            parameter={sweep.parameter}
            points={sweepSeries(result, { benchmark: 'pope', split: popeSplits[0], name: 'f1' })}
          />
        ) : null}
        {sweep && result.lanes[0]?.chair ? (
          <SweepChart
            title={`CHAIR_i against ${sweep.lane}'s ${sweep.parameter}`}
            parameter={sweep.parameter}
            points={sweepSeries(result, { benchmark: 'chair', name: 'chairI' })}
          />
        ) : null}
      </div>
    </div>
  );
}
