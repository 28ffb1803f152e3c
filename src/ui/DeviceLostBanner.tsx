// Shown when the browser takes the GPU device away: what happened and how to get it back.
import { useAppStore } from '../store';

export function DeviceLostBanner() {
  const loss = useAppStore((s) => s.gpu.loss);
  const status = useAppStore((s) => s.gpu.status);
  const reconnect = useAppStore((s) => s.reconnect);
  if (!loss) return null;
  const reconnecting = status === 'connecting';
  return (
    <div className="banner banner-lost" role="alert" data-testid="device-lost">
      <div>
        <strong>The GPU device was lost</strong> (reason: <code>{loss.reason}</code>). {loss.message}
        <div className="muted">
          Work that was running stopped with an error; results already shown are kept. This happens when the
          GPU driver resets, the GPU process crashes, or a kernel runs too long.
        </div>
      </div>
      <button
        type="button"
        className="button-primary"
        disabled={reconnecting}
        onClick={() => void reconnect()}
      >
        {reconnecting ? 'Reconnecting…' : 'Reconnect GPU'}
      </button>
    </div>
  );
}
