// Shown with `?debug` in the URL: controls for exercising failure paths by hand and in e2e tests.
import { useAppStore } from '../store';

export function Diagnostics() {
  const ready = useAppStore((s) => s.gpu.status === 'ready');
  const simulateDeviceLoss = useAppStore((s) => s.simulateDeviceLoss);
  return (
    <aside className="diagnostics" aria-label="Diagnostics">
      <span className="muted">Diagnostics</span>
      <button
        type="button"
        className="button-ghost"
        disabled={!ready}
        onClick={() => void simulateDeviceLoss()}
      >
        Simulate device loss
      </button>
    </aside>
  );
}
