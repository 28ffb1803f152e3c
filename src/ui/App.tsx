// The app shell: adapter header, device-loss banner, and the page for the current GPU state:
// tabs for the Shapes world (the landing view), the Decode workbench, the Speculative workbench,
// the Kernel check, the Model panel and the Train workbench (the tab lives in the URL hash: none or
// #shapes, #decode, #speculative, #checks, #model, #train). A tab may carry a payload after a slash:
// `#decode/<link>` is the Decode tab with a shared experiment (src/ui/decode/hashRoute.ts),
// `#speculative/<link>` the Speculative tab with a shared setup (src/ui/speculative/hashRoute.ts).
import { useEffect, useState } from 'react';
import { useAppStore } from '../store';
import { AdapterHeader } from './AdapterHeader';
import { DeviceLostBanner } from './DeviceLostBanner';
import { DecodePanel } from './decode/DecodePanel';
import { isDecodeHash } from './decode/hashRoute';
import { Diagnostics } from './Diagnostics';
import { EvaluatePanel } from './evaluate/EvaluatePanel';
import { isEvaluateHash } from './evaluate/hashRoute';
import { KernelCheckPanel } from './KernelCheckPanel';
import { ModelPanel } from './model/ModelPanel';
import { ShapesPanel } from './shapes/ShapesPanel';
import { isSpeculativeHash } from './speculative/hashRoute';
import { SpeculativePanel } from './speculative/SpeculativePanel';
import { TrainPanel } from './train/TrainPanel';
import { GpuUnavailable, WebGpuMissing } from './WebGpuMissing';

const debug = typeof location !== 'undefined' && new URLSearchParams(location.search).has('debug');

type Tab = 'shapes' | 'decode' | 'speculative' | 'evaluate' | 'checks' | 'model' | 'train';

const HASH_TABS: Record<string, Tab> = {
  '#shapes': 'shapes',
  '#decode': 'decode',
  '#speculative': 'speculative',
  '#evaluate': 'evaluate',
  '#checks': 'checks',
  '#model': 'model',
  '#train': 'train',
};

/**
 * The tab a hash names: exactly (`#model`), or by prefix for the Decode tab, whose hash may carry a
 * share link (`#decode/x1.…`, or the codec's bare `#x1.…`; see src/ui/decode/hashRoute.ts).
 */
function tabOfHash(hash: string): Tab {
  return (
    HASH_TABS[hash] ??
    (isDecodeHash(hash)
      ? 'decode'
      : isSpeculativeHash(hash)
        ? 'speculative'
        : isEvaluateHash(hash)
          ? 'evaluate'
          : 'shapes')
  );
}

const tabFromHash = (): Tab => (typeof location !== 'undefined' ? tabOfHash(location.hash) : 'shapes');

function Tabs({ tab, onChange }: { tab: Tab; onChange: (tab: Tab) => void }) {
  const tabs: [Tab, string][] = [
    ['shapes', 'Shapes'],
    ['decode', 'Decode'],
    ['speculative', 'Speculative'],
    ['evaluate', 'Evaluate'],
    ['checks', 'Kernel check'],
    ['model', 'Model'],
    ['train', 'Train'],
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
    history.replaceState(null, '', next === 'shapes' ? location.pathname + location.search : `#${next}`);
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
        {/* All stay mounted so a running check, generation or training run keeps its view state. */}
        {hasAdapter ? (
          <div hidden={tab !== 'shapes'}>
            <ShapesPanel active={tab === 'shapes'} />
          </div>
        ) : null}
        {hasAdapter ? (
          <div hidden={tab !== 'decode'}>
            <DecodePanel active={tab === 'decode'} />
          </div>
        ) : null}
        {hasAdapter ? (
          <div hidden={tab !== 'speculative'}>
            <SpeculativePanel active={tab === 'speculative'} />
          </div>
        ) : null}
        {hasAdapter ? (
          <div hidden={tab !== 'evaluate'}>
            <EvaluatePanel active={tab === 'evaluate'} />
          </div>
        ) : null}
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
        {hasAdapter ? (
          <div hidden={tab !== 'train'}>
            <TrainPanel />
          </div>
        ) : null}
        {status === 'connecting' && !hasAdapter ? <p className="muted">Starting the GPU worker…</p> : null}
        {debug ? <Diagnostics /> : null}
      </main>
    </div>
  );
}
