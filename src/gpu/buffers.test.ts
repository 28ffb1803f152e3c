// BufferPool with a fake device: only createBuffer is used, so plain objects stand in for buffers.
import { describe, expect, test, vi } from 'vitest';
import { bucketSize, BufferPool } from './buffers';

const MiB = 1 << 20;
// GPUBufferUsage is a browser global; these are its numeric values.
const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const MAP_READ = 0x01;

interface FakeBuffer {
  size: number;
  usage: number;
  label: string;
  destroy: ReturnType<typeof vi.fn>;
}

function fakeDevice() {
  const created: FakeBuffer[] = [];
  const createBuffer = vi.fn((descriptor: GPUBufferDescriptor) => {
    const buffer: FakeBuffer = {
      size: descriptor.size,
      usage: descriptor.usage,
      label: descriptor.label ?? '',
      destroy: vi.fn(),
    };
    created.push(buffer);
    return buffer;
  });
  // The pool only calls createBuffer; the cast is the fake's whole point.
  const device = { createBuffer } as unknown as GPUDevice;
  return { device, created, createBuffer };
}

const asFake = (buffer: GPUBuffer) => buffer as unknown as FakeBuffer;

describe('bucketSize', () => {
  test.each([
    [0, 256],
    [1, 256],
    [255, 256],
    [256, 256],
    [257, 512],
    [1000, 1024],
    [1024, 1024],
    [1025, 2048],
    [50_257 * 4, 262_144],
    [MiB + 1, 2 * MiB],
    [33 * MiB, 64 * MiB],
    [64 * MiB, 64 * MiB],
    [64 * MiB + 1, 65 * MiB],
    [64 * MiB + 4, 65 * MiB],
    [100 * MiB, 100 * MiB],
    [100 * MiB + 3, 101 * MiB],
    [151_936 * 4 * 200, 116 * MiB],
  ])('%i bytes -> %i', (bytes, bucket) => {
    expect(bucketSize(bytes)).toBe(bucket);
  });

  test('is at least the request, at least 256, a multiple of 4 and never smaller for a larger request', () => {
    let previous = 0;
    for (let bytes = 0; bytes <= 200 * MiB; bytes = bytes < 4096 ? bytes + 1 : Math.floor(bytes * 1.37) + 3) {
      const bucket = bucketSize(bytes);
      expect(bucket, `${bytes}`).toBeGreaterThanOrEqual(Math.max(bytes, 256));
      expect(bucket % 4, `${bytes}`).toBe(0);
      expect(bucket, `${bytes}`).toBeGreaterThanOrEqual(previous);
      if (bucket <= 64 * MiB) expect(Math.log2(bucket) % 1, `${bytes}`).toBe(0);
      else expect(bucket % MiB, `${bytes}`).toBe(0);
      previous = bucket;
    }
  });
});

