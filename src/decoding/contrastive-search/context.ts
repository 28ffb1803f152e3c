// The previous tokens' hidden states of one contrastive-search lane, kept on the GPU as unit rows
// [rows, hiddenSize] f32 (normalised once, when they enter; see src/kernels/cosine/). The buffer
// starts at the capacity the lane expects (prompt + token budget) and doubles when a run outgrows
// it, so it is reallocated O(log n) times per lane, never per token.
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';

const USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export class HiddenContext {
  /** Rows holding a previous token's unit hidden state. */
  rows = 0;
  private buffer: GPUBuffer;
  private capacity: number;
  private readonly retired: GPUBuffer[] = [];

  constructor(
    private readonly gpu: Gpu,
    private readonly hiddenSize: number,
    capacity: number,
    private readonly label: string,
  ) {
    this.capacity = Math.max(1, Math.ceil(capacity));
    this.checkFits(this.capacity);
    this.buffer = this.create(this.capacity);
  }

  get units(): GPUBuffer {
    return this.buffer;
  }

  private checkFits(rows: number): void {
    const limit = this.gpu.device.limits.maxStorageBufferBindingSize;
    if (rows * this.hiddenSize * 4 > limit) {
      throw new KernelInputError(
        `contrastive search: ${rows} previous tokens of hidden size ${this.hiddenSize} need ` +
          `${rows * this.hiddenSize * 4} bytes, over this GPU's storage binding limit of ${limit}; ` +
          'use a shorter prompt or token budget',
      );
    }
  }

  private create(rows: number): GPUBuffer {
    return this.gpu.device.createBuffer({
      label: `${this.label}:context-units`,
      size: rows * this.hiddenSize * 4,
      usage: USAGE,
    });
  }

  /**
   * Makes room for `extra` more rows, copying the old rows in `encoder` when the buffer grows. The
   * old buffer is destroyed by releaseRetired() once the encoder has been submitted.
   */
  reserve(encoder: GPUCommandEncoder, extra: number): void {
    const needed = this.rows + extra;
    if (needed <= this.capacity) return;
    let capacity = this.capacity;
    while (capacity < needed) capacity *= 2;
    this.checkFits(capacity);
    const grown = this.create(capacity);
    if (this.rows > 0) encoder.copyBufferToBuffer(this.buffer, 0, grown, 0, this.rows * this.hiddenSize * 4);
    this.retired.push(this.buffer);
    this.buffer = grown;
    this.capacity = capacity;
  }

  /** Appends row `row` of `units` (unit rows of this hidden size); reserve() first. */
  appendFrom(encoder: GPUCommandEncoder, units: GPUBuffer, row: number): void {
    if (this.rows >= this.capacity) throw new Error('HiddenContext.appendFrom without reserve()');
    const bytes = this.hiddenSize * 4;
    encoder.copyBufferToBuffer(units, row * bytes, this.buffer, this.rows * bytes, bytes);
    this.rows++;
  }

  /** Destroys buffers replaced by reserve(); call after submitting the encoder that copied them. */
  releaseRetired(): void {
    for (const buffer of this.retired.splice(0)) buffer.destroy();
  }

  destroy(): void {
    this.releaseRetired();
    this.buffer.destroy();
  }
}
