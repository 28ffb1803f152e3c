// The question before a large download (issue 8, "a size warning"; issue 6, a link naming a large
// remote model): what would be downloaded, what is already cached, the GPU memory it needs, and
// Continue / Cancel. Inline, not window.confirm: the worker's load waits for the answer, and the
// same box shows in the Model tab and in the Decode workbench's models area.
import { useAppStore } from '../../store';
import type { DownloadQuestion } from '../../worker/modelTypes';
import { formatBytes } from '../format';

/** Each file with its size and whether it is already cached (collapsed: the total says enough). */
function FileList({ files }: { files: DownloadQuestion['files'] }) {
  return (
    <details className="download-files">
      <summary>{files.length === 1 ? '1 file' : `${files.length} files`}</summary>
      <ul>
        {files.map((f) => (
          <li key={f.file}>
            <code>{f.file}</code>
            <span className="muted">
              {f.bytes === null ? 'size unknown' : formatBytes(f.bytes)}
              {f.cached ? ' · cached' : ''}
            </span>
          </li>
        ))}
      </ul>
    </details>
  );
}

export function DownloadConfirm() {
  const question = useAppStore((s) => s.model.downloadQuestion);
  const answer = useAppStore((s) => s.answerDownload);
  if (!question) return null;
  const cached = question.cachedBytes > 0 ? ` (${formatBytes(question.cachedBytes)} already cached)` : '';
  return (
    <div
      className="download-confirm"
      role="alertdialog"
      aria-label="Large download"
      data-testid="download-confirm"
    >
      <p className="download-summary" data-testid="download-summary">
        <strong className="download-source">{question.source}</strong> needs about{' '}
        <strong>{formatBytes(question.bytes)}</strong> to download{cached}; GPU memory about{' '}
        {formatBytes(question.gpuBytes)}.
      </p>
      {question.exact ? null : (
        <p className="muted small">
          The server did not give every file&rsquo;s size: the download size is estimated from config.json.
        </p>
      )}
      <div className="download-actions">
        <button type="button" className="button-primary" onClick={() => void answer(true)}>
          Continue
        </button>
        <button type="button" className="button-ghost" onClick={() => void answer(false)}>
          Cancel
        </button>
        <FileList files={question.files} />
      </div>
    </div>
  );
}

/** After Cancel: a note, not an error; the model loaded before (if any) is still loaded. */
export function DownloadCancelledNote() {
  const cancelled = useAppStore((s) => s.model.downloadCancelled);
  const card = useAppStore((s) => s.model.card);
  if (!cancelled) return null;
  return (
    <p className="download-cancelled muted small" role="status" data-testid="download-cancelled">
      Download cancelled: {cancelled.source} was not loaded, and no weights were downloaded.
      {card ? ` ${card.name} is still loaded.` : ''}
    </p>
  );
}
