// acquireDevice against a faked navigator.gpu: every failure is a GpuError with an actionable
// message, and the success path asks for the adapter's maximum limits and optional features.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { acquireDevice } from './device';
import { GpuError } from './errors';
import { pipelineKey } from './pipelines';

const ADAPTER_LIMITS = {
  maxStorageBufferBindingSize: 1 << 30,
  maxBufferSize: 2 ** 31,
  maxComputeWorkgroupStorageSize: 32_768,
  maxComputeInvocationsPerWorkgroup: 1024,
  maxComputeWorkgroupSizeX: 1024,
  maxComputeWorkgroupSizeY: 1024,
  maxComputeWorkgroupsPerDimension: 65_535,
  maxStorageBuffersPerShaderStage: 10,
  maxBindGroups: 4,
};

interface FakeAdapterOptions {
  features?: string[];
  limits?: Partial<typeof ADAPTER_LIMITS>;
  refuseDevice?: string;
}

function fakeAdapter({ features = [], limits = {}, refuseDevice }: FakeAdapterOptions = {}) {
  const adapterLimits = { ...ADAPTER_LIMITS, ...limits };
  const requestDevice = vi.fn(async (descriptor: GPUDeviceDescriptor) => {
    if (refuseDevice) throw new Error(refuseDevice);
    const limitsGranted = { ...adapterLimits, ...(descriptor.requiredLimits as Record<string, number>) };
    return {
      label: descriptor.label,
      features: new Set(descriptor.requiredFeatures ?? []),
      limits: limitsGranted,
    } as unknown as GPUDevice;
  });
  const adapter = {
    features: new Set(features),
    limits: adapterLimits,
    info: { vendor: 'acme', architecture: 'rdna9', device: 'ACME 9000', description: 'fake adapter' },
    requestDevice,
  };
  // Only the members acquireDevice reads are faked.
  return { adapter: adapter as unknown as GPUAdapter, requestDevice };
}

function stubGpu(adapter: GPUAdapter | null) {
  const requestAdapter = vi.fn(async () => adapter);
  vi.stubGlobal('navigator', { gpu: { requestAdapter } });
  return requestAdapter;
}

