// The one place that imports onnxruntime-web: its WebGPU build (which also runs the wasm provider),
// configured once. The .wasm binary is served by Vite from node_modules (`?url`): the bundled
// glue would otherwise look for it next to the pre-bundled module, where it is not.
import * as ort from 'onnxruntime-web/webgpu';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import type { SessionFactory, SessionOptions } from './session';

export { ort };

let configured = false;

/** The onnxruntime-web module, with paths and threads set for this page. */
export function onnxRuntime(): typeof ort {
  if (!configured) {
    configured = true;
    ort.env.wasm.wasmPaths = { wasm: wasmUrl };
    // Threaded wasm needs cross-origin isolation (COOP/COEP); without it one thread works.
    if (!globalThis.crossOriginIsolated) ort.env.wasm.numThreads = 1;
    ort.env.logLevel = 'error';
  }
  return ort;
}

let creating: Promise<unknown> = Promise.resolve();

/**
 * Creates sessions one at a time: the WebGPU provider refuses to start a session while another is
 * being created ("another WebGPU EP inference session is being created").
 */
export const createOrtSession: SessionFactory = (bytes: Uint8Array, options: SessionOptions) => {
  const runtime = onnxRuntime();
  const next = creating.then(() => runtime.InferenceSession.create(bytes, options));
  creating = next.catch(() => undefined);
  return next;
};
