// What the page shows when there is no usable GPU: no WebGPU at all, or no adapter/device.
import { useAppStore } from '../store';

export function WebGpuMissing() {
  return (
    <section className="panel notice" role="alert" data-testid="webgpu-missing">
      <h2>WebGPU is not available in this browser</h2>
      <p>
        LogitLab runs every kernel and model on your GPU through WebGPU, and this browser does not expose it (
        <code>navigator.gpu</code> is missing). Nothing was run.
      </p>
      <p>What to do:</p>
      <ul>
        <li>
          Open the page in <b>Chrome or Chromium 113 or newer</b> (desktop). Other browsers may not have
          WebGPU turned on yet.
        </li>
        <li>
          Serve it over <b>https or from localhost</b>: WebGPU only exists in secure contexts.
        </li>
        <li>
          On Linux, start Chromium with <code>--enable-unsafe-webgpu --enable-features=Vulkan</code>.
        </li>
        <li>
          Check <code>chrome://gpu</code>: the WebGPU line should not say “disabled”.
        </li>
      </ul>
    </section>
  );
}

/** WebGPU exists but acquiring a device failed (no adapter, missing feature or limit, crash). */
export function GpuUnavailable() {
  const error = useAppStore((s) => s.gpu.error);
  const connect = useAppStore((s) => s.connect);
  if (!error) return null;
  return (
    <section className="panel notice" role="alert" data-testid="gpu-error">
      <h2>Could not start the GPU</h2>
      <p data-testid="gpu-error-message">{error.message}</p>
      <button type="button" className="button-primary" onClick={() => void connect()}>
        Try again
      </button>
    </section>
  );
}
