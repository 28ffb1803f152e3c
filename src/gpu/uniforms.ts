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

  private lastPass: GPUComputePassEncoder | null = null;

  /**
   * Writes `words` (already laid out as the WGSL struct). The write lands before the whole
   * submission runs, so one block serves one dispatch per pass: a second write in the same pass
   * would silently give both dispatches the last parameters, and is refused.
   */
  write(words: ArrayBuffer, pass?: GPUComputePassEncoder): void {
    if (pass && pass === this.lastPass) {
      throw new Error(
        `${this.buffer.label}: this kernel instance is already encoded in this pass with other parameters; ` +
          'create one instance per use within a pass',
      );
    }
    if (pass) this.lastPass = pass;
    this.gpu.device.queue.writeBuffer(this.buffer, 0, words);
  }

  destroy(): void {
    this.buffer.destroy();
  }
}
