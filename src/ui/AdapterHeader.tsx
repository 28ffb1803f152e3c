// The header: what this is, whether the GPU is connected, and what the adapter can do.
import type { AdapterSummary } from '../gpu/device';
import { useAppStore, type GpuStatus } from '../store';
import { formatBytes, formatCount } from './format';

const STATUS_LABEL: Record<GpuStatus, string> = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  ready: 'GPU ready',
  error: 'No GPU',
  lost: 'Device lost',
};

/** The limits a researcher checks first: how big a vocabulary or weight matrix fits. */
const KEY_LIMITS: { key: string; label: string; format: (n: number) => string; title: string }[] = [
  {
    key: 'maxStorageBufferBindingSize',
    label: 'Storage binding',
    format: formatBytes,
    title: 'maxStorageBufferBindingSize: the largest tensor one kernel can read',
  },
  { key: 'maxBufferSize', label: 'Max buffer', format: formatBytes, title: 'maxBufferSize' },
  {
    key: 'maxComputeWorkgroupStorageSize',
    label: 'Workgroup memory',
    format: formatBytes,
    title: 'maxComputeWorkgroupStorageSize: shared memory per workgroup',
  },
  {
    key: 'maxComputeInvocationsPerWorkgroup',
    label: 'Invocations / WG',
    format: formatCount,
    title: 'maxComputeInvocationsPerWorkgroup',
  },
  {
    key: 'maxComputeWorkgroupsPerDimension',
    label: 'Workgroups / dim',
    format: formatCount,
    title: 'maxComputeWorkgroupsPerDimension',
  },
];

function Fact({
  label,
  value,
  testId,
  title,
}: {
  label: string;
  value: string;
  testId: string;
  title?: string;
}) {
  return (
    <div className="fact" title={title}>
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}

function Flag({ label, on, testId, title }: { label: string; on: boolean; testId: string; title: string }) {
  return (
    <div className="fact" title={title}>
      <dt>{label}</dt>
      <dd data-testid={testId} className={on ? 'flag flag-on' : 'flag flag-off'}>
        {on ? 'yes' : 'no'}
      </dd>
    </div>
  );
}

function AdapterFacts({ adapter }: { adapter: AdapterSummary }) {
  const name = adapter.description || adapter.device;
  return (
    <dl className="facts" data-testid="adapter">
      <div className="fact fact-adapter" title={name || undefined}>
        <dt>Adapter</dt>
        <dd>
          <span data-testid="adapter-vendor">{adapter.vendor}</span>
          <span className="sep">/</span>
          <span data-testid="adapter-architecture">{adapter.architecture}</span>
          {name ? <span className="muted"> · {name}</span> : null}
          {adapter.isFallbackAdapter ? (
            <span className="tag" title="A software or fallback adapter: correct, but slow">
              fallback
            </span>
          ) : null}
        </dd>
      </div>
      <Flag
        label="shader-f16"
        on={adapter.shaderF16}
        testId="adapter-f16"
        title="Half-precision arithmetic in shaders (feature shader-f16)"
      />
      <Flag
        label="Timestamps"
        on={adapter.timestampQuery}
        testId="adapter-timestamps"
        title="GPU timestamp queries (feature timestamp-query); without them kernel times are wall-clock"
      />
      <Flag
        label="Subgroups"
        on={adapter.features.includes('subgroups')}
        testId="adapter-subgroups"
        title="Subgroup operations in shaders (feature subgroups)"
      />
      {KEY_LIMITS.map(({ key, label, format, title }) => (
        <Fact
          key={key}
          label={label}
          title={title}
          value={format(adapter.limits[key] ?? Number.NaN)}
          testId={`limit-${key}`}
        />
      ))}
    </dl>
  );
}

export function AdapterHeader() {
  const status = useAppStore((s) => s.gpu.status);
  const adapter = useAppStore((s) => s.gpu.adapter);
  return (
    <header className="app-header">
      <div className="container">
        <div className="brand-row">
          <div className="brand">
            <span className="logo" aria-hidden="true">
              L
            </span>
            <h1>LogitLab</h1>
            <span className="tagline">WebGPU playground for decoding-time research</span>
          </div>
          <span className={`status status-${status}`} data-testid="gpu-status" role="status">
            <span className="status-dot" aria-hidden="true" />
            {STATUS_LABEL[status]}
          </span>
        </div>
        {adapter ? (
          <AdapterFacts adapter={adapter} />
        ) : (
          <p className="facts-placeholder">
            {status === 'error' ? 'No GPU adapter in use.' : 'Asking the browser for a GPU adapter…'}
          </p>
        )}
      </div>
    </header>
  );
}
