// The app shell: adapter header, device-loss banner, and the page for the current GPU state:
// tabs for the Kernel check and the Model panel (the tab lives in the URL hash: #model).
import { useEffect, useState } from 'react';
import { useAppStore } from '../store';
import { AdapterHeader } from './AdapterHeader';
import { DeviceLostBanner } from './DeviceLostBanner';
import { Diagnostics } from './Diagnostics';
import { KernelCheckPanel } from './KernelCheckPanel';
import { ModelPanel } from './model/ModelPanel';
import { GpuUnavailable, WebGpuMissing } from './WebGpuMissing';

const debug = typeof location !== 'undefined' && new URLSearchParams(location.search).has('debug');

type Tab = 'checks' | 'model';

const tabFromHash = (): Tab =>
  typeof location !== 'undefined' && location.hash === '#model' ? 'model' : 'checks';

function Tabs({ tab, onChange }: { tab: Tab; onChange: (tab: Tab) => void }) {
  const tabs: [Tab, string][] = [
    ['checks', 'Kernel check'],
    ['model', 'Model'],
  ];
  return (
    <div className="tabs" role="tablist" aria-label="Views">
      {tabs.map(([value, label]) => (
        <button
          key={value}
          type="button"
          role="tab"
          aria-selected={tab === value}
          data-testid={`tab-${value}`}
          onClick={() => onChange(value)}
        >
          {label}
        </button>
      ))}
    </div>
  );
}

export function App() {
  const status = useAppStore((s) => s.gpu.status);
  const errorKind = useAppStore((s) => s.gpu.error?.kind);
  const hasAdapter = useAppStore((s) => s.gpu.adapter !== null);
  const [tab, setTab] = useState<Tab>(tabFromHash);
  useEffect(() => {
    const follow = () => setTab(tabFromHash());
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, []);
  const choose = (next: Tab) => {
    history.replaceState(null, '', next === 'model' ? '#model' : location.pathname + location.search);
    setTab(next);
  };
  return (
    <div className="app">
      <AdapterHeader />
      <main className="content">
        <DeviceLostBanner />
        {status === 'error' && errorKind === 'no-webgpu' ? <WebGpuMissing /> : null}
        {status === 'error' && errorKind !== 'no-webgpu' ? <GpuUnavailable /> : null}
        {hasAdapter ? <Tabs tab={tab} onChange={choose} /> : null}
        {/* Both stay mounted so a running check or generation keeps its view state. */}
        {hasAdapter ? (
          <div hidden={tab !== 'checks'}>
            <KernelCheckPanel />
          </div>
        ) : null}
        {hasAdapter ? (
          <div hidden={tab !== 'model'}>
            <ModelPanel />
          </div>
        ) : null}
        {status === 'connecting' && !hasAdapter ? <p className="muted">Starting the GPU worker…</p> : null}
        {debug ? <Diagnostics /> : null}
      </main>
    </div>
  );
}
