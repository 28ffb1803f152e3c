// The Evaluate workbench (issue 10): hallucination benchmarks (POPE, CHAIR) on the Shapes world for
// any set of Decode lanes, run in the GPU worker with a progress bar and ETA, cancellable; the
// results table with bootstrap intervals and differences to the baseline, charts, worst cases that
// open in Decode; a copyable #evaluate link, JSON and CSV downloads, and the saved results (kept
// across reloads in IndexedDB, src/evaluate/storage-browser.ts).
import { useEffect, useRef, useState } from 'react';
import { evaluationCsv, serializeEvaluation, type EvaluationResult } from '../../evaluate';
import { useAppStore } from '../../store';
import { evaluationProblems, isEvaluationActive } from '../../store/evaluateSlice';
import { BenchmarksEditor } from './BenchmarksEditor';
import { EvaluateResults } from './EvaluateResults';
import { evaluateHash, evaluateLinkPayload } from './hashRoute';
import { formatDuration } from './format';
import { LanesEditor } from './LanesEditor';
import { placeProblems } from './problems';
import '../decode/decode.css';
import '../decode/controls.css';
import '../decode/lanes.css';
import './evaluate.css';

function download(name: string, type: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const fileStem = (result: EvaluationResult) =>
  `logitlab-evaluation-${result.environment.createdAt.replace(/[:.]/g, '-')}`;

/** Opens `#evaluate/<payload>` on load and on hashchange (a payload this page wrote is not reopened). */
function useEvaluateLink(active: boolean) {
  const load = useAppStore((s) => s.loadEvaluationLink);
  const seenRef = useRef<string | null>(null);
  useEffect(() => {
    const open = () => {
      const payload = evaluateLinkPayload(location.hash);
      if (payload === null || payload === seenRef.current) return;
      seenRef.current = payload;
      load(payload);
    };
    open();
    window.addEventListener('hashchange', open);
    return () => window.removeEventListener('hashchange', open);
  }, [load, active]);
  return seenRef;
}

function Progress() {
  const { status, progress } = useAppStore((s) => s.evaluate);
  if (!isEvaluationActive(status) && status !== 'cancelled') return null;
  const fraction = progress ? progress.done / progress.total : 0;
  return (
    <div className="eval-progress" data-testid="eval-progress">
      <progress max={1} value={fraction} aria-label="Evaluation progress" />
      <span className="small">
        {progress
          ? `${progress.done} / ${progress.total} examples · ${formatDuration(progress.elapsedMs)} elapsed · ${progress.etaMs === null ? 'ETA …' : `ETA ${formatDuration(progress.etaMs)}`}`
          : 'loading models and planning…'}
        {status === 'cancelling' ? ' · cancelling…' : status === 'cancelled' ? ' · cancelled' : ''}
      </span>
    </div>
  );
}

function Saved() {
  const { saved, resultId, status } = useAppStore((s) => s.evaluate);
  const open = useAppStore((s) => s.openSavedEvaluation);
  const remove = useAppStore((s) => s.removeSavedEvaluation);
  if (saved.length === 0) return null;
  return (
    <details className="eval-saved" data-testid="eval-saved" open>
      <summary className="small">Saved results ({saved.length})</summary>
      <ul>
        {saved.map((entry) => (
          <li key={entry.id} className={entry.id === resultId ? 'eval-saved-current' : undefined}>
            <button
              type="button"
              className="button-ghost control"
              disabled={isEvaluationActive(status)}
              onClick={() => void open(entry.id)}
              data-testid="eval-saved-open"
            >
              {new Date(entry.createdAt).toLocaleString()} ·{' '}
              <span title={`Main model, loaded from ${entry.modelSource}`} data-testid="eval-saved-model">
                {entry.model}
              </span>{' '}
              · {entry.lanes.join(', ')} · {entry.benchmarks.join('+')}
            </button>
            <button
              type="button"
              className="button-ghost control"
              onClick={() => void remove(entry.id)}
              aria-label="Remove this saved result"
            >
              ×
            </button>
          </li>
        ))}
      </ul>
    </details>
  );
}

export function EvaluatePanel({ active }: { active: boolean }) {
  const state = useAppStore((s) => s.evaluate);
  const gpuReady = useAppStore((s) => s.gpu.status === 'ready');
  const setConfig = useAppStore((s) => s.setEvaluationConfig);
  const run = useAppStore((s) => s.runEvaluation);
  const cancel = useAppStore((s) => s.cancelEvaluation);
  const linkPayload = useAppStore((s) => s.evaluationLinkPayload);
  const refreshSaved = useAppStore((s) => s.refreshSavedEvaluations);
  const importEvaluation = useAppStore((s) => s.importEvaluation);
  const dismiss = useAppStore((s) => s.dismissEvaluationError);
  const [copied, setCopied] = useState<string | null>(null);
  const seenRef = useEvaluateLink(active);
  useEffect(() => void refreshSaved(), [refreshSaved]);
  const { config, status, result, error } = state;
  const locked = isEvaluationActive(status);
  const problems = evaluationProblems(config);
  const placed = placeProblems(config, problems);
  const copyLink = async () => {
    const payload = linkPayload();
    if (!payload) return;
    seenRef.current = payload;
    history.replaceState(null, '', evaluateHash(payload));
    const url = location.href;
    try {
      await navigator.clipboard.writeText(url);
      setCopied('Link copied.');
    } catch {
      setCopied('Copy the address bar: it is the link.');
    }
  };
  return (
    <section
      className="panel evaluate-panel"
      aria-labelledby="evaluate-panel-title"
      data-status={status}
      data-testid="eval-panel"
    >
      <div className="panel-head">
        <h2 id="evaluate-panel-title">Evaluate</h2>
        <p className="muted">
          POPE and CHAIR on held-out Shapes scenes for any Decode lanes, with bootstrap intervals over scenes
          and the paired difference to the first lane. Model:{' '}
          {config.models.main.source === 'default'
            ? `default ${config.models.main.id}`
            : config.models.main.id}
          .
        </p>
      </div>
      {error ? (
        <div className="decode-banner" role="alert" data-testid="eval-error">
          <span>{error}</span>
          <button type="button" className="button-ghost control" onClick={dismiss}>
            Dismiss
          </button>
        </div>
      ) : null}
      <LanesEditor
        lanes={config.lanes}
        locked={locked}
        problems={placed.byField}
        onChange={(lanes) => setConfig((c) => ({ ...c, lanes }))}
      />
      <BenchmarksEditor config={config} locked={locked} problems={placed.byField} onChange={setConfig} />
      {problems.length > 0 ? (
        <ul className="eval-problems small" data-testid="eval-problems">
          {placed.byField.size > 0 ? (
            <li className="field-problem">
              {placed.byField.size === 1 ? 'A field above needs' : `${placed.byField.size} fields above need`}{' '}
              fixing before a run.
            </li>
          ) : null}
          {placed.unplaced.map((p) => (
            <li key={p} className="field-problem">
              {p}
            </li>
          ))}
        </ul>
      ) : null}
      <div className="run-controls">
        <button
          type="button"
          className="button-primary"
          data-testid="eval-run"
          disabled={locked || !gpuReady || problems.length > 0}
          onClick={() => void run()}
        >
          Run evaluation
        </button>
        <button
          type="button"
          className="button-ghost control"
          data-testid="eval-cancel"
          disabled={status !== 'running'}
          onClick={() => void cancel()}
        >
          Cancel
        </button>
        <button
          type="button"
          className="button-ghost control"
          data-testid="eval-copy-link"
          disabled={problems.length > 0}
          onClick={() => void copyLink()}
        >
          Copy link
        </button>
        <button
          type="button"
          className="button-ghost control"
          data-testid="eval-export-json"
          disabled={!result}
          onClick={() =>
            result && download(`${fileStem(result)}.json`, 'application/json', serializeEvaluation(result))
          }
        >
          Export JSON
        </button>
        <button
          type="button"
          className="button-ghost control"
          data-testid="eval-export-csv"
          disabled={!result}
          onClick={() => result && download(`${fileStem(result)}.csv`, 'text/csv', evaluationCsv(result))}
        >
          Export CSV
        </button>
        <label className="button-ghost control small">
          Import JSON
          <input
            type="file"
            accept="application/json,.json"
            hidden
            disabled={locked}
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              if (file) void file.text().then(importEvaluation);
              e.currentTarget.value = '';
            }}
          />
        </label>
        <span className="decode-status small" data-testid="eval-status" data-status={status}>
          {status}
        </span>
        {copied ? <span className="muted small">{copied}</span> : null}
      </div>
      <Progress />
      {result ? <EvaluateResults result={result} /> : null}
      <Saved />
    </section>
  );
}
