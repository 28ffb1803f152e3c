// The logits a forward returns, [rows, vocab] f32 on the GPU. When one run's [batch, seq, vocab]
// output is exactly the rows asked for (a single sequence's 'all', or one new token per sequence),
// its buffer is handed out as it is; otherwise the wanted rows are copied GPU -> GPU into a buffer
// this class owns (runs of consecutive rows in one copy). Logits from the wasm provider are on the
// CPU and are uploaded here, once per forward: the one unavoidable transfer of that path.
import type { Tensor } from 'onnxruntime-web/webgpu';

/** Rows of one run: row `sources[i]` of its flattened logits becomes output row `targets[i]`. */
export interface RunLogits {
  logits: Tensor;
  sources: number[];
  targets: number[];
}

export class LogitRows {
  private buffer: GPUBuffer | null = null;

  constructor(
    private readonly device: GPUDevice,
    private readonly vocab: number,
    private readonly label: string,
  ) {}

  get bytes(): number {
    return this.buffer?.size ?? 0;
  }

  /** True when `run`'s logits buffer can be returned without a copy. */
  static isWhole(runs: readonly RunLogits[]): boolean {
    if (runs.length !== 1 || runs[0].logits.location !== 'gpu-buffer') return false;
    const { logits, sources, targets } = runs[0];
    const rows = (logits.dims[0] as number) * (logits.dims[1] as number);
    return sources.length === rows && sources.every((s, i) => s === i && targets[i] === i);
  }

  private target(rows: number): GPUBuffer {
    const needed = rows * this.vocab * 4;
    if (!this.buffer || this.buffer.size < needed) {
      this.buffer?.destroy();
      this.buffer = this.device.createBuffer({
        label: `onnx-logits:${this.label}`,
        size: 2 ** Math.ceil(Math.log2(needed)),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
    }
    return this.buffer;
  }

  /** Copies (or uploads) the wanted rows of every run into the owned buffer, in one submission. */
  gather(runs: readonly RunLogits[], rowCount: number): GPUBuffer {
    const target = this.target(rowCount);
    const rowBytes = this.vocab * 4;
    const encoder = this.device.createCommandEncoder({ label: 'onnx-logits-rows' });
    for (const { logits, sources, targets } of runs) {
      for (let i = 0; i < sources.length;) {
        let n = 1;
        while (
          i + n < sources.length &&
          sources[i + n] === sources[i] + n &&
          targets[i + n] === targets[i] + n
        )
          n++;
        if (logits.location === 'gpu-buffer') {
          const from = logits.gpuBuffer as GPUBuffer;
          encoder.copyBufferToBuffer(
            from,
            sources[i] * rowBytes,
            target,
            targets[i] * rowBytes,
            n * rowBytes,
          );
        } else {
          // The wasm provider copies outputs into fresh (non-shared) ArrayBuffers.
          const data = logits.data as Float32Array<ArrayBuffer>;
          const rows = data.subarray(sources[i] * this.vocab, (sources[i] + n) * this.vocab);
          this.device.queue.writeBuffer(target, targets[i] * rowBytes, rows);
        }
        i += n;
      }
    }
    this.device.queue.submit([encoder.finish()]);
    return target;
  }

  destroy(): void {
    this.buffer?.destroy();
    this.buffer = null;
  }
}
