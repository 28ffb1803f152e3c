// Creating an onnxruntime-web session on our GPUDevice, with the fallback to the CPU (wasm)
// provider and errors that say what failed. The factory is injected so the decisions are tested
// without onnxruntime (session.test.ts); runtime.ts provides the real one.
import type { InferenceSession } from 'onnxruntime-web/webgpu';
import { ModelLoadError, formatBytes } from '../loading/errors';
import type { DecoderLayout } from './layout';

export type SessionOptions = InferenceSession.SessionOptions;
export type SessionFactory = (bytes: Uint8Array, options: SessionOptions) => Promise<InferenceSession>;

/** 'auto': WebGPU, else wasm with a notice; the others insist. */
export type ProviderChoice = 'auto' | 'webgpu' | 'wasm';
export type Provider = 'webgpu' | 'wasm';

export interface OpenedSession {
  session: InferenceSession;
  provider: Provider;
  /** Set when the model runs on another provider than asked: the UI shows it as is. */
  notice: string | null;
}

export interface OpenSessionOptions {
  /** Our device: the WebGPU provider must use it, or its buffers could not reach our kernels. */
  device: GPUDevice;
  /** For messages: "onnx/decoder_model_merged.onnx". */
  file: string;
  provider?: ProviderChoice;
  externalData?: { path: string; data: Uint8Array }[];
}

const OUT_OF_MEMORY =
  /out of memory|\bOOM\b|bad_alloc|could not allocate|failed to allocate|allocation failed|Array buffer allocation/i;

function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

export function isOutOfMemory(cause: unknown): boolean {
  return OUT_OF_MEMORY.test(messageOf(cause));
}

/** A ModelLoadError for a session that could not be created. */
export function sessionError(
  file: string,
  bytes: number,
  failures: { provider: Provider; cause: unknown }[],
): ModelLoadError {
  const details = failures.map((f) => `${f.provider}: ${messageOf(f.cause)}`).join('; ');
  if (failures.some((f) => isOutOfMemory(f.cause))) {
    return new ModelLoadError(
      'too-large',
      `${file} (${formatBytes(bytes)}) does not fit in memory (${details}): choose a smaller dtype (q4) or a smaller ` +
        'model, release other models, or close other tabs',
      file,
    );
  }
  return new ModelLoadError(
    'format',
    `onnxruntime-web could not create a session for ${file} (${details}): the file is corrupt, truncated, or uses ` +
      'operators onnxruntime-web 1.30 does not run; re-download it or choose another dtype',
    file,
  );
}

function optionsFor(
  provider: Provider,
  device: GPUDevice,
  externalData: OpenSessionOptions['externalData'],
): SessionOptions {
  return {
    executionProviders: provider === 'webgpu' ? [{ name: 'webgpu', device }] : ['wasm'],
    // Outputs (logits and the KV cache) stay on the GPU: our kernels read them where they are.
    preferredOutputLocation: provider === 'webgpu' ? 'gpu-buffer' : 'cpu',
    graphOptimizationLevel: 'all',
    ...(externalData && externalData.length > 0 ? { externalData } : {}),
  };
}

export async function openSession(
  factory: SessionFactory,
  bytes: Uint8Array,
  options: OpenSessionOptions,
): Promise<OpenedSession> {
  const choice = options.provider ?? 'auto';
  const order: Provider[] = choice === 'auto' ? ['webgpu', 'wasm'] : [choice];
  const failures: { provider: Provider; cause: unknown }[] = [];
  for (const provider of order) {
    try {
      const session = await factory(bytes, optionsFor(provider, options.device, options.externalData));
      const notice =
        choice === 'auto' && provider === 'wasm'
          ? `onnxruntime-web could not run ${options.file} on WebGPU (${messageOf(failures[0].cause)}); it runs on ` +
            'the CPU (wasm provider) instead: much slower, and its logits are uploaded to the GPU once per forward'
          : null;
      return { session, provider, notice };
    } catch (cause) {
      failures.push({ provider, cause });
    }
  }
  throw sessionError(options.file, bytes.length, failures);
}

/**
 * Why onnxruntime's WebGPU provider cannot run a graph with float16 inputs or outputs on `device`,
 * or null when it can. Its kernels refuse float16 without the `shader-f16` feature, and only at
 * the first run ("Program Cast requires f16 but the device does not support it"); asking here turns
 * that into a refusal at load time. (Our own f16-to-f32 kernel needs no such feature.)
 */
export function webGpuHalfProblem(
  layout: Pick<DecoderLayout, 'cacheType' | 'logitsType'>,
  device: Pick<GPUDevice, 'features'>,
  file: string,
): string | null {
  if (device.features.has('shader-f16')) return null;
  const half = [
    layout.logitsType === 'float16' ? 'logits' : '',
    layout.cacheType === 'float16' ? 'KV cache' : '',
  ].filter(Boolean);
  if (half.length === 0) return null;
  return (
    `${file} has float16 ${half.join(' and ')}, and onnxruntime-web's WebGPU provider runs float16 ` +
    "only on GPUs with the 'shader-f16' feature, which this one lacks"
  );
}
