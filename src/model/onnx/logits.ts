// The logits a forward returns, [rows, vocab] f32 on the GPU. When one run's [batch, seq, vocab]
// output is exactly the rows asked for (a single sequence's 'all', or one new token per sequence),
// its buffer is handed out as it is; otherwise the wanted rows are copied GPU -> GPU into a buffer
// this class owns (runs of consecutive rows in one copy). Logits from the wasm provider are on the
// CPU and are uploaded here, once per forward: the one unavoidable transfer of that path.
// float16 logits (fp16 and q4f16 exports) are never handed out as they are: on the GPU the
// f16-to-f32 kernel converts the wanted rows straight into the owned buffer (the same single
// submission, no CPU round trip); from the wasm provider they are converted on the CPU, then uploaded.
import type { Tensor } from 'onnxruntime-web/webgpu';
import type { Gpu } from '../../gpu/runtime';
import { F16ToF32Kernel, type HalfCopy } from '../../kernels/f16-to-f32/f16-to-f32';
import { f16ArrayToF32 } from '../loading/float16';

/** Rows of one run: row `sources[i]` of its flattened logits becomes output row `targets[i]`. */
export interface RunLogits {
  logits: Tensor;
  sources: number[];
  targets: number[];
}

export class LogitRows {
  private buffer: GPUBuffer | null = null;
  /** Converts float16 logits on the GPU; created by prepare() when a run first needs it. */
  private halfKernel: F16ToF32Kernel | null = null;
  private readonly device: GPUDevice;

  constructor(
    private readonly gpu: Gpu,
    private readonly vocab: number,
    private readonly label: string,
  ) {
    this.device = gpu.device;
  }

  /**
   * Before every gather: compiles the conversion kernel when `runs` hold float16 logits on the GPU,
   * so a run's own element type decides, whatever the graph's metadata said.
   */
  async prepare(runs: readonly RunLogits[]): Promise<void> {
    if (runs.some(({ logits }) => logits.location === 'gpu-buffer' && logits.type === 'float16'))
      await this.prepareHalf();
  }

  /** Compiles the conversion kernel (once); the model calls it at load for graphs with float16 logits. */
  async prepareHalf(): Promise<void> {
    this.halfKernel ??= await F16ToF32Kernel.create(this.gpu, { label: `onnx-logits-f16:${this.label}` });
  }

  get bytes(): number {
    return this.buffer?.size ?? 0;
  }

  /** True when `run`'s logits buffer can be returned without a copy. */
  static isWhole(runs: readonly RunLogits[]): boolean {
    if (runs.length !== 1 || runs[0].logits.location !== 'gpu-buffer' || runs[0].logits.type !== 'float32')
      return false;
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

  /** Copies, converts or uploads the wanted rows of every run into the owned buffer, in one submission. */
  gather(runs: readonly RunLogits[], rowCount: number): GPUBuffer {
    const target = this.target(rowCount);
    const vocab = this.vocab;
    const rowBytes = vocab * 4;
    const encoder = this.device.createCommandEncoder({ label: 'onnx-logits-rows' });
    const halves: HalfCopy[] = [];
    for (const { logits, sources, targets } of runs) {
      for (let i = 0; i < sources.length;) {
        let n = 1;
        while (
          i + n < sources.length &&
          sources[i + n] === sources[i] + n &&
          targets[i + n] === targets[i] + n
        )
          n++;
        if (logits.location === 'gpu-buffer' && logits.type === 'float16') {
          halves.push({
            input: logits.gpuBuffer as GPUBuffer,
            output: target,
            count: n * vocab,
            inputOffset: sources[i] * vocab,
            outputOffset: targets[i] * vocab,
          });
        } else if (logits.location === 'gpu-buffer') {
          const from = logits.gpuBuffer as GPUBuffer;
          encoder.copyBufferToBuffer(
            from,
            sources[i] * rowBytes,
            target,
            targets[i] * rowBytes,
            n * rowBytes,
          );
        } else {
          const rows = cpuRows(logits, sources[i] * vocab, (sources[i] + n) * vocab);
          this.device.queue.writeBuffer(target, targets[i] * rowBytes, rows);
        }
        i += n;
      }
    }
    if (halves.length > 0) {
      if (!this.halfKernel) throw new Error(`${this.label}: float16 logits gathered before prepare()`);
      const pass = encoder.beginComputePass({ label: 'onnx-logits-f16-rows' });
      this.halfKernel.encode(pass, halves);
      pass.end();
    }
    this.device.queue.submit([encoder.finish()]);
    return target;
  }

  destroy(): void {
    this.buffer?.destroy();
    this.buffer = null;
    this.halfKernel?.destroy();
  }
}

/**
 * Elements from .. to - 1 of a CPU logits tensor as f32. The wasm provider copies outputs into
 * fresh (non-shared) ArrayBuffers; float16 data comes as raw bits (Uint16Array) or, where the
 * runtime has it, as a Float16Array, whose elements read as numbers.
 */
function cpuRows(logits: Tensor, from: number, to: number): Float32Array<ArrayBuffer> {
  const data = logits.data;
  if (logits.type === 'float32') return (data as Float32Array<ArrayBuffer>).subarray(from, to);
  if (logits.type !== 'float16') {
    throw new Error(`onnx logits: element type ${logits.type}; expected float32 or float16`);
  }
  if (data instanceof Uint16Array) {
    const out = new Float32Array(to - from);
    f16ArrayToF32(data.subarray(from, to), out);
    return out;
  }
  // A Float16Array (Chromium 135+): onnxruntime-common's typings still say Uint16Array.
  const halves = data as unknown as { subarray(from: number, to: number): ArrayLike<number> };
  return Float32Array.from(halves.subarray(from, to));
}
