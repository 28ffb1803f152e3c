// The GPU runtime in real Chromium: device acquisition, error scopes, readback and timing.
// Pipeline cache and device loss have their own files.
import { describe, expect, test } from 'vitest';
import { parseSummary, SUMMARY_WORDS } from '../kernels/logits/layout';
import { RowStatsKernel } from '../kernels/logits/stats';
import { testGpu } from '../testing/gpu';
import { GpuError } from './errors';
import { readBuffer, readFloat32, readUint32, uploadStorage } from './readback';
import { Gpu } from './runtime';
import { timeComputePass } from './timing';
import { settled } from '../testing/async';

const STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

describe('Gpu.create', () => {
  test('gives a live device, a summary with adapter strings, and raised limits', async () => {
    const gpu = await testGpu();
    expect(gpu.device).toBeInstanceOf(GPUDevice);
    expect(gpu.isLost).toBe(false);
    const { summary } = gpu;
    expect(typeof summary.vendor).toBe('string');
    expect(summary.vendor.length).toBeGreaterThan(0);
    expect(typeof summary.architecture).toBe('string');
    expect(summary.architecture.length).toBeGreaterThan(0);
    expect(summary.timestampQuery).toBe(gpu.device.features.has('timestamp-query'));
    expect(summary.shaderF16).toBe(gpu.device.features.has('shader-f16'));
    // Limits are raised to the adapter's maxima, and the summary reports the device's values.
    expect(gpu.device.limits.maxStorageBufferBindingSize).toBe(
      gpu.adapter.limits.maxStorageBufferBindingSize,
    );
    expect(gpu.device.limits.maxComputeWorkgroupStorageSize).toBe(
      gpu.adapter.limits.maxComputeWorkgroupStorageSize,
    );
    expect(summary.limits.maxStorageBufferBindingSize).toBe(gpu.device.limits.maxStorageBufferBindingSize);
    expect(summary.features).toEqual([...gpu.device.features].map(String).sort());
    expect(gpu.device.label).toBe('logitlab');
  });
});

describe('Gpu.checked', () => {
  test('a buffer with invalid usage becomes a GpuError of kind validation, with the label', async () => {
    const gpu = await testGpu();
    const error = await settled(
      gpu.checked('bad-usage', () =>
        // MAP_READ may only be combined with COPY_DST.
        gpu.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE }),
      ),
      'checked(bad-usage)',
    );
    expect(error).toBeInstanceOf(GpuError);
    expect((error as GpuError).kind).toBe('validation');
    expect((error as GpuError).message).toMatch(/^bad-usage: /);
    expect(gpu.takeUncapturedErrors()).toEqual([]);
  });

  test('a bind group with a buffer of the wrong usage becomes a validation GpuError', async () => {
    const gpu = await testGpu();
    const pipeline = await gpu.pipelines.get({
      shader: 'logit-combine.wgsl',
      entryPoint: 'combine',
      constants: { WORKGROUP_SIZE: 64 },
    });
    const storage = gpu.device.createBuffer({ label: 'ok-storage', size: 256, usage: STORAGE() });
    const notStorage = gpu.device.createBuffer({
      label: 'uniform-where-storage-goes',
      size: 256,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    try {
      const error = await settled(
        gpu.checked('wrong-bind-group', () =>
          gpu.device.createBindGroup({
            layout: pipeline.getBindGroupLayout(0),
            entries: [notStorage, storage, storage, notStorage].map((buffer, binding) => ({
              binding,
              resource: { buffer },
            })),
          }),
        ),
        'checked(wrong-bind-group)',
      );
      expect(error).toBeInstanceOf(GpuError);
      expect((error as GpuError).kind).toBe('validation');
      expect((error as GpuError).message).toContain('wrong-bind-group: ');
    } finally {
      storage.destroy();
      notStorage.destroy();
    }
  });

  test('valid work returns its value; a thrown error passes through unchanged', async () => {
    const gpu = await testGpu();
    const buffer = await gpu.checked('good', () =>
      gpu.device.createBuffer({ label: 'checked-good', size: 64, usage: STORAGE() }),
    );
    expect(buffer.size).toBe(64);
    expect(buffer.label).toBe('checked-good');
    buffer.destroy();
    const boom = new Error('not a GPU problem');
    expect(
      await settled(
        gpu.checked('throws', () => Promise.reject(boom)),
        'checked(throws)',
      ),
    ).toBe(boom);
    // The scopes were popped: the next checked call sees only its own errors.
    expect(await gpu.checked('after', async () => 7)).toBe(7);
  });

  test('a validation error outside checked() is collected by takeUncapturedErrors', async () => {
    const gpu = await Gpu.create();
    try {
      gpu.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
      await gpu.device.queue.onSubmittedWorkDone();
      const collected: string[] = [];
      await expect
        .poll(
          () => {
            collected.push(...gpu.takeUncapturedErrors());
            return collected.length;
          },
          { timeout: 10_000 },
        )
        .toBe(1);
      expect(collected[0]).toMatch(/usage/i);
      expect(gpu.takeUncapturedErrors()).toEqual([]);
    } finally {
      gpu.destroy();
    }
  });
});

