// Reading small results back to the CPU. Full-vocabulary readback is for tests and references only.
import type { Gpu } from './runtime';

/** Copies `byteLength` bytes of `source` (from `byteOffset`) to the CPU. One submission. */
export async function readBuffer(
  gpu: Gpu,
  source: GPUBuffer,
  byteOffset = 0,
  byteLength?: number,
): Promise<ArrayBuffer> {
  gpu.assertAlive();
  const length = byteLength ?? source.size - byteOffset;
  const staging = gpu.buffers.acquire(length, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'readback');
  try {
    const encoder = gpu.device.createCommandEncoder({ label: 'readback' });
    encoder.copyBufferToBuffer(source, byteOffset, staging, 0, Math.ceil(length / 4) * 4);
    gpu.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ, 0, Math.ceil(length / 4) * 4);
    const copy = staging.getMappedRange(0, Math.ceil(length / 4) * 4).slice(0, length);
    staging.unmap();
    return copy;
  } finally {
    gpu.buffers.release(staging);
  }
}

export async function readFloat32(
  gpu: Gpu,
  source: GPUBuffer,
  count?: number,
  offsetElements = 0,
): Promise<Float32Array> {
  const bytes = await readBuffer(
    gpu,
    source,
    offsetElements * 4,
    count === undefined ? undefined : count * 4,
  );
  return new Float32Array(bytes);
}

export async function readUint32(
  gpu: Gpu,
  source: GPUBuffer,
  count?: number,
  offsetElements = 0,
): Promise<Uint32Array> {
  const bytes = await readBuffer(
    gpu,
    source,
    offsetElements * 4,
    count === undefined ? undefined : count * 4,
  );
  return new Uint32Array(bytes);
}

/** Creates a storage buffer holding `data` (labelled); caller owns it. */
export function uploadStorage(
  gpu: Gpu,
  data: Float32Array | Uint32Array | Int32Array,
  label: string,
): GPUBuffer {
  const buffer = gpu.device.createBuffer({
    label,
    size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    mappedAtCreation: true,
  });
  const Ctor = data.constructor as Float32ArrayConstructor | Uint32ArrayConstructor | Int32ArrayConstructor;
  new Ctor(buffer.getMappedRange(0, data.byteLength)).set(data);
  buffer.unmap();
  return buffer;
}
