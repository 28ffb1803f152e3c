// Loading a model: a Hub repo id + revision, an https folder URL, or local files (file picker,
// folder picker, or drag-and-drop onto the panel), with per-file progress. What the folder holds is
// read first: a safetensors checkpoint loads at once, a Hub ONNX export offers its dtypes
// (LoadChoice.tsx). "Keep" loads the next model beside the loaded ones (a target/draft pair).
import { useState, type FormEvent } from 'react';
import { useAppStore } from '../../store';
import { formatBytes } from '../format';

type SourceKind = 'hub' | 'url' | 'files';

const KINDS: [SourceKind, string][] = [
  ['files', 'Local files'],
  ['hub', 'Hugging Face Hub'],
  ['url', 'URL'],
];

/** Files from an <input type=file>, with the folder path a folder picker gives them. */
function entriesOf(list: FileList | null): { path: string; file: File }[] {
  return Array.from(list ?? []).map((file) => ({ path: file.webkitRelativePath || file.name, file }));
}

function KeepLoaded({ busy }: { busy: boolean }) {
  const loaded = useAppStore((s) => s.model.loaded);
  const keep = useAppStore((s) => s.model.keepLoaded);
  const setKeep = useAppStore((s) => s.setKeepLoaded);
  if (loaded.length === 0) return null;
  const names = loaded.map((card) => card.name).join(', ');
  return (
    <label className="keep-loaded small" title={`Loaded now: ${names}`}>
      <input
        type="checkbox"
        checked={keep}
        disabled={busy}
        data-testid="model-keep-loaded"
        onChange={(e) => setKeep(e.currentTarget.checked)}
      />
      keep the {loaded.length === 1 ? 'loaded model' : `${loaded.length} loaded models`} and load the next one
      beside {loaded.length === 1 ? 'it' : 'them'} (a target/draft pair); otherwise it replaces{' '}
      {loaded.length === 1 ? 'it' : 'them'}
    </label>
  );
}

export function LoadModel() {
  const choose = useAppStore((s) => s.chooseSource);
  const busy = useAppStore(
    (s) =>
      s.model.status === 'loading' ||
      s.model.detecting !== null ||
      s.model.generation.running ||
      s.gpu.status !== 'ready',
  );
  const [kind, setKind] = useState<SourceKind>('files');
  const [repo, setRepo] = useState('HuggingFaceTB/SmolLM2-135M');
  const [revision, setRevision] = useState('main');
  const [url, setUrl] = useState('');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (kind === 'hub') void choose({ kind: 'hub', repo, revision });
    if (kind === 'url') void choose({ kind: 'url', url });
  };
  const pick = (list: FileList | null) => {
    const files = entriesOf(list);
    if (files.length > 0) void choose({ kind: 'files', files });
  };

  return (
    <form className="load-form" onSubmit={submit} aria-label="Load a model">
      <div className="segmented" role="group" aria-label="Model source">
        {KINDS.map(([value, label]) => (
          <button key={value} type="button" aria-pressed={kind === value} onClick={() => setKind(value)}>
            {label}
          </button>
        ))}
      </div>
      {kind === 'files' ? (
        <div className="load-files">
          <label className="file-button">
            <input
              type="file"
              data-testid="model-folder-input"
              disabled={busy}
              // webkitdirectory is not in React's types; as a plain attribute it selects a folder.
              {...{ webkitdirectory: '' }}
              onChange={(e) => pick(e.currentTarget.files)}
            />
            Choose folder…
          </label>
          <label className="file-button">
            <input
              type="file"
              multiple
              data-testid="model-files-input"
              disabled={busy}
              onChange={(e) => pick(e.currentTarget.files)}
            />
            Choose files…
          </label>
          <span className="muted small">
            or drop a model folder here (config.json, tokenizer.json, and *.safetensors or an ONNX export:
            onnx/decoder_model_merged*.onnx)
          </span>
        </div>
      ) : kind === 'hub' ? (
        <div className="load-row">
          <input
            className="text-input grow"
            aria-label="Hub repo id"
            value={repo}
            onChange={(e) => setRepo(e.target.value)}
            placeholder="owner/name"
            spellCheck={false}
          />
          <input
            className="text-input revision"
            aria-label="Revision"
            value={revision}
            onChange={(e) => setRevision(e.target.value)}
            placeholder="main"
            spellCheck={false}
          />
          <button type="submit" className="button-primary" disabled={busy || !repo.trim()}>
            Load
          </button>
        </div>
      ) : (
        <div className="load-row">
          <input
            className="text-input grow"
            aria-label="Model folder URL"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="https://example.org/models/tiny-gpt2/"
            spellCheck={false}
          />
          <button type="submit" className="button-primary" disabled={busy || !url.trim()}>
            Load
          </button>
        </div>
      )}
      <KeepLoaded busy={busy} />
    </form>
  );
}

export function LoadProgress() {
  const progress = useAppStore((s) => s.model.progress);
  const loading = useAppStore((s) => (s.model.status === 'loading' ? s.model.loading : null));
  const detecting = useAppStore((s) => s.model.detecting);
  const asking = useAppStore((s) => s.model.downloadQuestion !== null);
  if (progress.length === 0 && !loading && !detecting) return null;
  return (
    <div className="load-progress" data-testid="model-progress">
      {detecting ? (
        <div className="muted small" data-testid="model-detecting">
          Reading which files {detecting} holds…
        </div>
      ) : null}
      {loading ? (
        <div className="muted small">
          {asking ? 'Read config.json; waiting for Continue or Cancel…' : `Loading ${loading}…`}
        </div>
      ) : null}
      {progress.map((p) => (
        <div className="progress-row" key={p.file} data-file={p.file}>
          <code className="progress-file" title={p.file}>
            {p.file}
          </code>
          <div className="progress-bar" aria-label={`${p.file} progress`}>
            <div className="progress-fill" style={{ width: `${p.percent ?? 0}%` }} />
          </div>
          <span className="progress-bytes">
            {formatBytes(p.loadedBytes)}
            {p.totalBytes !== null && p.totalBytes !== p.loadedBytes ? ` / ${formatBytes(p.totalBytes)}` : ''}
          </span>
          <span className="progress-percent">{p.percent === null ? '…' : `${Math.floor(p.percent)}%`}</span>
          <span className="progress-from muted">{p.from}</span>
        </div>
      ))}
    </div>
  );
}
