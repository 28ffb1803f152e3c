// The four default models and where each stands: loading (with bytes), loaded (size, and the
// short SHA-256 of its weights, which share links will pin), or why it failed.
import { useAppStore } from '../../store';
import type { ShapesModelState } from '../../store';
import { SHAPES_MODEL_ROLES, SHAPES_MODELS, type ShapesModelName } from '../../worker/shapesTypes';
import { formatBytes, formatCount } from '../format';

function detail(model: ShapesModelState): string {
  if (model.status === 'ready' && model.card) {
    const c = model.card;
    const hash = c.fileHashes['model.safetensors']?.slice(0, 8);
    return (
      `${formatCount(c.parameterCount)} params · ${c.layers} layer${c.layers === 1 ? '' : 's'} · d ${c.hiddenSize}` +
      (hash ? ` · sha ${hash}` : '')
    );
  }
  if (model.status === 'loading') {
    const loaded = model.progress.reduce((sum, p) => sum + p.loadedBytes, 0);
    return `loading… ${formatBytes(loaded)}`;
  }
  if (model.status === 'error') return model.error ?? 'failed';
  return 'waiting';
}

function ModelRow({ name }: { name: ShapesModelName }) {
  const model = useAppStore((s) => s.shapes.models[name]);
  return (
    <li
      className={`shapes-model shapes-model-${model.status}`}
      data-testid={`shapes-model-${name}`}
      data-status={model.status}
    >
      <span className="status-dot" aria-hidden />
      <code className="shapes-model-name">{name}</code>
      <span className="muted">{SHAPES_MODEL_ROLES[name]}</span>
      <span className="shapes-model-detail" title={detail(model)}>
        {detail(model)}
      </span>
    </li>
  );
}

export function DefaultModels() {
  return (
    <div className="shapes-block">
      <div className="shapes-block-head">
        <h3>Default models</h3>
        <span className="muted small">served with the app from public/models/ · no network</span>
      </div>
      <ul className="shapes-models">
        {SHAPES_MODELS.map((name) => (
          <ModelRow key={name} name={name} />
        ))}
      </ul>
    </div>
  );
}
