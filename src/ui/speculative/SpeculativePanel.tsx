// The Speculative workbench: a speculative method beside the autoregressive baseline on the same
// target, round by round, so a researcher sees why drafts are kept or refused and what that buys.
// The setup (models, method, sampling, seed, prompt), the run controls and the share link, the
// running statistics against the theory, then the two lanes. The setup lives in the store and,
// while the tab is shown, in the URL hash (useSpeculativeLink).
import { useEffect, useMemo } from 'react';
import { useAppStore } from '../../store';
import { isSpeculativeActive, setupProblems } from '../../store/speculativeSlice';
import { Lanes } from './Lanes';
import { RunBar } from './RunBar';
import { SetupControls } from './SetupControls';
import { StatisticsBar } from './StatisticsBar';
import { useSpeculativeLink } from './useSpeculativeLink';
import '../decode/decode.css';
import '../decode/controls.css';
import '../decode/lanes.css';
import './speculative.css';

function ErrorBanner() {
  const linkError = useAppStore((s) => s.speculative.linkError);
  const error = useAppStore((s) => s.speculative.error);
  const dismiss = useAppStore((s) => s.dismissSpeculativeError);
  if (!linkError && !error) return null;
  return (
    <div className="banner banner-error decode-banner" role="alert" data-testid="speculative-error">
      <div>
        {linkError ? (
          <p data-testid="speculative-link-error">
            <strong>Invalid link.</strong> {linkError}
          </p>
        ) : null}
        {error ? <p data-testid="speculative-run-error">{error}</p> : null}
      </div>
      <button type="button" className="button-ghost" onClick={dismiss}>
        Dismiss
      </button>
    </div>
  );
}

/** Default refs take the hashes of Shapes models the page already loaded (the Shapes tab's). */
function usePins(): void {
  const cards = useAppStore((s) => s.shapes.models);
  const models = useAppStore((s) => s.speculative.setup.models);
  const pin = useAppStore((s) => s.pinSpeculativeModels);
  useEffect(() => pin(), [cards, models, pin]);
}

export function SpeculativePanel({ active }: { active: boolean }) {
  const setup = useAppStore((s) => s.speculative.setup);
  const status = useAppStore((s) => s.speculative.status);
  const run = useAppStore((s) => s.speculative.run);
  const pieces = useAppStore((s) => s.speculative.pieces);
  useSpeculativeLink(active);
  usePins();
  const problems = useMemo(() => setupProblems(setup), [setup]);
  const locked = isSpeculativeActive(status);
  const stale =
    run !== null &&
    JSON.stringify({ ...run.setup, models: null }) !== JSON.stringify({ ...setup, models: null });
  return (
    <section
      className="panel decode-panel speculative-panel"
      aria-labelledby="speculative-panel-title"
      data-status={status}
    >
      <div className="panel-head">
        <div>
          <h2 id="speculative-panel-title">Speculative</h2>
          <p className="muted">
            A draft proposes tokens, the target verifies them in one forward: every round below shows which
            drafts were kept, refused or replaced, with p and q on hover, beside autoregressive decoding on
            the same target. The address bar holds the whole setup.
          </p>
        </div>
      </div>
      <ErrorBanner />
      <SetupControls problems={problems} locked={locked} />
      <RunBar linkable={Object.keys(problems).length === 0} />
      {run?.promptPieces.length ? (
        <p className="small muted spec-prompt" data-testid="speculative-prompt-tokens">
          prompt as the models read it:{' '}
          {run.promptPieces.map((piece, i) => (
            <code key={i}>{piece}</code>
          ))}
        </p>
      ) : null}
      {stale ? (
        <p className="lane-note lane-note-stale">The setup changed since these rounds were run.</p>
      ) : null}
      {run ? (
        <>
          <StatisticsBar run={run} />
          <Lanes run={run} pieces={pieces} />
        </>
      ) : (
        <p className="muted small">
          Run the default (speculative sampling, greedy, K = 4, the Shapes expert as target and the Shapes
          draft) to see its rounds; the default models load with the first run.
        </p>
      )}
    </section>
  );
}
