// The model card: what was loaded, by which engine, its shape, what it costs on the GPU and what it
// can give beyond logits; file hashes pin it. The wasm fallback's notice shows here as it is. The
// other models the Model tab keeps are listed under it.
import { useAppStore } from '../../store';
import type { ModelCard } from '../../worker/modelTypes';
import { formatBytes, formatCount } from '../format';

/** 124_439_808 → "124.4 M", 27_584 → "27.6 K". */
export function formatParameters(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return String(n);
}

function rows(card: ModelCard): [string, string, string][] {
  const vocab =
    card.tokenizerVocabSize === card.vocabSize
      ? formatCount(card.vocabSize)
      : `${formatCount(card.vocabSize)} (tokenizer ${formatCount(card.tokenizerVocabSize)})`;
  return [
    ['Architecture', `${card.architecture} (${card.modelType})`, 'architecture'],
    ['Parameters', formatParameters(card.parameterCount), 'parameters'],
    ['Layers', String(card.layers), 'layers'],
    [
      'Heads',
      card.kvHeads === card.heads ? String(card.heads) : `${card.heads} (KV ${card.kvHeads})`,
      'heads',
    ],
    ['Hidden size', `${card.hiddenSize} (head dim ${card.headDim})`, 'hidden'],
    ['Vocabulary', vocab, 'vocab'],
    ['Context', formatCount(card.maxPositions), 'context'],
    ['Engine', engineText(card), 'engine'],
    ['Weights', weightsText(card), 'dtype'],
    ['GPU memory', formatBytes(card.gpuBytes), 'gpu-memory'],
  ];
}

function engineText(card: ModelCard): string {
  if (card.engine !== 'onnx' || !card.onnx) return 'WGSL';
  const provider = card.onnx.provider === 'webgpu' ? 'WebGPU' : 'wasm (CPU)';
  return `onnxruntime-web · ${provider}`;
}

function weightsText(card: ModelCard): string {
  if (card.engine === 'onnx' && card.onnx) {
    const where = card.onnx.provider === 'webgpu' ? 'on GPU' : 'on CPU';
    return `ONNX ${card.onnx.dtype} ${where}`;
  }
  return `${card.dtype} on GPU · ${card.storedDtypes.join(', ').toLowerCase()} stored`;
}

const CAPABILITY_NAMES: [keyof ModelCard['capabilities'], string][] = [
  ['fork', 'fork'],
  ['truncate', 'truncate'],
  ['hiddenStates', 'hidden states'],
  ['logitLens', 'logit lens'],
  ['attention', 'attention'],
  ['images', 'images'],
  ['trainable', 'training'],
];

/** What the model gives beyond logits; the methods that need a missing one refuse it by name. */
function Capabilities({ card }: { card: ModelCard }) {
  const has = CAPABILITY_NAMES.filter(([key]) => card.capabilities[key]).map(([, name]) => name);
  const lacks = CAPABILITY_NAMES.filter(([key]) => !card.capabilities[key]).map(([, name]) => name);
  return (
    <p className="small card-capabilities" data-testid="card-capabilities">
      <span className="muted">Gives </span>
      {['logits', ...has].join(', ')}
      {lacks.length > 0 ? (
        <span
          className="muted"
          title="Methods that need these (DoLa, LOL and contrastive search: hidden states and the logit lens; Inspect: attention) refuse this model and say so"
        >
          {' '}
          · not {lacks.join(', ')}
        </span>
      ) : null}
    </p>
  );
}

/** The other models the Model tab holds (kept beside the active one). */
function AlsoLoaded({ active }: { active: ModelCard }) {
  const loaded = useAppStore((s) => s.model.loaded);
  const others = loaded.filter((card) => card !== active);
  if (others.length === 0) return null;
  return (
    <div className="also-loaded small" data-testid="also-loaded">
      <span className="muted">
        Also loaded, for Decode and Speculative setups that name them (Generate uses the one above):{' '}
      </span>
      {others.map((card, i) => (
        <span
          key={`${card.name}-${i}`}
          className="also-loaded-model"
          title={Object.entries(card.fileHashes)
            .map(([f, h]) => `${f} ${h}`)
            .join('\n')}
        >
          {card.name}
          <span className="muted">
            {' '}
            ({engineText(card)}
            {card.onnx ? ` ${card.onnx.dtype}` : ''})
          </span>
        </span>
      ))}
    </div>
  );
}

export function ModelCardView() {
  const card = useAppStore((s) => s.model.card);
  if (!card) return null;
  return (
    <div className="model-card" data-testid="model-card">
      <div className="model-card-name" data-testid="model-name">
        {card.name}
      </div>
      {card.onnx?.notice ? (
        <p className="onnx-notice" role="status" data-testid="onnx-notice">
          {card.onnx.notice}
        </p>
      ) : null}
      <dl className="card-grid">
        {rows(card).map(([label, value, id]) => (
          <div key={id}>
            <dt>{label}</dt>
            <dd data-testid={`card-${id}`}>{value}</dd>
          </div>
        ))}
      </dl>
      <details className="hashes">
        <summary>SHA-256 of {Object.keys(card.fileHashes).length} files</summary>
        <table>
          <tbody>
            {card.files.map((f) => (
              <tr key={f.file}>
                <td>
                  <code>{f.file}</code>
                </td>
                <td className="num muted">{formatBytes(f.bytes)}</td>
                <td>
                  <code className="hash">{card.fileHashes[f.file]}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
      <Capabilities card={card} />
      {card.warnings.map((w) => (
        <p key={w} className="small warn-text">
          {w}
        </p>
      ))}
      <AlsoLoaded active={card} />
    </div>
  );
}
