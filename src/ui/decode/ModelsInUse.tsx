// The models an experiment runs on, by role: which model, whether it is loaded, and the SHA-256
// prefix of its weights that a share link pins. A default model can be swapped for another; a
// pinned hash that differs from the loaded file is named, and can be re-pinned deliberately. A Hub
// or URL model that is not loaded (a link from someone else) gets a Load button: the Model tab's
// load, with its question before a large download shown here.
import type { ModelRef } from '../../share/experiment';
import { useAppStore } from '../../store';
import { modelAvailability, describeRef, type ModelRole } from '../../store/decodeModels';
import { usesAmateur } from '../../store/decodeExperiment';
import { amateurInUse } from './speculative';
import type { ModelSourceSpec } from '../../worker/modelTypes';
import { SHAPES_MODELS, SHAPES_MODEL_ROLES } from '../../worker/shapesTypes';
import { DownloadCancelledNote, DownloadConfirm } from '../model/DownloadConfirm';
import { LoadProgress } from '../model/LoadModel';

const ROLE_TEXT: Record<ModelRole, string> = {
  main: 'main: every lane’s base distribution',
  amateur: 'amateur: the contrast of CD and LOL',
};

/** The amateur slot's role as the lanes use it: a contrast, a speculative draft, or both. */
function amateurRoleText(use: { contrast: boolean; draft: boolean }): string {
  if (use.draft && use.contrast)
    return 'amateur / draft: the contrast of CD and LOL, the draft of Speculative';
  if (use.draft) return 'draft (amateur slot): proposes the tokens the main model verifies';
  return ROLE_TEXT.amateur;
}

/** The hash a link pins for the weights (the safetensors file, else the first file), shortened. */
function weightsHash(sha256: Record<string, string>): string | null {
  const entries = Object.entries(sha256);
  if (entries.length === 0) return null;
  const weights =
    entries.find(([file]) => file.endsWith('.safetensors') || file.endsWith('.onnx')) ?? entries[0];
  return `${weights[0]} ${weights[1].slice(0, 8)}`;
}

/**
 * How the Model tab loads a Hub or URL ref. An unset revision stays empty (the Hub's main), so the
 * worker's same-source check (decodeSetup.ts) recognises the loaded model as the ref.
 */
function specOf(ref: ModelRef): ModelSourceSpec | null {
  if (ref.source === 'hub') return { kind: 'hub', repo: ref.id, revision: ref.revision ?? '' };
  if (ref.source === 'url') return { kind: 'url', url: ref.id };
  return null;
}

function LoadRefButton({ modelRef, locked }: { modelRef: ModelRef; locked: boolean }) {
  const loadModel = useAppStore((s) => s.loadModel);
  const busy = useAppStore(
    (s) => s.model.status === 'loading' || s.model.generation.running || s.gpu.status !== 'ready',
  );
  const spec = specOf(modelRef);
  if (!spec) return null;
  return (
    <button
      type="button"
      className="button-ghost model-load-button"
      data-testid="decode-model-load"
      disabled={locked || busy}
      title="Loads it into the Model tab (asks first when the download is large)"
      onClick={() => void loadModel(spec)}
    >
      Load {describeRef(modelRef)}
    </button>
  );
}

function ModelRow({
  role,
  modelRef,
  locked,
  roleText = ROLE_TEXT[role],
}: {
  role: ModelRole;
  modelRef: ModelRef | undefined;
  locked: boolean;
  roleText?: string;
}) {
  const shapes = useAppStore((s) => s.shapes);
  const model = useAppStore((s) => s.model);
  const setDecodeModel = useAppStore((s) => s.setDecodeModel);
  const repin = useAppStore((s) => s.repinDecodeModel);
  const available = modelRef ? modelAvailability(modelRef, shapes, model) : null;
  const value = modelRef
    ? modelRef.source === 'default'
      ? modelRef.id
      : `${modelRef.source}:${modelRef.id}`
    : '';
  const choose = (id: string) => {
    if (id !== value) setDecodeModel(role, id === '' ? null : { source: 'default', id, sha256: {} });
  };
  const hash = modelRef ? weightsHash(modelRef.sha256) : null;
  return (
    <li
      className={`model-row model-${available?.status ?? 'none'}`}
      data-testid={`decode-model-${role}`}
      data-status={available?.status ?? 'none'}
    >
      <span className="status-dot" aria-hidden />
      <span className="model-role muted">{roleText}</span>
      <select
        className="text-input"
        aria-label={`${role} model`}
        value={value}
        disabled={locked}
        onChange={(e) => choose(e.currentTarget.value)}
      >
        {role === 'amateur' ? <option value="">none</option> : null}
        {SHAPES_MODELS.map((name) => (
          <option key={name} value={name} title={SHAPES_MODEL_ROLES[name]}>
            {name}
          </option>
        ))}
        {modelRef && modelRef.source !== 'default' ? (
          <option value={value}>
            {modelRef.source} {describeRef(modelRef)}
          </option>
        ) : null}
      </select>
      <code className="model-hash" title={modelRef ? JSON.stringify(modelRef.sha256, null, 1) : undefined}>
        {hash ? `sha ${hash}…` : modelRef ? 'not pinned yet' : ''}
      </code>
      {available?.message ? (
        <span
          className={
            available.status === 'ready' ? 'muted small model-message' : 'field-problem model-message'
          }
        >
          {available.message}
          {available.status === 'mismatch' ? (
            <button type="button" className="link-button" disabled={locked} onClick={() => repin(role)}>
              re-pin to the loaded files
            </button>
          ) : null}
        </span>
      ) : null}
      {modelRef && (available?.status === 'missing' || available?.status === 'mismatch') ? (
        <span className="model-message">
          <LoadRefButton modelRef={modelRef} locked={locked} />
        </span>
      ) : null}
    </li>
  );
}

/** The Model tab's load as seen from here: its progress, question, cancellation or error. */
function RemoteLoad() {
  const error = useAppStore((s) => s.model.error);
  const loading = useAppStore((s) => s.model.status === 'loading');
  return (
    <div className="remote-load" data-testid="decode-remote-load">
      {loading ? <LoadProgress /> : null}
      <DownloadConfirm />
      <DownloadCancelledNote />
      {error ? (
        <p className="field-problem" role="alert" data-testid="decode-model-load-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function ModelsInUse({ locked }: { locked: boolean }) {
  const models = useAppStore((s) => s.decode.experiment.models);
  const contrast = useAppStore((s) => usesAmateur(s.decode.experiment));
  const draft = useAppStore((s) => amateurInUse(s.decode.experiment).draft);
  const remote = [models.main, models.amateur].some((ref) => ref && ref.source !== 'default');
  return (
    <div className="setup-block">
      <h3>Models</h3>
      <ul className="model-rows">
        <ModelRow role="main" modelRef={models.main} locked={locked} />
        <ModelRow
          role="amateur"
          modelRef={models.amateur}
          locked={locked}
          roleText={amateurRoleText({ contrast, draft })}
        />
      </ul>
      {remote ? <RemoteLoad /> : null}
      {models.amateur && !contrast && !draft ? (
        <p className="small muted">
          No lane uses the amateur model (CD and LOL contrast against it; Speculative drafts with it).
        </p>
      ) : null}
    </div>
  );
}
