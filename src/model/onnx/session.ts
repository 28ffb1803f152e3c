// Creating an onnxruntime-web session on our GPUDevice, with the fallback to the CPU (wasm)
// provider and errors that say what failed; and the decoder's session checked against its layout
// (openDecoder). The factory is injected so the decisions are tested without onnxruntime
// (session.test.ts); runtime.ts provides the real one.
import type { InferenceSession } from 'onnxruntime-web/webgpu';
import { ModelLoadError, formatBytes } from '../loading/errors';
import {
  batchingOf,
  matchDecoderLayout,
  type DecoderLayout,
  type GraphValue,
  type TokenInput,
} from './layout';
import type { LoadedOnnxFolder } from './loadOnnxFolder';

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
    // Errors only: onnxruntime's warnings (nodes placed on the CPU) would reach console.error.
    logSeverityLevel: 3,
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
 * or null when it can (`otherHalfValues`: further float16 values by name, e.g. inputs_embeds). Its kernels refuse float16 without the `shader-f16` feature, and only at
 * the first run ("Program Cast requires f16 but the device does not support it"); asking here turns
 * that into a refusal at load time. (Our own f16-to-f32 kernel needs no such feature.)
 */
export function webGpuHalfProblem(
  layout: Pick<DecoderLayout, 'cacheType' | 'logitsType'>,
  device: Pick<GPUDevice, 'features'>,
  file: string,
  otherHalfValues: readonly string[] = [],
): string | null {
  if (device.features.has('shader-f16')) return null;
  const half = [
    layout.logitsType === 'float16' ? 'logits' : '',
    layout.cacheType === 'float16' ? 'KV cache' : '',
    ...otherHalfValues,
  ].filter(Boolean);
  if (half.length === 0) return null;
  return (
    `${file} has float16 ${half.join(' and ')}, and onnxruntime-web's WebGPU provider runs float16 ` +
    "only on GPUs with the 'shader-f16' feature, which this one lacks"
  );
}

export type Session = Awaited<ReturnType<SessionFactory>>;

/** A session's inputs or outputs as layout.ts reads them. */
export function graphValues(metadata: Session['inputMetadata']): GraphValue[] {
  return metadata.map((m) =>
    m.isTensor
      ? {
          name: m.name,
          type: m.type,
          shape: m.shape.map((d) => (typeof d === 'number' || typeof d === 'string' ? d : null)),
        }
      : { name: m.name, type: null, shape: null },
  );
}

/** What the decoder session needs of a loaded folder. */
export type DecoderFolder = Pick<
  LoadedOnnxFolder,
  'name' | 'config' | 'dtype' | 'fileHashes' | 'decoderFile' | 'decoderBytes' | 'externalData'
>;

/** A decoder session checked against its layout, on the provider that runs it. */
export interface OpenedDecoder {
  session: Session;
  layout: DecoderLayout;
  /** 'webgpu': outputs on our device; 'wasm': on the CPU. */
  provider: Provider;
  /** Set when the model runs on another provider than asked. */
  notice: string | null;
  batching: 'padded' | 'equal-lengths';
}

/**
 * Creates the decoder session (WebGPU on `device`, or wasm) and checks the graph's names
 * against the decoder_model_merged layout; a refused graph's session is released before the error
 * is thrown. A float16 graph on a GPU without `shader-f16` (which onnxruntime's WebGPU kernels need
 * for float16) is refused at once when WebGPU was asked for, and runs on wasm with a notice in 'auto'.
 */
export async function openDecoder(
  factory: SessionFactory,
  device: GPUDevice,
  folder: DecoderFolder,
  options: { provider?: ProviderChoice; fallbackNotice?: string },
  tokenInput: TokenInput,
): Promise<OpenedDecoder> {
  const opened = await openSession(factory, folder.decoderBytes, {
    device,
    file: folder.decoderFile,
    provider: options.provider,
    externalData: folder.externalData,
  });
  const { session, provider } = opened;
  let halfProblem: string | null = null;
  try {
    const layout = matchDecoderLayout(
      folder.config,
      graphValues(session.inputMetadata),
      graphValues(session.outputMetadata),
      folder.decoderFile,
      tokenInput,
    );
    if (provider === 'webgpu') {
      const embeds = layout.embedsType === 'float16' ? ['inputs_embeds'] : [];
      halfProblem = webGpuHalfProblem(layout, device, folder.decoderFile, embeds);
    }
    if (halfProblem && (options.provider ?? 'auto') !== 'auto') {
      throw new ModelLoadError(
        'format',
        `${halfProblem}: choose a dtype with float32 outputs (fp32, q8 or q4) or the wasm provider`,
        folder.decoderFile,
      );
    }
    if (!halfProblem) {
      return {
        session,
        layout,
        provider,
        notice: options.fallbackNotice ?? opened.notice,
        batching: batchingOf(layout, folder.decoderBytes),
      };
    }
  } catch (cause) {
    await session.release().catch(() => undefined);
    throw cause;
  }
  await session.release().catch(() => undefined);
  return openDecoder(
    factory,
    device,
    folder,
    {
      ...options,
      provider: 'wasm',
      fallbackNotice: `${halfProblem}; it runs on the CPU (wasm provider) instead: much slower, and its logits are uploaded to the GPU once per forward`,
    },
    tokenInput,
  );
}
