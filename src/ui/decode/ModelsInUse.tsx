// The models an experiment runs on, by role: which model, whether it is loaded, and the SHA-256
// prefix of its weights that a share link pins. A default model can be swapped for another; a
// pinned hash that differs from the loaded file is named, and can be re-pinned deliberately.
import type { ModelRef } from '../../share/experiment';
import { useAppStore } from '../../store';
import { modelAvailability, describeRef, type ModelRole } from '../../store/decodeModels';
import { usesAmateur } from '../../store/decodeExperiment';
import { SHAPES_MODELS, SHAPES_MODEL_ROLES } from '../../worker/shapesTypes';

const ROLE_TEXT: Record<ModelRole, string> = {
  main: 'main: every lane’s base distribution',
  amateur: 'amateur: the contrast of CD and LOL',
};

/** The hash a link pins for the weights (the safetensors file, else the first file), shortened. */
function weightsHash(sha256: Record<string, string>): string | null {
  const entries = Object.entries(sha256);
  if (entries.length === 0) return null;
  const weights =
    entries.find(([file]) => file.endsWith('.safetensors') || file.endsWith('.onnx')) ?? entries[0];
  return `${weights[0]} ${weights[1].slice(0, 8)}`;
}

function ModelRow({
  role,
  modelRef,
  locked,
}: {
  role: ModelRole;
  modelRef: ModelRef | undefined;
  locked: boolean;
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
      <span className="model-role muted">{ROLE_TEXT[role]}</span>
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
    </li>
  );
}

export function ModelsInUse({ locked }: { locked: boolean }) {
  const models = useAppStore((s) => s.decode.experiment.models);
  const needsAmateur = useAppStore((s) => usesAmateur(s.decode.experiment));
  return (
    <div className="setup-block">
      <h3>Models</h3>
      <ul className="model-rows">
        <ModelRow role="main" modelRef={models.main} locked={locked} />
        <ModelRow role="amateur" modelRef={models.amateur} locked={locked} />
      </ul>
      {models.amateur && !needsAmateur ? (
        <p className="small muted">No lane uses the amateur model (CD and LOL do).</p>
      ) : null}
    </div>
  );
}