describe('BufferPool', () => {
  test('creates a bucket-sized, labelled buffer and counts its bytes', () => {
    const { device, createBuffer } = fakeDevice();
    const pool = new BufferPool(device);
    const buffer = asFake(pool.acquire(1000, STORAGE, 'logits'));
    expect(createBuffer).toHaveBeenCalledWith({ size: 1024, usage: STORAGE, label: 'logits' });
    expect(buffer).toMatchObject({ size: 1024, usage: STORAGE, label: 'logits' });
    expect(pool.allocatedBytes).toBe(1024);
  });

  test('reuses a released buffer of the same usage and bucket, relabelled', () => {
    const { device, createBuffer } = fakeDevice();
    const pool = new BufferPool(device);
    const first = pool.acquire(1000, STORAGE, 'first');
    pool.release(first);
    const second = pool.acquire(700, STORAGE, 'second');
    expect(second).toBe(first);
    expect(second.label).toBe('second');
    expect(createBuffer).toHaveBeenCalledTimes(1);
    expect(pool.allocatedBytes).toBe(1024);
  });

  test('does not hand out a live buffer twice', () => {
    const { device, createBuffer } = fakeDevice();
    const pool = new BufferPool(device);
    const a = pool.acquire(512, STORAGE, 'a');
    const b = pool.acquire(512, STORAGE, 'b');
    expect(b).not.toBe(a);
    expect(createBuffer).toHaveBeenCalledTimes(2);
    expect(pool.allocatedBytes).toBe(1024);
  });

  test('keeps separate buckets by usage and by size', () => {
    const { device, createBuffer } = fakeDevice();
    const pool = new BufferPool(device);
    const storage = pool.acquire(1024, STORAGE | COPY_SRC, 'storage');
    pool.release(storage);
    const staging = pool.acquire(1024, MAP_READ | COPY_DST, 'staging');
    expect(staging).not.toBe(storage);
    expect(asFake(staging).usage).toBe(MAP_READ | COPY_DST);
    const bigger = pool.acquire(2048, STORAGE | COPY_SRC, 'bigger');
    expect(bigger).not.toBe(storage);
    expect(createBuffer).toHaveBeenCalledTimes(3);
    // The parked storage buffer is still there for a request that fits its bucket.
    expect(pool.acquire(1000, STORAGE | COPY_SRC, 'again')).toBe(storage);
    expect(pool.allocatedBytes).toBe(1024 + 1024 + 2048);
  });

  test('release of a buffer the pool does not own, or a second release, is a no-op', () => {
    const { device, createBuffer } = fakeDevice();
    const pool = new BufferPool(device);
    const stranger = { size: 1024, usage: STORAGE, label: 'stranger', destroy: vi.fn() };
    pool.release(stranger as unknown as GPUBuffer);
    expect(asFake(pool.acquire(1024, STORAGE, 'mine'))).not.toBe(stranger);

    const mine = pool.acquire(256, STORAGE, 'twice');
    pool.release(mine);
    pool.release(mine);
    const a = pool.acquire(256, STORAGE, 'a');
    const b = pool.acquire(256, STORAGE, 'b');
    expect(a).toBe(mine);
    expect(b).not.toBe(mine);
    expect(createBuffer).toHaveBeenCalledTimes(3);
  });

  test('trim destroys parked buffers only and subtracts their bytes', () => {
    const { device } = fakeDevice();
    const pool = new BufferPool(device);
    const live = asFake(pool.acquire(4096, STORAGE, 'live'));
    const parked = pool.acquire(1024, STORAGE, 'parked');
    const parkedStaging = pool.acquire(300, MAP_READ | COPY_DST, 'parked-staging');
    pool.release(parked);
    pool.release(parkedStaging);
    expect(pool.allocatedBytes).toBe(4096 + 1024 + 512);

    pool.trim();
    expect(asFake(parked).destroy).toHaveBeenCalledTimes(1);
    expect(asFake(parkedStaging).destroy).toHaveBeenCalledTimes(1);
    expect(live.destroy).not.toHaveBeenCalled();
    expect(pool.allocatedBytes).toBe(4096);

    // A trimmed buffer is never handed out again; the live one can still be released and reused.
    expect(pool.acquire(1024, STORAGE, 'fresh')).not.toBe(parked);
    expect(pool.allocatedBytes).toBe(4096 + 1024);
    pool.release(live as unknown as GPUBuffer);
    expect(asFake(pool.acquire(4096, STORAGE, 'reuse'))).toBe(live);
  });

  test('destroy destroys parked and live buffers once and zeroes the count', () => {
    const { device, created } = fakeDevice();
    const pool = new BufferPool(device);
    pool.acquire(1024, STORAGE, 'live');
    pool.release(pool.acquire(2048, STORAGE, 'parked'));
    pool.destroy();
    expect(created).toHaveLength(2);
    for (const buffer of created) expect(buffer.destroy, buffer.label).toHaveBeenCalledTimes(1);
    expect(pool.allocatedBytes).toBe(0);
    // After destroy the pool starts from nothing.
    pool.acquire(256, STORAGE, 'after');
    expect(created).toHaveLength(3);
    expect(pool.allocatedBytes).toBe(256);
  });
});
