// Run, Step (one round; from idle it starts a paused run and steps once), Pause or Resume, Stop, the
// run's status, and the ways out: the share link (the whole setup in the URL hash) and the engine's
// trace as JSON. Styled as the Decode tab's run controls.
import { useEffect, useState } from 'react';
import { useAppStore } from '../../store';
import { isSpeculativeActive, speculativeRunProblem } from '../../store/speculativeSlice';
import { speculativeShareUrl } from './hashRoute';

const STATUS_TEXT: Record<string, string> = {
  idle: 'idle',
  starting: 'starting…',
  running: 'running',
  paused: 'paused',
  done: 'done',
  error: 'failed',
};

function StatusPill() {
  const status = useAppStore((s) => s.speculative.status);
  const outcome = useAppStore((s) => s.speculative.outcome);
  const stopping = useAppStore((s) => s.speculative.stopping);
  const loading = useAppStore((s) => s.speculative.loading);
  const text =
    stopping && isSpeculativeActive(status)
      ? 'stopping…'
      : status === 'starting' && loading
        ? loading
        : status === 'done' && outcome === 'stopped'
          ? 'stopped'
          : STATUS_TEXT[status];
  return (
    <span
      className={`decode-status status-${status}`}
      data-testid="speculative-status"
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

function ShareControls({ linkable }: { linkable: boolean }) {
  const payload = useAppStore((s) => s.speculativeLinkPayload);
  const exportTrace = useAppStore((s) => s.exportSpeculativeTrace);
  const canExport = useAppStore((s) => s.speculative.trace !== null);
  const [copy, setCopy] = useState<
    { state: 'copied'; url: string } | { state: 'manual'; url: string } | null
  >(null);
  useEffect(() => {
    if (copy?.state !== 'copied') return;
    const timer = setTimeout(() => setCopy(null), 2000);
    return () => clearTimeout(timer);
  }, [copy]);

  const copyLink = async () => {
    const encoded = payload();
    if (encoded === null) return;
    const url = speculativeShareUrl(encoded, location);
    try {
      await navigator.clipboard.writeText(url);
      setCopy({ state: 'copied', url });
    } catch {
      setCopy({ state: 'manual', url }); // no clipboard permission: show it to copy by hand
    }
  };
  const onExport = () => {
    const text = exportTrace();
    if (text !== null)
      download(text, `logitlab-speculative-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  };

  return (
    <div className="share-controls">
      <button
        type="button"
        className="button-ghost control"
        disabled={!linkable}
        title={linkable ? 'Copy a link that reproduces this setup' : 'Fix the highlighted fields first'}
        data-testid="speculative-copy-link"
        data-url={copy?.url}
        onClick={() => void copyLink()}
      >
        {copy?.state === 'copied' ? 'Link copied ✓' : 'Copy link'}
      </button>
      <button
        type="button"
        className="button-ghost control"
        disabled={!canExport}
        title="The engine's trace: every round, token, p and q, both lanes' statistics, as JSON"
        data-testid="speculative-export"
        onClick={onExport}
      >
        Export trace
      </button>
      {copy?.state === 'manual' ? (
        <input
          className="text-input share-url"
          readOnly
          value={copy.url}
          aria-label="Share link (the clipboard was not available: copy it from here)"
          data-testid="speculative-link-text"
          onFocus={(e) => e.currentTarget.select()}
        />
      ) : null}
    </div>
  );
}

export function RunBar({ linkable }: { linkable: boolean }) {
  const status = useAppStore((s) => s.speculative.status);
  const stopping = useAppStore((s) => s.speculative.stopping);
  const blocked = useAppStore(speculativeRunProblem);
  const run = useAppStore((s) => s.runSpeculative);
  const step = useAppStore((s) => s.stepSpeculative);
  const pause = useAppStore((s) => s.pauseSpeculative);
  const resume = useAppStore((s) => s.resumeSpeculative);
  const stop = useAppStore((s) => s.stopSpeculative);
  const active = isSpeculativeActive(status);
  const canStart = !active && blocked === null;
  return (
    <div className="run-controls">
      <button
        type="button"
        className="button-primary"
        disabled={!canStart}
        data-testid="speculative-run"
        onClick={() => void run()}
      >
        Run
      </button>
      <button
        type="button"
        className="button-ghost control"
        disabled={!(status === 'paused' || canStart)}
        title="One draft/verify round (starts a paused run when none is running)"
        data-testid="speculative-step"
        onClick={() => void step()}
      >
        Step
      </button>
      {status === 'paused' ? (
        <button
          type="button"
          className="button-ghost control"
          data-testid="speculative-resume"
          onClick={() => void resume()}
        >
          Resume
        </button>
      ) : (
        <button
          type="button"
          className="button-ghost control"
          disabled={status !== 'running'}
          data-testid="speculative-pause"
          onClick={() => void pause()}
        >
          Pause
        </button>
      )}
      <button
        type="button"
        className="button-ghost control"
        disabled={!active || stopping}
        data-testid="speculative-stop"
        onClick={() => void stop()}
      >
        Stop
      </button>
      <StatusPill />
      {!active && blocked ? (
        <span className="run-blocked small" data-testid="speculative-blocked">
          {blocked}
        </span>
      ) : null}
      <ShareControls linkable={linkable} />
    </div>
  );
}
