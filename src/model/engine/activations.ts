// Scratch buffers of the engine's forward, grown on demand and reused across forwards. A buffer
// replaced by a bigger one is destroyed right away: only already-submitted work used it, and
// WebGPU defers the destruction until that work is done.
import type { Gpu } from '../../gpu/runtime';

const USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export class Activations {
  private readonly buffers = new Map<string, GPUBuffer>();

  constructor(private readonly gpu: Gpu) {}

  /** A buffer of at least `bytes` bytes under `name` (same buffer while it is big enough). */
  get(name: string, bytes: number): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const current = this.buffers.get(name);
    if (current && current.size >= size) return current;
    current?.destroy();
    const buffer = this.gpu.device.createBuffer({
      label: `engine:${name}`,
      size: Math.max(size, (current?.size ?? 0) * 2),
      usage: USAGE,
    });
    this.buffers.set(name, buffer);
    return buffer;
  }

  get bytes(): number {
    let total = 0;
    for (const b of this.buffers.values()) total += b.size;
    return total;
  }

  destroy(): void {
    for (const b of this.buffers.values()) b.destroy();
    this.buffers.clear();
  }
}
