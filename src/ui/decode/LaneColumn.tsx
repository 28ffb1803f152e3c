// One lane: its settings (LaneEditor), then what the run produced for it: where it first differs
// from lane 1, the token stream, how it stopped, its statistics and its chart. When the settings
// were edited after the tokens were produced, the lane says so: the tokens belong to the old ones.
import type { LaneConfig } from '../../share/experiment';
import type { LaneTrace } from '../../share/trace';
import { useAppStore, type ColourMeasure } from '../../store';
import type { FieldProblems } from '../../store/decodeExperiment';
import { LaneChart } from './LaneChart';
import { LaneEditor } from './LaneEditor';
import { LaneStats } from './LaneStats';
import { speculativeLaneSummary } from './speculative';
import { TokenStream } from './TokenStream';

const STOP_REASONS: Record<string, string> = {
  'max-tokens': 'reached max tokens',
  eos: 'end of sequence',
  context: 'context window full',
  cancelled: 'stopped',
  error: 'failed',
};

export interface LaneColumnProps {
  index: number;
  lane: LaneConfig;
  laneCount: number;
  problems: FieldProblems;
  locked: boolean;
  /** This lane's trace (by id), or null before a run. */
  trace: LaneTrace | null;
  /** The lane's settings when its trace was produced. */
  tracedConfig: LaneConfig | null;
  divergence: number | null;
  measure: ColourMeasure;
  maxEntropy: number;
  running: boolean;
}

function sameSettings(a: LaneConfig, b: LaneConfig): boolean {
  return JSON.stringify([a.method, a.sampling]) === JSON.stringify([b.method, b.sampling]);
}

export function LaneColumn(props: LaneColumnProps) {
  const { index, lane, trace, divergence } = props;
  const selected = useAppStore((s) => s.decode.selected);
  const selectToken = useAppStore((s) => s.selectToken);
  const selectedStep = selected?.laneId === lane.id ? selected.step : null;
  const select = (step: number) => selectToken({ laneId: lane.id, step });
  const stale = trace !== null && props.tracedConfig !== null && !sameSettings(lane, props.tracedConfig);
  const laneRunning = props.running && trace !== null && trace.stopReason === null;

  return (
    <section
      className={`lane${stale ? ' lane-stale' : ''}`}
      aria-label={`Lane ${index + 1}`}
      data-testid={`decode-lane-${index}`}
      data-lane-id={lane.id}
      data-method={lane.method.method}
      data-tokens={trace?.tokens.length ?? 0}
      data-stop-reason={trace?.stopReason ?? ''}
    >
      <LaneEditor
        index={index}
        lane={lane}
        laneCount={props.laneCount}
        problems={props.problems}
        locked={props.locked}
      />
      <div className="lane-output">
        {stale ? (
          <p className="lane-note lane-note-stale" data-testid={`decode-stale-${index}`}>
            Settings changed since these tokens were produced: run again to see the new ones.
          </p>
        ) : null}
        {trace && index > 0 ? (
          <p className="lane-note" data-testid={`decode-divergence-${index}`} data-step={divergence ?? ''}>
            {divergence === null ? (
              <span className="muted">same tokens as lane 1 so far</span>
            ) : (
              <>
                <span className="tok-diverge-mark">≠</span> differs from lane 1 from step{' '}
                <strong>{divergence}</strong>
              </>
            )}
          </p>
        ) : null}
        {trace ? (
          <TokenStream
            laneIndex={index}
            laneId={lane.id}
            tokens={trace.tokens}
            measure={props.measure}
            maxEntropy={props.maxEntropy}
            divergence={divergence}
            selectedStep={selectedStep}
            onSelect={select}
            running={laneRunning}
          />
        ) : (
          <p className="muted small lane-empty">Run to see this lane’s tokens.</p>
        )}
        {trace?.stopReason ? (
          <p className="lane-note small muted" data-testid={`decode-stop-${index}`}>
            {STOP_REASONS[trace.stopReason] ?? trace.stopReason} after {trace.tokens.length} tokens
          </p>
        ) : null}
        {trace?.error ? (
          <p className="inline-error small" role="alert">
            {trace.error}
          </p>
        ) : null}
        {trace ? (
          <LaneStats
            index={index}
            statistics={trace.statistics}
            methodSummary={speculativeLaneSummary(trace)}
          />
        ) : null}
        {/* No chart for a lane whose distributions were never read back (speculative: NaN entropies). */}
        {trace && trace.tokens.some((t) => Number.isFinite(t.combined.entropy)) ? (
          <LaneChart tokens={trace.tokens} onPick={select} testId={`decode-chart-${index}`} />
        ) : null}
      </div>
    </section>
  );
}
