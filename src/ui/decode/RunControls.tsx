// Run, Step (one token in every lane; from idle it starts a paused run and steps once), Pause or
// Resume, Stop; the run's status; and the experiment's ways out of the page: the share link (the
// whole experiment in the URL hash) and the trace as a JSON file, exported or imported.
import { useEffect, useState, type ChangeEvent } from 'react';
import { useAppStore } from '../../store';
import { isDecodeActive, runProblem, traceExportable } from '../../store/decodeSlice';
import { shareUrl } from './hashRoute';
import './controls.css';

const STATUS_TEXT: Record<string, string> = {
  idle: 'idle',
  starting: 'starting…',
  running: 'running',
  paused: 'paused',
  done: 'done',
  error: 'failed',
};

function StatusPill() {
  const status = useAppStore((s) => s.decode.status);
  const outcome = useAppStore((s) => s.decode.outcome);
  const source = useAppStore((s) => s.decode.traceSource);
  const stopping = useAppStore((s) => s.decode.stopping);
  const text =
    stopping && isDecodeActive(status)
      ? 'stopping…'
      : status === 'done' && source === 'import'
        ? 'imported trace'
        : status === 'done' && outcome === 'stopped'
          ? 'stopped'
          : STATUS_TEXT[status];
  return (
    <span
      className={`decode-status status-${status}`}
      data-testid="decode-status"
      data-status={status}
      role="status"
    >
      <span className="status-dot" aria-hidden />
      {text}
    </span>
  );
}

function download(text: string, fileName: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = fileName;
  anchor.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function ShareControls({ active, linkable }: { active: boolean; linkable: boolean }) {
  const payload = useAppStore((s) => s.decodeLinkPayload);
  const exportTrace = useAppStore((s) => s.exportDecodeTrace);
  const importTrace = useAppStore((s) => s.importDecodeTrace);
  const canExport = useAppStore((s) => traceExportable(s.decode));
  const [copy, setCopy] = useState<{ state: 'copied' } | { state: 'manual'; url: string } | null>(null);
  // The last link Copy link made (kept after the "copied" note fades): tests read it from data-url.
  const [copied, setCopied] = useState<string | null>(null);
  useEffect(() => {
    if (copy?.state !== 'copied') return;
    const timer = setTimeout(() => setCopy(null), 2000);
    return () => clearTimeout(timer);
  }, [copy]);

  const copyLink = async () => {
    const encoded = payload();
    if (encoded === null) return;
    const url = shareUrl(encoded, location);
    try {
      await navigator.clipboard.writeText(url);
      setCopy({ state: 'copied' });
    } catch {
      setCopy({ state: 'manual', url }); // no clipboard permission: show it to copy by hand
    } finally {
      setCopied(url);
    }
  };
  const onImport = async (event: ChangeEvent<HTMLInputElement>) => {
    const input = event.currentTarget;
    const file = input.files?.[0];
    input.value = '';
    if (file) importTrace(await file.text());
  };
  const onExport = () => {
    const text = exportTrace();
    if (text !== null)
      download(text, `logitlab-trace-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  };

  return (
    <div className="share-controls">
      <button
        type="button"
        className="button-ghost control"
        disabled={!linkable}
        title={linkable ? 'Copy a link that reproduces this experiment' : 'Fix the highlighted fields first'}
        data-testid="decode-copy-link"
        data-url={copied ?? undefined}
        onClick={() => void copyLink()}
      >
        {copy?.state === 'copied' ? 'Link copied ✓' : 'Copy link'}
      </button>
      <button
        type="button"
        className="button-ghost control"
        disabled={!canExport}
        title="Every lane, every token and the inspector's summaries, as JSON"
        data-testid="decode-export"
        onClick={onExport}
      >
        Export trace
      </button>
      <label
        className={`file-button control${active ? ' disabled' : ''}`}
        title="Show a trace file without running it"
      >
        Import trace…
        <input
          type="file"
          accept="application/json,.json"
          disabled={active}
          data-testid="decode-import"
          onChange={(e) => void onImport(e)}
        />
      </label>
      {copy?.state === 'manual' ? (
        <input
          className="text-input share-url"
          readOnly
          value={copy.url}
          aria-label="Share link (the clipboard was not available: copy it from here)"
          data-testid="decode-link-text"
          onFocus={(e) => e.currentTarget.select()}
        />
      ) : null}
    </div>
  );
}

/** `linkable`: no field has a problem, so the experiment can be encoded in a link. */
export function RunControls({ linkable }: { linkable: boolean }) {
  const status = useAppStore((s) => s.decode.status);
  const stopping = useAppStore((s) => s.decode.stopping);
  const blocked = useAppStore(runProblem);
  const run = useAppStore((s) => s.runDecode);
  const step = useAppStore((s) => s.stepDecode);
  const pause = useAppStore((s) => s.pauseDecode);
  const resume = useAppStore((s) => s.resumeDecode);
  const stop = useAppStore((s) => s.stopDecode);
  const active = isDecodeActive(status);
  const canStart = !active && blocked === null;

  return (
    <div className="run-controls">
      <button
        type="button"
        className="button-primary"
        disabled={!canStart}
        data-testid="decode-run"
        onClick={() => void run()}
      >
        Run
      </button>
      <button
        type="button"
        className="button-ghost control"
        disabled={!(status === 'paused' || canStart)}
        title="One token in every lane (starts a paused run when none is running)"
        data-testid="decode-step"
        onClick={() => void step()}
      >
        Step
      </button>
      {status === 'paused' ? (
        <button
          type="button"
          className="button-ghost control"
          data-testid="decode-resume"
          onClick={() => void resume()}
        >
          Resume
        </button>
      ) : (
        <button
          type="button"
          className="button-ghost control"
          disabled={status !== 'running'}
          data-testid="decode-pause"
          onClick={() => void pause()}
        >
          Pause
        </button>
      )}
      <button
        type="button"
        className="button-ghost control"
        disabled={!active || stopping}
        data-testid="decode-stop"
        onClick={() => void stop()}
      >
        Stop
      </button>
      <StatusPill />
      {!active && blocked ? (
        <span className="run-blocked small" data-testid="decode-blocked">
          {blocked}
        </span>
      ) : null}
      <ShareControls active={active} linkable={linkable} />
    </div>
  );
}
