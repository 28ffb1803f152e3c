// The Decode workbench: several decoding methods on the same prompt and image, side by side, token
// by token. The setup every lane shares, the run controls and the ways out (link, trace file), the
// colour measure, one column per lane (settings, tokens, statistics, chart), and the inspector for
// the token that was clicked. The experiment lives in the store and, while the tab is shown, in the
// URL hash (useDecodeLink): the address bar is always a link that reproduces it.
import { useEffect, useMemo } from 'react';
import { MAX_LANES } from '../../share/experiment';
import { useAppStore } from '../../store';
import { experimentProblems } from '../../store/decodeExperiment';
import { isDecodeActive } from '../../store/decodeSlice';
import { firstDivergence, laneOf } from '../../store/decodeTrace';
import { DecodeInspector } from './DecodeInspector';
import { ErrorBanner } from './ErrorBanner';
import { LaneColumn } from './LaneColumn';
import { entropyScale } from './measures';
import { MeasureBar } from './MeasureBar';
import { RunControls } from './RunControls';
import { SetupBar } from './SetupBar';
import { useDecodeLink } from './useDecodeLink';
import './decode.css';
import './lanes.css';

/** Loads the default models when the tab is shown, and pins the experiment's default refs to them. */
function useDefaultModels(active: boolean): void {
  const gpuReady = useAppStore((s) => s.gpu.status === 'ready');
  const started = useAppStore((s) => s.shapes.started);
  const startShapes = useAppStore((s) => s.startShapes);
  const pin = useAppStore((s) => s.pinDecodeModels);
  const cards = useAppStore((s) => s.shapes.models);
  const experiment = useAppStore((s) => s.decode.experiment.models);
  useEffect(() => {
    if (active && gpuReady && !started) void startShapes();
  }, [active, gpuReady, started, startShapes]);
  useEffect(() => {
    pin();
  }, [cards, experiment, pin]);
}

export function DecodePanel({ active }: { active: boolean }) {
  const experiment = useAppStore((s) => s.decode.experiment);
  const trace = useAppStore((s) => s.decode.trace);
  const status = useAppStore((s) => s.decode.status);
  const measure = useAppStore((s) => s.decode.measure);
  const addLane = useAppStore((s) => s.addLane);
  useDecodeLink(active);
  useDefaultModels(active);

  const problems = useMemo(() => experimentProblems(experiment), [experiment]);
  const linkable = Object.keys(problems).length === 0;
  const locked = isDecodeActive(status);
  const running = status === 'running' || status === 'paused' || status === 'starting';
  const maxEntropy = useMemo(() => entropyScale(trace ? trace.lanes.flatMap((l) => l.tokens) : []), [trace]);
  // Lane 1 as shown is the reference (the run's first lane if lane 1 was added after the run).
  const reference = laneOf(trace, experiment.lanes[0].id) ?? trace?.lanes[0] ?? null;
  const sharedChanged =
    trace !== null &&
    JSON.stringify([
      trace.experiment.models,
      trace.experiment.prompt,
      trace.experiment.image,
      trace.experiment.seed,
    ]) !== JSON.stringify([experiment.models, experiment.prompt, experiment.image, experiment.seed]);

  return (
    <section className="panel decode-panel" aria-labelledby="decode-panel-title" data-status={status}>
      <div className="panel-head">
        <div>
          <h2 id="decode-panel-title">Decode</h2>
          <p className="muted">
            Decoding methods side by side on the same prompt and image, token by token. Every token opens the
            distributions that decided it. The address bar holds the whole experiment: the same link on the
            same browser and GPU gives the same tokens.
          </p>
        </div>
      </div>
      <ErrorBanner />
      <SetupBar problems={problems} locked={locked} />
      <RunControls linkable={linkable} />
      {sharedChanged ? (
        <p className="lane-note lane-note-stale" data-testid="decode-shared-stale">
          The prompt, image, seed or models changed since these tokens were produced.
        </p>
      ) : null}
      <MeasureBar maxEntropy={maxEntropy} />
      <div className="lanes" data-testid="decode-lanes" data-count={experiment.lanes.length}>
        {experiment.lanes.map((lane, index) => {
          const laneTrace = laneOf(trace, lane.id);
          return (
            <LaneColumn
              key={lane.id}
              index={index}
              lane={lane}
              laneCount={experiment.lanes.length}
              problems={problems}
              locked={locked}
              trace={laneTrace}
              tracedConfig={trace?.experiment.lanes.find((l) => l.id === lane.id) ?? null}
              divergence={
                laneTrace && reference && laneTrace !== reference
                  ? firstDivergence(reference, laneTrace)
                  : null
              }
              measure={measure}
              maxEntropy={maxEntropy}
              running={running}
            />
          );
        })}
      </div>
      <div className="lanes-footer">
        <button
          type="button"
          className="button-ghost control"
          disabled={locked || experiment.lanes.length >= MAX_LANES}
          data-testid="decode-add-lane"
          onClick={() => addLane()}
        >
          + Add lane
        </button>
        <span className="muted small">
          {experiment.lanes.length} of {MAX_LANES} lanes · lane 1 is the reference for divergence
        </span>
      </div>
      <DecodeInspector />
    </section>
  );
}
