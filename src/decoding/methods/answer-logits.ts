// Reads a few logits of some rows back from the GPU: the answer tokens of Debias's calibration
// (./debias-calibrate.ts) under each component. One copyBufferToBuffer per (row, id) of the 4-byte
// value into one small staging buffer, one submission, one map: rows x ids x 4 bytes, never a
// vocabulary row. The staging buffer is made once per lane and reused.
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';

/** One row of [rows, vocab] f32 logits on the GPU. */
export interface LogitRow {
  logits: GPUBuffer;
  row: number;
}

export class AnswerLogitReader {
  private readonly staging: GPUBuffer;

  /** `ids`: the token ids read from every row; `maxRows`: the most rows one read takes. */
  constructor(
    private readonly gpu: Gpu,
    private readonly vocab: number,
    readonly ids: readonly number[],
    private readonly maxRows: number,
    private readonly label: string,
  ) {
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= vocab) {
        throw new KernelInputError(`${label}: token id ${id} is outside the vocabulary of ${vocab}`);
      }
    }
    this.staging = gpu.device.createBuffer({
      label: `${label}:answer-logits`,
      size: Math.max(16, Math.ceil((maxRows * ids.length * 4) / 16) * 16),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
  }

  /** Bytes one read of `rows` rows maps back. */
  bytes(rows: number): number {
    return rows * this.ids.length * 4;
  }

  /** logits[row][ids[i]] for every requested row, as f64 numbers: result[r][i]. */
  async read(rows: readonly LogitRow[]): Promise<number[][]> {
    this.gpu.assertAlive();
    if (rows.length > this.maxRows) {
      throw new KernelInputError(`${this.label}: ${rows.length} rows to read, built for ${this.maxRows}`);
    }
    const encoder = this.gpu.device.createCommandEncoder({ label: `${this.label}:answer-logits` });
    rows.forEach(({ logits, row }, r) => {
      if ((logits.usage & GPUBufferUsage.COPY_SRC) === 0) {
        throw new KernelInputError(
          `${this.label}: the logits buffer "${logits.label}" cannot be copied from (no COPY_SRC usage); ` +
            'the model backend must create its logits with COPY_SRC',
        );
      }
      const needed = (row + 1) * this.vocab * 4;
      if (logits.size < needed) {
        throw new KernelInputError(
          `${this.label}: logits buffer "${logits.label}" has ${logits.size} bytes; row ${row} of vocab ${this.vocab} needs ${needed}`,
        );
      }
      this.ids.forEach((id, i) => {
        const at = (r * this.ids.length + i) * 4;
        encoder.copyBufferToBuffer(logits, (row * this.vocab + id) * 4, this.staging, at, 4);
      });
    });
    this.gpu.device.queue.submit([encoder.finish()]);
    const bytes = this.bytes(rows.length);
    await this.staging.mapAsync(GPUMapMode.READ, 0, Math.max(4, bytes));
    const values = new Float32Array(this.staging.getMappedRange(0, Math.max(4, bytes)).slice(0));
    this.staging.unmap();
    return rows.map((_, r) => Array.from(values.subarray(r * this.ids.length, (r + 1) * this.ids.length)));
  }

  dispose(): void {
    this.staging.destroy();
  }
}
