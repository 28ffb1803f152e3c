// A kernel-owned storage buffer that grows to the largest shape seen and is reused otherwise, so
// steady-state steps allocate nothing. Outgrown buffers are kept until destroy(): a command buffer
// encoded earlier but not yet submitted may still reference them.
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';

export class ScratchBuffer {
  private current: GPUBuffer | null = null;
  private readonly retired: GPUBuffer[] = [];

  constructor(
    private readonly gpu: Gpu,
    private readonly label: string,
  ) {}

  /** A buffer of at least `bytes`; throws KernelInputError when the device cannot bind that much. */
  get(kernel: string, bytes: number, what: string): GPUBuffer {
    const limit = this.gpu.device.limits.maxStorageBufferBindingSize;
    if (bytes > limit) {
      throw new KernelInputError(
        `${kernel}: ${what} need ${bytes} bytes of scratch, more than this device binds at once ` +
          `(maxStorageBufferBindingSize ${limit}); use a shorter sequence or fewer heads per call.`,
      );
    }
    if (this.current === null || this.current.size < bytes) {
      if (this.current) this.retired.push(this.current);
      // Owned by the kernel (not pooled), so destroy() frees it.
      this.current = this.gpu.device.createBuffer({
        label: this.label,
        size: Math.max(16, Math.ceil(bytes / 16) * 16),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      });
    }
    return this.current;
  }

  destroy(): void {
    for (const buffer of this.retired.splice(0)) buffer.destroy();
    this.current?.destroy();
    this.current = null;
  }
}
