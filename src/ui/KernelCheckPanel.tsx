// Kernel check: runs every kernel's GPU implementation against its CPU reference on this GPU,
// so a researcher can trust the device before trusting a result.
import { useState } from 'react';
import { useAppStore, type CheckResultState, type CheckStatus } from '../store';
import type { CheckInfo } from '../worker/protocol';
import { formatDuration, formatMs } from './format';
import './checks.css';

const STATUS_TEXT: Record<CheckStatus, string> = {
  idle: 'not run',
  queued: 'queued',
  running: 'running',
  pass: 'pass',
  fail: 'fail',
  'not-run': 'stopped',
};

const IDLE: CheckResultState = { status: 'idle', outcome: null };

function CheckRow({
  check,
  result,
  canRun,
}: {
  check: CheckInfo;
  result: CheckResultState;
  canRun: boolean;
}) {
  const runChecks = useAppStore((s) => s.runChecks);
  const outcome = result.outcome;
  return (
    <tr data-check-id={check.id} data-status={result.status} className={`row-${result.status}`}>
      <td>
        <span className={`badge badge-${result.status}`} data-testid="check-status">
          {STATUS_TEXT[result.status]}
        </span>
      </td>
      <td className="check-name">
        <code>{check.id}</code>
        <div className="muted">{check.description}</div>
      </td>
      <td className="check-detail">{outcome?.detail ?? ''}</td>
      <td className="num" title={outcome ? `timing source: ${outcome.timing}` : undefined}>
        {outcome ? formatMs(outcome.gpuMs) : ''}
        {outcome && outcome.timing === 'wall-clock' && Number.isFinite(outcome.gpuMs) ? (
          <sup className="muted">w</sup>
        ) : null}
      </td>
      <td className="num">{outcome ? formatMs(outcome.cpuMs) : ''}</td>
      <td className="row-action">
        <button
          type="button"
          className="button-ghost"
          disabled={!canRun}
          onClick={() => void runChecks([check.id])}
          aria-label={`Run ${check.id}`}
        >
          Run
        </button>
      </td>
    </tr>
  );
}

function FamilyFilter({
  families,
  value,
  onChange,
}: {
  families: string[];
  value: string | null;
  onChange: (family: string | null) => void;
}) {
  const options: [string | null, string][] = [
    [null, 'All'],
    ...families.map((f): [string, string] => [f, f]),
  ];
  return (
    <div className="segmented" role="group" aria-label="Filter by family">
      {options.map(([family, label]) => (
        <button
          key={label}
          type="button"
          aria-pressed={value === family}
          onClick={() => onChange(family)}
          data-testid={`filter-${family ?? 'all'}`}
        >
          {label}
        </button>
      ))}
    </div>
  );
}

export function KernelCheckPanel() {
  const checks = useAppStore((s) => s.checks);
  const gpuReady = useAppStore((s) => s.gpu.status === 'ready');
  const runChecks = useAppStore((s) => s.runChecks);
  const [family, setFamily] = useState<string | null>(null);

  const families = [...new Set(checks.list.map((c) => c.family))].sort();
  const shown = family === null ? checks.list : checks.list.filter((c) => c.family === family);
  const results = checks.list.map((c) => checks.results[c.id] ?? IDLE);
  const passed = results.filter((r) => r.status === 'pass').length;
  const failed = results.filter((r) => r.status === 'fail').length;
  const finished = passed + failed;
  const wallClock = results.some(
    (r) => r.outcome?.timing === 'wall-clock' && Number.isFinite(r.outcome.gpuMs),
  );
  const canRun = gpuReady && !checks.running && checks.list.length > 0;

  return (
    <section className="panel" aria-labelledby="kernel-check-title" data-running={checks.running}>
      <div className="panel-head">
        <div>
          <h2 id="kernel-check-title">Kernel check</h2>
          <p className="muted">
            Runs each kernel&apos;s WGSL implementation on this GPU and compares it with its CPU reference on
            seeded inputs, including the hard cases (−∞ logits, ties, odd lengths, large vocabularies).
          </p>
        </div>
        <button type="button" className="button-primary" disabled={!canRun} onClick={() => void runChecks()}>
          {checks.running ? 'Running…' : 'Run all checks'}
        </button>
      </div>

      <div className="toolbar">
        <div className="counts" data-testid="check-counts">
          <span>
            <b data-testid="count-total">{checks.list.length}</b> checks
          </span>
          <span className="count-pass">
            <b data-testid="count-passed">{passed}</b> passed
          </span>
          <span className={failed > 0 ? 'count-fail' : undefined}>
            <b data-testid="count-failed">{failed}</b> failed
          </span>
          {checks.running ? (
            <span className="muted" data-testid="check-progress">
              running {Math.min(finished + 1, results.length)} of {results.length}…
            </span>
          ) : checks.summary ? (
            <span className="muted" data-testid="check-elapsed">
              finished in {formatDuration(checks.summary.elapsedMs)}
            </span>
          ) : null}
        </div>
        {families.length > 0 ? (
          <FamilyFilter families={families} value={family} onChange={setFamily} />
        ) : null}
      </div>

      {checks.error ? (
        <p className="inline-error" role="alert" data-testid="check-error">
          The run stopped early: {checks.error}
        </p>
      ) : null}

      {checks.listed && checks.list.length === 0 ? (
        <p className="empty" data-testid="no-checks">
          No kernel checks are registered in this build. Each kernel family adds its checks in{' '}
          <code>src/kernels/&lt;family&gt;/checks.ts</code>; they appear here automatically.
        </p>
      ) : (
        <table className="checks">
          <thead>
            <tr>
              <th>Status</th>
              <th>Check</th>
              <th>Result</th>
              <th className="num">GPU ms</th>
              <th className="num">CPU ref ms</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {shown.map((check) => (
              <CheckRow
                key={check.id}
                check={check}
                result={checks.results[check.id] ?? IDLE}
                canRun={canRun}
              />
            ))}
          </tbody>
        </table>
      )}
      {results.some((r) => r.outcome) ? (
        <p className="footnote muted">
          GPU ms:{' '}
          {wallClock ? (
            <>
              timestamp queries where the adapter has <code>timestamp-query</code>; rows marked <sup>w</sup>{' '}
              are wall-clock from submit to completion, so they include queue latency.
            </>
          ) : (
            'measured with GPU timestamp queries.'
          )}{' '}
          CPU ref ms: the plain TypeScript reference on the same inputs, run in the GPU worker.
        </p>
      ) : null}
    </section>
  );
}
