// Small GPU plumbing for tests: allocate, submit, read back.
import { submitPass } from '../gpu/dispatch';
import { readUint32 } from '../gpu/readback';
import type { Gpu } from '../gpu/runtime';

export const TEST_STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export function storage(gpu: Gpu, bytes: number, label: string): GPUBuffer {
  return gpu.device.createBuffer({ label, size: Math.max(16, bytes), usage: TEST_STORAGE });
}

export async function runAndRead(
  gpu: Gpu,
  label: string,
  work: (pass: GPUComputePassEncoder) => void,
  output: GPUBuffer,
  words: number,
): Promise<Uint32Array> {
  await submitPass(gpu, label, work);
  const errors = gpu.takeUncapturedErrors();
  if (errors.length > 0) throw new Error(`${label}: WebGPU errors: ${errors.join('; ')}`);
  return readUint32(gpu, output, words);
}
