// The GPU buffers one contrastive-search lane works in, created once per lane, and its one small
// readback per step: max cosines [k, 2] u32 followed by candidate summaries [k, 32] u32.
import { GpuError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { MAX_COSINE_WORDS } from '../../kernels/cosine/cosine';
import { SUMMARY_WORDS } from '../../kernels/logits/layout';

const STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export class ReadbackBuffers {
  /** Unit hidden states of the candidates [k, hiddenSize]. */
  readonly candidateUnits: GPUBuffer;
  /** Candidate logits [k, vocab] when they do not start at row 0 of the forward (and the prompt's last row). */
  readonly candidateLogits: GPUBuffer;
  /** Max-cosine output [k, 2] u32. */
  readonly cosines: GPUBuffer;
  /** Row summaries [k, 32] u32. */
  readonly summaries: GPUBuffer;
  private readonly staging: GPUBuffer;
  private busy = false;

  constructor(
    private readonly gpu: Gpu,
    k: number,
    hiddenSize: number,
    vocab: number,
  ) {
    const create = (bytes: number, label: string, usage = STORAGE()) =>
      gpu.device.createBuffer({ label: `contrastive-search:${label}`, size: Math.max(16, bytes), usage });
    this.candidateUnits = create(k * hiddenSize * 4, 'candidate-units');
    this.candidateLogits = create(k * vocab * 4, 'candidate-logits');
    this.cosines = create(k * MAX_COSINE_WORDS * 4, 'max-cosine');
    this.summaries = create(k * SUMMARY_WORDS * 4, 'summaries');
    this.staging = create(
      k * (MAX_COSINE_WORDS + SUMMARY_WORDS) * 4,
      'staging',
      GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    );
  }

  /**
   * Copies `cosineCount` max-cosine records and `summaryCount` summaries into the staging buffer,
   * submits `encoder`, runs `afterSubmit` and returns the words (cosines first, then summaries).
   */
  async read(
    encoder: GPUCommandEncoder,
    cosineCount: number,
    summaryCount: number,
    afterSubmit: () => void,
  ): Promise<Uint32Array> {
    if (this.busy) throw new Error('contrastive search: a step is already reading back; await it first');
    this.busy = true;
    try {
      const cosineBytes = cosineCount * MAX_COSINE_WORDS * 4;
      const bytes = cosineBytes + summaryCount * SUMMARY_WORDS * 4;
      if (cosineBytes > 0) encoder.copyBufferToBuffer(this.cosines, 0, this.staging, 0, cosineBytes);
      encoder.copyBufferToBuffer(this.summaries, 0, this.staging, cosineBytes, bytes - cosineBytes);
      this.gpu.device.queue.submit([encoder.finish()]);
      afterSubmit();
      try {
        await this.staging.mapAsync(GPUMapMode.READ, 0, bytes);
      } catch (cause) {
        if (this.gpu.isLost)
          throw new GpuError('device-lost', 'The GPU device was lost during contrastive search.');
        throw cause;
      }
      const words = new Uint32Array(this.staging.getMappedRange(0, bytes).slice(0));
      this.staging.unmap();
      return words;
    } finally {
      this.busy = false;
    }
  }

  destroy(): void {
    for (const buffer of [
      this.candidateUnits,
      this.candidateLogits,
      this.cosines,
      this.summaries,
      this.staging,
    ]) {
      buffer.destroy();
    }
  }
}
