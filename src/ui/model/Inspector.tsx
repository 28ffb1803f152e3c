// Inspecting the current text: the attention map of one (layer, head) and the logit lens (the
// final norm + head applied after every layer) at one position. Each change is one worker request.
import { useState } from 'react';
import { useAppStore } from '../../store';
import type { InspectResult } from '../../worker/modelTypes';
import { AttentionHeatmap } from './AttentionHeatmap';
import { visible } from './GenerateBox';
import './inspector.css';

function Select(props: {
  label: string;
  value: number;
  count: number;
  onChange: (v: number) => void;
  option?: (i: number) => string;
  disabled?: boolean;
}) {
  return (
    <label className="field">
      <span>{props.label}</span>
      <select
        className="text-input"
        aria-label={props.label}
        value={props.value}
        disabled={props.disabled}
        onChange={(e) => props.onChange(Number(e.currentTarget.value))}
      >
        {Array.from({ length: props.count }, (_, i) => (
          <option key={i} value={i}>
            {props.option ? props.option(i) : i}
          </option>
        ))}
      </select>
    </label>
  );
}

function LogitLensTable({ result }: { result: InspectResult }) {
  const next = result.tokens[result.lensPosition + 1];
  const at = result.tokens[result.lensPosition];
  const last = result.lens.length;
  return (
    <div className="lens">
      <div className="small muted lens-caption">
        Next-token predictions after position {result.lensPosition} “{visible(at.piece)}”
        {next ? (
          <>
            {' '}
            (the text continues with <span className="lens-next">{visible(next.piece)}</span>)
          </>
        ) : null}
      </div>
      <table className="lens-table" data-testid="logit-lens">
        <thead>
          <tr>
            <th>Layer</th>
            {result.lens[0].top.map((_, i) => (
              <th key={i}>#{i + 1}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {result.lens.map((row) => (
            <tr key={row.layer} data-testid="lens-row">
              <th className="num">
                {row.layer}
                {row.layer === last ? <span className="muted small"> out</span> : null}
              </th>
              {row.top.map((entry, i) => (
                <td
                  key={i}
                  className={next && entry.id === next.id ? 'lens-cell lens-hit' : 'lens-cell'}
                  title={`id ${entry.id} · p = ${entry.prob.toFixed(4)}`}
                >
                  <span className="lens-bar" style={{ width: `${(entry.prob * 100).toFixed(1)}%` }} />
                  <code className="lens-piece">{visible(entry.piece)}</code>
                  <span className="lens-prob">{entry.prob.toFixed(3)}</span>
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Inspector({ current }: { current: { text: string; tokenIds?: number[] } }) {
  const card = useAppStore((s) => s.model.card);
  const inspection = useAppStore((s) => s.model.inspection);
  const generating = useAppStore((s) => s.model.generation.running);
  const inspect = useAppStore((s) => s.inspect);
  const [layer, setLayer] = useState(0);
  const [head, setHead] = useState(0);
  const [inspected, setInspected] = useState<{ text: string; tokenIds?: number[] } | null>(null);
  if (!card) return null;
  if (!card.capabilities.attention || !card.capabilities.logitLens) {
    return (
      <section className="subpanel inspector" aria-label="Inspector">
        <div className="subpanel-head">
          <h3>Attention and logit lens</h3>
        </div>
        <p className="muted small" data-testid="inspect-unavailable">
          {card.name} gives logits only (
          {card.engine === 'onnx' ? 'an ONNX graph run by onnxruntime-web' : 'its engine'} has no attention or
          logit-lens outputs): load a safetensors model into the WGSL engine to look inside.
        </p>
      </section>
    );
  }
  const result = inspection.result;
  const busy = inspection.running || generating;
  const rerun = (patch: { layer?: number; head?: number; lensPosition?: number }) => {
    if (patch.layer !== undefined) setLayer(patch.layer);
    if (patch.head !== undefined) setHead(patch.head);
    if (inspected === null || !result) return;
    void inspect({ ...inspected, layer, head, lensPosition: result.lensPosition, ...patch });
  };
  const run = () => {
    setInspected(current);
    void inspect({ ...current, layer, head });
  };

  return (
    <section className="subpanel inspector" aria-label="Inspector" data-running={inspection.running}>
      <div className="subpanel-head">
        <h3>Attention and logit lens</h3>
        <div className="inspector-controls">
          <Select
            label="layer"
            value={layer}
            count={card.layers}
            onChange={(v) => rerun({ layer: v })}
            disabled={busy}
          />
          <Select
            label="head"
            value={head}
            count={card.heads}
            onChange={(v) => rerun({ head: v })}
            disabled={busy}
          />
          {result ? (
            <Select
              label="lens position"
              value={result.lensPosition}
              count={result.tokens.length}
              option={(i) => `${i} · ${visible(result.tokens[i].piece)}`}
              onChange={(v) => rerun({ lensPosition: v })}
              disabled={busy}
            />
          ) : null}
          <button
            type="button"
            className="button-primary"
            onClick={run}
            disabled={busy || !current.text.trim()}
          >
            {inspection.running ? 'Inspecting…' : 'Inspect text'}
          </button>
        </div>
      </div>
      <div className="inspect-text small">
        <span className="muted">Text: </span>
        <span data-testid="inspect-text">{result?.text ?? current.text}</span>
        {result && result.droppedTokens > 0 ? (
          <span className="muted">
            {' '}
            (first {result.tokens.length} tokens; {result.droppedTokens} more left out)
          </span>
        ) : null}
      </div>
      {inspection.error ? (
        <p className="inline-error" role="alert" data-testid="inspect-error">
          {inspection.error}
        </p>
      ) : null}
      {result ? (
        <div className="inspect-views">
          <div>
            <h4>
              Attention · layer {result.layer} · head {result.head}
            </h4>
            <AttentionHeatmap tokens={result.tokens} probs={result.attention} />
          </div>
          <div>
            <h4>Logit lens · top-{result.lens[0].top.length} per layer</h4>
            <LogitLensTable result={result} />
          </div>
        </div>
      ) : (
        <p className="muted small">
          Runs one forward over the text with capture: the attention probabilities of the chosen head and, for
          each layer, the next-token distribution read through the final norm and head.
        </p>
      )}
    </section>
  );
}
