// The choice a folder with a Hub ONNX export asks for before it loads: the engine when it also has
// safetensors (the WGSL engine, or onnxruntime-web), the dtype among the decoder files that exist
// (with their sizes, and whether they are cached), and onnxruntime-web's execution provider.
import { useAppStore } from '../../store';
import type { PendingChoice } from '../../store/modelChoice';
import type { OnnxDtype } from '../../model/onnx/layout';
import type { ProviderChoice } from '../../model/onnx/session';
import { formatBytes } from '../format';

const PROVIDERS: [ProviderChoice, string, string][] = [
  [
    'auto',
    'auto',
    'WebGPU on this page’s GPU; the CPU (wasm) when WebGPU cannot run the graph, with a notice',
  ],
  ['webgpu', 'WebGPU', 'WebGPU only: logits stay on the GPU and go straight into the decoding kernels'],
  ['wasm', 'wasm (CPU)', 'The CPU: much slower; logits are uploaded to the GPU once per forward'],
];

function variantLabel(variant: PendingChoice['layout']['onnx'][number]): string {
  const size = variant.bytes === null ? 'size unknown' : formatBytes(variant.bytes);
  const where = variant.from === 'cache' ? ' · cached' : '';
  return `${variant.dtype} · ${size}${where}`;
}

export function LoadChoice() {
  const choice = useAppStore((s) => s.model.choice);
  const edit = useAppStore((s) => s.editChoice);
  const load = useAppStore((s) => s.loadChosen);
  const dismiss = useAppStore((s) => s.dismissChoice);
  const busy = useAppStore((s) => s.model.status === 'loading' || s.gpu.status !== 'ready');
  if (!choice) return null;
  const { layout } = choice;
  const onnx = choice.engine === 'onnx';
  const file = layout.onnx.find((v) => v.dtype === choice.dtype)?.file ?? '';
  return (
    <div className="load-choice" role="group" aria-label="ONNX export" data-testid="onnx-choice">
      <p className="load-choice-head">
        <strong className="download-source">{choice.name}</strong>{' '}
        {layout.safetensors
          ? 'has a safetensors checkpoint and an ONNX export:'
          : 'is an ONNX export (Hugging Face Hub layout), run by onnxruntime-web:'}
      </p>
      {layout.safetensors ? (
        <div className="segmented" role="group" aria-label="Engine">
          <button type="button" aria-pressed={!onnx} onClick={() => edit({ engine: 'wgsl' })}>
            WGSL engine (safetensors)
          </button>
          <button type="button" aria-pressed={onnx} onClick={() => edit({ engine: 'onnx' })}>
            onnxruntime-web (ONNX)
          </button>
        </div>
      ) : null}
      {onnx ? (
        <div className="load-choice-fields">
          <label className="field">
            <span>dtype</span>
            <select
              className="text-input"
              aria-label="ONNX dtype"
              data-testid="onnx-dtype"
              value={choice.dtype}
              onChange={(e) => edit({ dtype: e.currentTarget.value as OnnxDtype })}
            >
              {layout.onnx.map((variant) => (
                <option key={variant.dtype} value={variant.dtype} title={variant.file}>
                  {variantLabel(variant)}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>backend</span>
            <select
              className="text-input"
              aria-label="ONNX backend"
              data-testid="onnx-provider"
              value={choice.provider}
              onChange={(e) => edit({ provider: e.currentTarget.value as ProviderChoice })}
            >
              {PROVIDERS.map(([value, label, title]) => (
                <option key={value} value={value} title={title}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <code className="small muted load-choice-file" title="The decoder file this dtype loads">
            {file}
          </code>
        </div>
      ) : null}
      {layout.complete ? null : (
        <p className="muted small">
          The server did not answer for every file (offline, or HEAD refused): only the files it confirmed or
          the cache holds are listed.
        </p>
      )}
      <div className="download-actions">
        <button
          type="button"
          className="button-primary"
          data-testid="onnx-load"
          disabled={busy}
          onClick={() => void load()}
        >
          Load {onnx ? choice.dtype : 'safetensors'}
        </button>
        <button type="button" className="button-ghost" onClick={dismiss}>
          Cancel
        </button>
      </div>
    </div>
  );
}