/** The GpuError acquireDevice rejects with (fails the test if it resolves or throws another type). */
async function failure(promise: Promise<unknown>): Promise<GpuError> {
  const error = await promise.then(
    () => null,
    (cause: unknown) => cause,
  );
  expect(error).toBeInstanceOf(GpuError);
  return error as GpuError;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('acquireDevice failures', () => {
  test('no navigator at all -> no-webgpu', async () => {
    vi.stubGlobal('navigator', undefined);
    const error = await failure(acquireDevice());
    expect(error.kind).toBe('no-webgpu');
    expect(error.name).toBe('GpuError');
  });

  test('navigator without gpu -> no-webgpu, saying what to use instead', async () => {
    vi.stubGlobal('navigator', { userAgent: 'test' });
    const error = await failure(acquireDevice());
    expect(error.kind).toBe('no-webgpu');
    expect(error.message).toContain('navigator.gpu is missing');
    expect(error.message).toContain('Chrome');
    expect(error.message).toContain('--enable-unsafe-webgpu');
  });

  test('requestAdapter resolves null -> no-adapter, pointing at chrome://gpu', async () => {
    const requestAdapter = stubGpu(null);
    const error = await failure(acquireDevice());
    expect(error.kind).toBe('no-adapter');
    expect(error.message).toContain('no GPU adapter');
    expect(error.message).toContain('chrome://gpu');
    expect(requestAdapter).toHaveBeenCalledWith({ powerPreference: 'high-performance' });
  });

  test('the power preference is passed through', async () => {
    const requestAdapter = stubGpu(null);
    await failure(acquireDevice({ powerPreference: 'low-power' }));
    expect(requestAdapter).toHaveBeenCalledWith({ powerPreference: 'low-power' });
  });

  test('a missing required feature -> missing-feature naming it and the adapter', async () => {
    const { adapter, requestDevice } = fakeAdapter({ features: ['timestamp-query'] });
    stubGpu(adapter);
    const error = await failure(acquireDevice({ requiredFeatures: ['timestamp-query', 'shader-f16'] }));
    expect(error.kind).toBe('missing-feature');
    expect(error.message).toContain('"shader-f16"');
    expect(error.message).toContain('acme rdna9');
    expect(requestDevice).not.toHaveBeenCalled();
  });

  test('a required limit above the adapter -> missing-limit naming the limit and both numbers', async () => {
    const { adapter, requestDevice } = fakeAdapter({ limits: { maxStorageBufferBindingSize: 134_217_728 } });
    stubGpu(adapter);
    const error = await failure(
      acquireDevice({ requiredLimits: { maxStorageBufferBindingSize: 268_435_456 } }),
    );
    expect(error.kind).toBe('missing-limit');
    expect(error.message).toContain('maxStorageBufferBindingSize = 134217728');
    expect(error.message).toContain('but 268435456 is required');
    expect(requestDevice).not.toHaveBeenCalled();
  });

  test('a limit the adapter does not know -> missing-limit saying undefined', async () => {
    const { adapter } = fakeAdapter();
    stubGpu(adapter);
    const requiredLimits = { maxImaginaryThings: 4 } as unknown as Partial<
      Record<keyof GPUSupportedLimits, number>
    >;
    const error = await failure(acquireDevice({ requiredLimits }));
    expect(error.kind).toBe('missing-limit');
    expect(error.message).toContain('maxImaginaryThings = undefined, but 4 is required');
  });

  test('requestDevice rejecting -> no-adapter carrying the cause', async () => {
    const { adapter } = fakeAdapter({ refuseDevice: 'out of device slots' });
    stubGpu(adapter);
    const error = await failure(acquireDevice());
    expect(error.kind).toBe('no-adapter');
    expect(error.message).toContain('out of device slots');
  });
});

describe('acquireDevice success', () => {
  test('raises limits to the adapter maxima and enables the optional features it has', async () => {
    const { adapter, requestDevice } = fakeAdapter({
      features: ['timestamp-query', 'shader-f16', 'subgroups', 'float32-filterable'],
    });
    stubGpu(adapter);
    const acquired = await acquireDevice();
    expect(acquired.adapter).toBe(adapter);
    expect(requestDevice).toHaveBeenCalledTimes(1);
    const descriptor = requestDevice.mock.calls[0][0];
    expect(descriptor.label).toBe('logitlab');
    expect([...(descriptor.requiredFeatures ?? [])].sort()).toEqual([
      'shader-f16',
      'subgroups',
      'timestamp-query',
    ]);
    expect(descriptor.requiredLimits).toEqual({
      maxStorageBufferBindingSize: ADAPTER_LIMITS.maxStorageBufferBindingSize,
      maxBufferSize: ADAPTER_LIMITS.maxBufferSize,
      maxComputeWorkgroupStorageSize: ADAPTER_LIMITS.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: ADAPTER_LIMITS.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: ADAPTER_LIMITS.maxComputeWorkgroupSizeX,
      maxStorageBuffersPerShaderStage: ADAPTER_LIMITS.maxStorageBuffersPerShaderStage,
    });
    expect(acquired.summary).toMatchObject({
      vendor: 'acme',
      architecture: 'rdna9',
      device: 'ACME 9000',
      description: 'fake adapter',
      isFallbackAdapter: false,
      shaderF16: true,
      timestampQuery: true,
      features: ['shader-f16', 'subgroups', 'timestamp-query'],
    });
    expect(acquired.summary.limits.maxStorageBufferBindingSize).toBe(1 << 30);
    expect(acquired.summary.limits.maxBindGroups).toBe(4);
  });

  test('asks for no optional feature the adapter lacks', async () => {
    const { adapter, requestDevice } = fakeAdapter({ features: ['subgroups'] });
    stubGpu(adapter);
    const acquired = await acquireDevice();
    expect(requestDevice.mock.calls[0][0].requiredFeatures).toEqual(['subgroups']);
    expect(acquired.summary.timestampQuery).toBe(false);
    expect(acquired.summary.shaderF16).toBe(false);
  });

  test('required features are requested once each, with the optional ones', async () => {
    const { adapter, requestDevice } = fakeAdapter({ features: ['timestamp-query', 'float32-filterable'] });
    stubGpu(adapter);
    await acquireDevice({ requiredFeatures: ['float32-filterable', 'timestamp-query'] });
    expect(requestDevice.mock.calls[0][0].requiredFeatures).toEqual([
      'float32-filterable',
      'timestamp-query',
    ]);
  });

  test('a satisfiable required limit outside the raised set is passed through', async () => {
    const { adapter, requestDevice } = fakeAdapter();
    stubGpu(adapter);
    await acquireDevice({ requiredLimits: { maxBindGroups: 3, maxBufferSize: 1024 } });
    const limits = requestDevice.mock.calls[0][0].requiredLimits as Record<string, number>;
    expect(limits.maxBindGroups).toBe(3);
    // Asking for less than the maximum never lowers a raised limit.
    expect(limits.maxBufferSize).toBe(ADAPTER_LIMITS.maxBufferSize);
  });

  test('empty adapter info strings fall back to "unknown"', async () => {
    const { adapter } = fakeAdapter();
    Object.assign(adapter.info, { vendor: '', architecture: '' });
    stubGpu(adapter);
    const { summary } = await acquireDevice();
    expect(summary.vendor).toBe('unknown');
    expect(summary.architecture).toBe('unknown');
  });
});

describe('pipelineKey', () => {
  test('does not depend on the order of override constants', () => {
    const a = pipelineKey({
      shader: 's.wgsl',
      entryPoint: 'main',
      constants: { WORKGROUP_SIZE: 256, TILE: 4 },
    });
    const b = pipelineKey({
      shader: 's.wgsl',
      entryPoint: 'main',
      constants: { TILE: 4, WORKGROUP_SIZE: 256 },
    });
    expect(a).toBe(b);
    expect(a).toBe('s.wgsl:main{TILE=4,WORKGROUP_SIZE=256}');
  });

  test('distinguishes shader, entry point and constant values; no constants equals {}', () => {
    const base = { shader: 's.wgsl', entryPoint: 'main', constants: { WORKGROUP_SIZE: 256 } };
    const keys = new Set([
      pipelineKey(base),
      pipelineKey({ ...base, shader: 't.wgsl' }),
      pipelineKey({ ...base, entryPoint: 'other' }),
      pipelineKey({ ...base, constants: { WORKGROUP_SIZE: 128 } }),
      pipelineKey({ ...base, constants: undefined }),
    ]);
    expect(keys.size).toBe(5);
    expect(pipelineKey({ shader: 's.wgsl', entryPoint: 'main' })).toBe(
      pipelineKey({ shader: 's.wgsl', entryPoint: 'main', constants: {} }),
    );
  });
});
