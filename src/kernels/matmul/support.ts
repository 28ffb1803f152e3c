// Validation and small GPU helpers shared by the engine kernels (matmul, norm, activation, rope,
// embedding). Every message names the value, what was expected and what to do.
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';

/** Largest workgroup count per dispatch dimension WebGPU guarantees (and SwiftShader has). */
export const MAX_GROUPS_PER_DIMENSION = 65_535;

/** `value` must be an integer in min..max; `what` names it in the error ("K (inner size)"). */
export function checkInteger(kernel: string, what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new KernelInputError(`${kernel}: ${what} must be an integer in ${min}..${max}, got ${value}`);
  }
}

export function checkFinitePositive(kernel: string, what: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new KernelInputError(`${kernel}: ${what} must be a finite number > 0, got ${value}`);
  }
}

/**
 * A storage buffer bound whole: needs STORAGE usage, at least `bytes` bytes, and must fit one
 * binding (maxStorageBufferBindingSize), or the bind group would fail later with a vaguer message.
 */
export function checkStorage(gpu: Gpu, kernel: string, what: string, buffer: GPUBuffer, bytes: number): void {
  const name = `${kernel}: ${what} buffer "${buffer.label}"`;
  if (!(buffer.usage & GPUBufferUsage.STORAGE)) throw new KernelInputError(`${name} lacks STORAGE usage`);
  if (buffer.size < bytes) {
    throw new KernelInputError(`${name} has ${buffer.size} bytes but the shape needs ${bytes}`);
  }
  const limit = gpu.device.limits.maxStorageBufferBindingSize;
  if (buffer.size > limit) {
    throw new KernelInputError(
      `${name} has ${buffer.size} bytes, over this device's maxStorageBufferBindingSize of ${limit}: ` +
        'split it into chunks (see splitRowsForLimit in src/kernels/matmul/chunks.ts)',
    );
  }
}

/** WebGPU refuses a buffer bound writable and also bound again in one dispatch. */
export function checkDistinct(
  kernel: string,
  written: [string, GPUBuffer],
  others: [string, GPUBuffer][],
): void {
  for (const [what, buffer] of others) {
    if (buffer === written[1]) {
      throw new KernelInputError(
        `${kernel}: ${written[0]} and ${what} are the same buffer "${buffer.label}"; ` +
          `${written[0]} is written, so it needs its own buffer`,
      );
    }
  }
}

/** Workgroups for a grid-stride loop over `count` items: capped by the dispatch limit. */
export function strideGroups(count: number, workgroupSize: number): number {
  return Math.max(1, Math.min(MAX_GROUPS_PER_DIMENSION, Math.ceil(count / workgroupSize)));
}

const dummies = new WeakMap<Gpu, GPUBuffer>();

/** A 16-byte storage buffer bound where an optional input (bias, positions) is absent. */
export function dummyStorage(gpu: Gpu): GPUBuffer {
  let buffer = dummies.get(gpu);
  if (buffer === undefined) {
    buffer = gpu.device.createBuffer({
      label: 'engine:unused-binding',
      size: 16,
      usage: GPUBufferUsage.STORAGE,
    });
    dummies.set(gpu, buffer);
  }
  return buffer;
}