describe('readback helpers', () => {
  test('float32 data round-trips bit for bit, special values included, with and without a count', async () => {
    const gpu = await testGpu();
    const data = new Float32Array([1.5, -0, NaN, -Infinity, Infinity, 3.4028234663852886e38, 1e-45]);
    const buffer = uploadStorage(gpu, data, 'readback-f32');
    try {
      expect(buffer.size).toBe(32); // 28 bytes padded to a multiple of 16
      const exact = await readFloat32(gpu, buffer, data.length);
      expect(new Uint32Array(exact.buffer)).toEqual(new Uint32Array(data.buffer));
      const whole = await readFloat32(gpu, buffer);
      expect(whole.length).toBe(8);
      expect(new Uint32Array(whole.buffer.slice(0, 28))).toEqual(new Uint32Array(data.buffer));
      expect(Array.from(await readFloat32(gpu, buffer, 2, 3))).toEqual([-Infinity, Infinity]);
    } finally {
      buffer.destroy();
    }
  });

  test('uint32 and int32 data round-trip; byte lengths that are not multiples of 4 are trimmed', async () => {
    const gpu = await testGpu();
    const words = Uint32Array.from({ length: 1001 }, (_, i) => (i * 2654435761) >>> 0);
    const buffer = uploadStorage(gpu, words, 'readback-u32');
    const ints = uploadStorage(gpu, new Int32Array([-1, -2147483648, 2147483647, 0]), 'readback-i32');
    try {
      expect(await readUint32(gpu, buffer, words.length)).toEqual(words);
      expect(await readUint32(gpu, buffer, 3, 998)).toEqual(words.subarray(998));
      const bytes = await readBuffer(gpu, buffer, 4, 6);
      expect(bytes.byteLength).toBe(6);
      expect(Array.from(new Uint8Array(bytes))).toEqual(Array.from(new Uint8Array(words.buffer, 4, 6)));
      expect(Array.from(new Int32Array(await readBuffer(gpu, ints)))).toEqual([
        -1, -2147483648, 2147483647, 0,
      ]);
    } finally {
      buffer.destroy();
      ints.destroy();
    }
  });

  test('staging buffers go back to the pool (repeated reads allocate nothing new)', async () => {
    const gpu = await testGpu();
    const buffer = uploadStorage(gpu, new Float32Array(64).fill(2), 'readback-pool');
    try {
      await readFloat32(gpu, buffer);
      const allocated = gpu.buffers.allocatedBytes;
      for (let i = 0; i < 5; i++) expect((await readFloat32(gpu, buffer))[63]).toBe(2);
      expect(gpu.buffers.allocatedBytes).toBe(allocated);
    } finally {
      buffer.destroy();
    }
  });
});

describe('timeComputePass', () => {
  test('runs the encoded work and reports a finite, non-negative time from the right source', async () => {
    const gpu = await testGpu();
    const vocab = 1000;
    const logits = Float32Array.from({ length: vocab }, (_, i) => Math.sin(i * 0.37) * 4);
    logits[777] = 9;
    const input = uploadStorage(gpu, logits, 'timing-input');
    const summary = gpu.device.createBuffer({
      label: 'timing-summary',
      size: SUMMARY_WORDS * 4,
      usage: STORAGE(),
    });
    const kernel = await RowStatsKernel.create(gpu, 'timing-stats');
    gpu.takeUncapturedErrors();
    try {
      const timed = await timeComputePass(gpu, 'timing-test', (pass) =>
        kernel.encode(pass, input, summary, 1, vocab),
      );
      expect(Number.isFinite(timed.ms)).toBe(true);
      expect(timed.ms).toBeGreaterThanOrEqual(0);
      expect(timed.source).toBe(gpu.summary.timestampQuery ? 'gpu-timestamp' : 'wall-clock');
      // The timed pass did the work.
      const got = parseSummary(await readUint32(gpu, summary), 0);
      expect(got.argmax).toBe(777);
      expect(got.finiteCount).toBe(vocab);
      expect(gpu.takeUncapturedErrors()).toEqual([]);
    } finally {
      kernel.destroy();
      input.destroy();
      summary.destroy();
    }
  });
});
