// A small uniform buffer owned by one kernel use-site; rewritten before each submission.
import type { Gpu } from './runtime';

export class UniformBlock {
  readonly buffer: GPUBuffer;
  private readonly gpu: Gpu;

  constructor(gpu: Gpu, bytes: number, label: string) {
    this.gpu = gpu;
    this.buffer = gpu.device.createBuffer({
      label,
      size: Math.max(16, Math.ceil(bytes / 16) * 16),
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
  }

  /** Writes `words` (already laid out as the WGSL struct) into the buffer. */
  write(words: ArrayBuffer): void {
    this.gpu.device.queue.writeBuffer(this.buffer, 0, words);
  }

  destroy(): void {
    this.buffer.destroy();
  }
}
