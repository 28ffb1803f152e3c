// Adapter and device acquisition with actionable errors, and device-loss handling.
import { GpuError } from './errors';

export interface GpuRequirements {
  /** Features the caller cannot work without. */
  requiredFeatures?: GPUFeatureName[];
  /** Limits the caller needs at least (numeric limits only). */
  requiredLimits?: Partial<Record<keyof GPUSupportedLimits, number>>;
  powerPreference?: GPUPowerPreference;
}

/** Features we turn on whenever the adapter has them. */
const OPTIONAL_FEATURES: GPUFeatureName[] = ['timestamp-query', 'shader-f16', 'subgroups'];

/** Limits we raise to the adapter's maximum: big vocabularies and weight matrices need them. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxStorageBuffersPerShaderStage',
] as const;

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  features: string[];
  shaderF16: boolean;
  timestampQuery: boolean;
  limits: Record<string, number>;
}

export interface AcquiredDevice {
  adapter: GPUAdapter;
  device: GPUDevice;
  summary: AdapterSummary;
}

function gpuOrThrow(): GPU {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) {
    throw new GpuError(
      'no-webgpu',
      'This browser does not expose WebGPU (navigator.gpu is missing). Use a recent Chrome or Chromium ' +
        '(113 or newer) on a secure origin (https or localhost). On Linux, start Chromium with ' +
        '--enable-unsafe-webgpu (and --enable-features=Vulkan) if WebGPU is still disabled.',
    );
  }
  return gpu;
}

export function summarizeAdapter(adapter: GPUAdapter, device?: GPUDevice): AdapterSummary {
  const info = adapter.info;
  const source = device?.limits ?? adapter.limits;
  const limits: Record<string, number> = {};
  for (const key of [
    ...RAISED_LIMITS,
    'maxComputeWorkgroupsPerDimension',
    'maxComputeWorkgroupSizeY',
    'maxBindGroups',
  ] as const) {
    limits[key] = source[key];
  }
  const features = [...(device?.features ?? adapter.features)].map(String).sort();
  return {
    vendor: info.vendor || 'unknown',
    architecture: info.architecture || 'unknown',
    device: info.device || '',
    description: info.description || '',
    isFallbackAdapter: Boolean((info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter),
    features,
    shaderF16: features.includes('shader-f16'),
    timestampQuery: features.includes('timestamp-query'),
    limits,
  };
}

/** Requests an adapter and a device with raised limits; errors say exactly what is missing. */
export async function acquireDevice(requirements: GpuRequirements = {}): Promise<AcquiredDevice> {
  const gpu = gpuOrThrow();
  const adapter = await gpu.requestAdapter({
    powerPreference: requirements.powerPreference ?? 'high-performance',
  });
  if (!adapter) {
    throw new GpuError(
      'no-adapter',
      'WebGPU is present but no GPU adapter is available. The GPU may be blocklisted or disabled: ' +
        'check chrome://gpu, update the graphics driver, or start Chromium with --enable-unsafe-webgpu.',
    );
  }
  for (const feature of requirements.requiredFeatures ?? []) {
    if (!adapter.features.has(feature)) {
      throw new GpuError(
        'missing-feature',
        `This GPU adapter (${adapter.info.vendor || 'unknown vendor'} ${adapter.info.architecture || ''}) ` +
          `lacks the WebGPU feature "${feature}", which this task requires. Try another browser or GPU.`,
      );
    }
  }
  const requiredLimits: Record<string, number> = {};
  for (const key of RAISED_LIMITS) requiredLimits[key] = adapter.limits[key];
  for (const [key, wanted] of Object.entries(requirements.requiredLimits ?? {})) {
    const available = adapter.limits[key as keyof GPUSupportedLimits] as number | undefined;
    if (typeof available !== 'number' || available < (wanted as number)) {
      throw new GpuError(
        'missing-limit',
        `This GPU adapter allows ${key} = ${available ?? 'undefined'}, but ${wanted} is required. ` +
          'Use a GPU with larger limits or a smaller model/vocabulary.',
      );
    }
    requiredLimits[key] = Math.max(requiredLimits[key] ?? 0, wanted as number);
  }
  const requiredFeatures = [
    ...new Set([
      ...(requirements.requiredFeatures ?? []),
      ...OPTIONAL_FEATURES.filter((f) => adapter.features.has(f)),
    ]),
  ];
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ label: 'logitlab', requiredFeatures, requiredLimits });
  } catch (cause) {
    throw new GpuError(
      'no-adapter',
      `The adapter refused to create a device: ${(cause as Error).message}. Reload the page; if it persists, check chrome://gpu.`,
    );
  }
  return { adapter, device, summary: summarizeAdapter(adapter, device) };
}
