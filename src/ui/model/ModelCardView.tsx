// The model card: what was loaded, its shape, and what it costs on the GPU; file hashes pin it.
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
    ['Weights', `${card.dtype} on GPU · ${card.storedDtypes.join(', ').toLowerCase()} stored`, 'dtype'],
    ['GPU memory', formatBytes(card.gpuBytes), 'gpu-memory'],
  ];
}

export function ModelCardView() {
  const card = useAppStore((s) => s.model.card);
  if (!card) return null;
  return (
    <div className="model-card" data-testid="model-card">
      <div className="model-card-name" data-testid="model-name">
        {card.name}
      </div>
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
      {card.warnings.map((w) => (
        <p key={w} className="small warn-text">
          {w}
        </p>
      ))}
    </div>
  );
}
