// The inspector: everything that decided one token of one lane. What each component distribution
// was computed from (recomputed thumbnails, disturbed prompt), a summary row per distribution
// (entropy, the chosen token's probability and rank, KL both ways and JS against the base), the
// size of the plausibility set, each distribution's top-10, and the method's own numbers.
import { useEffect, useMemo, useRef } from 'react';
import { METHODS } from '../../share/methods';
import { useAppStore } from '../../store';
import { laneOf } from '../../store/decodeTrace';
import { visible } from '../model/GenerateBox';
import { DistortedInputs } from './DistortedInputs';
import { OtherDivergences, SummaryTable, TopTokens } from './DistributionTable';
import { pieceNamer } from './pieces';
import { speculativeView } from './speculative';
import { SpeculativeRound } from './SpeculativeRound';
import './inspector.css';

export function DecodeInspector() {
  const selected = useAppStore((s) => s.decode.selected);
  const trace = useAppStore((s) => s.decode.trace);
  const upload = useAppStore((s) => s.decode.upload);
  const promptPieces = useAppStore((s) => s.decode.promptPieces);
  const selectToken = useAppStore((s) => s.selectToken);
  const pieceOf = useMemo(
    () => (trace ? pieceNamer(trace, promptPieces) : () => null),
    [trace, promptPieces],
  );
  const lane = selected ? laneOf(trace, selected.laneId) : null;
  const token = lane?.tokens.find((t) => t.step === selected?.step) ?? null;

  // Opening the inspector brings it into view once; moving between tokens then leaves the page still.
  const section = useRef<HTMLElement>(null);
  const open = token !== null;
  useEffect(() => {
    if (open) section.current?.scrollIntoView?.({ block: 'nearest' });
  }, [open]);

  useEffect(() => {
    if (!selected) return;
    const close = (event: KeyboardEvent) => {
      // Only while the inspector is on screen (the tab may be hidden behind another one).
      if (event.key === 'Escape' && section.current?.offsetParent) selectToken(null);
    };
    window.addEventListener('keydown', close);
    return () => window.removeEventListener('keydown', close);
  }, [selected, selectToken]);

  if (!trace || !selected || !lane || !token) return null;
  const laneIndex = trace.lanes.indexOf(lane);
  const config = trace.experiment.lanes.find((l) => l.id === lane.laneId);
  const method = config ? METHODS[config.method.method] : null;
  const extras = Object.entries(token.extra ?? {});
  // A speculative token has no distributions to show (the engine reads back p and q only): its round instead.
  const speculative = config?.method.method === 'speculative' ? speculativeView(token) : null;
  const extrasList =
    extras.length > 0 ? (
      <dl className="inspector-extras" data-testid="decode-inspector-extras">
        {extras.map(([key, value]) => (
          <div key={key}>
            <dt>{key}</dt>
            <dd>{typeof value === 'number' ? Number(value.toPrecision(6)) : value}</dd>
          </div>
        ))}
      </dl>
    ) : null;

  return (
    <section
      ref={section}
      className="subpanel decode-inspector"
      aria-labelledby="decode-inspector-title"
      data-testid="decode-inspector"
      data-lane={laneIndex}
      data-step={token.step}
    >
      <div className="inspector-head">
        <h3 id="decode-inspector-title">
          Lane {laneIndex + 1}
          {method ? ` · ${method.label}` : ''} · step {token.step} ·{' '}
          <code className="inspector-token">{visible(token.piece)}</code>{' '}
          <span className="muted small">id {token.id}</span>
        </h3>
        <div className="inspector-facts small">
          {speculative ? null : (
            <>
              <span title="|V_head|: tokens left by the adaptive plausibility mask (the vocabulary when there is none)">
                |V<sub>head</sub>|{' '}
                <strong data-testid="decode-inspector-vhead">
                  {token.plausibleCount.toLocaleString('en-US')}
                </strong>
              </span>
              <span data-testid="decode-inspector-changed">
                {token.changedByMethod ? (
                  <strong className="changed-yes">changed by the method</strong>
                ) : (
                  <span className="muted">same as the base argmax</span>
                )}
              </span>
            </>
          )}
          {method ? <code className="muted">{method.formula}</code> : null}
        </div>
        <button
          type="button"
          className="button-ghost"
          aria-label="Close the inspector"
          data-testid="decode-inspector-close"
          onClick={() => selectToken(null)}
        >
          Close (Esc)
        </button>
      </div>
      {speculative ? (
        <div className="inspector-body inspector-body-speculative">
          <SpeculativeRound view={speculative} experiment={trace.experiment} pieceOf={pieceOf} />
          {extrasList ? (
            <details className="inspector-all-numbers">
              <summary className="small muted">every number of the record</summary>
              {extrasList}
            </details>
          ) : null}
        </div>
      ) : (
        <div className="inspector-body">
          <div className="inspector-inputs">
            <h4>Inputs</h4>
            <DistortedInputs inputs={lane.inputs} experiment={trace.experiment} upload={upload} />
            {extrasList ? (
              <>
                <h4>Method</h4>
                {extrasList}
              </>
            ) : null}
          </div>
          <div className="inspector-numbers">
            <SummaryTable token={token} />
            <OtherDivergences token={token} />
            <div className="dist-cards">
              {token.components.map((summary, i) => (
                <TopTokens key={i} summary={summary} chosenId={token.id} pieceOf={pieceOf} />
              ))}
              <TopTokens summary={token.combined} chosenId={token.id} pieceOf={pieceOf} combined />
            </div>
          </div>
        </div>
      )}
    </section>
  );
}
