// The app shell: adapter header, device-loss banner, and the page for the current GPU state.
import { useAppStore } from '../store';
import { AdapterHeader } from './AdapterHeader';
import { DeviceLostBanner } from './DeviceLostBanner';
import { Diagnostics } from './Diagnostics';
import { KernelCheckPanel } from './KernelCheckPanel';
import { GpuUnavailable, WebGpuMissing } from './WebGpuMissing';

const debug = typeof location !== 'undefined' && new URLSearchParams(location.search).has('debug');

export function App() {
  const status = useAppStore((s) => s.gpu.status);
  const errorKind = useAppStore((s) => s.gpu.error?.kind);
  const hasAdapter = useAppStore((s) => s.gpu.adapter !== null);
  return (
    <div className="app">
      <AdapterHeader />
      <main className="content">
        <DeviceLostBanner />
        {status === 'error' && errorKind === 'no-webgpu' ? <WebGpuMissing /> : null}
        {status === 'error' && errorKind !== 'no-webgpu' ? <GpuUnavailable /> : null}
        {hasAdapter ? <KernelCheckPanel /> : null}
        {status === 'connecting' && !hasAdapter ? <p className="muted">Starting the GPU worker…</p> : null}
        {debug ? <Diagnostics /> : null}
      </main>
    </div>
  );
}
