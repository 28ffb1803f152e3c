// Row statistics (max, log-sum-exp, entropy, argmax, counts, top-10) and log-softmax.
// Spec: reference.ts (rowStatsReference, logSoftmaxReference). Shader: shaders/logit-stats.wgsl.
import { dispatch, submitPass } from '../../gpu/dispatch';
import { readUint32 } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import { parseSummary, SUMMARY_WORDS, type RowSummary } from './layout';
import { checkBuffer, checkShape, type LogitShape } from './params';

/** Largest power-of-two workgroup (<= 256) whose shared arrays (20 bytes a thread + 4 KiB) fit. */
export function statsWorkgroupSize(device: GPUDevice): number {
  let size = Math.min(256, device.limits.maxComputeInvocationsPerWorkgroup);
  while (size > 32 && size * 20 + 4160 > device.limits.maxComputeWorkgroupStorageSize) size /= 2;
  return size;
}

export class RowStatsKernel {
  private constructor(
    private readonly gpu: Gpu,
    private readonly pipeline: GPUComputePipeline,
    private readonly uniforms: UniformBlock,
  ) {}

  static async create(gpu: Gpu, label = 'row-stats'): Promise<RowStatsKernel> {
    const pipeline = await gpu.pipelines.get({
      shader: 'logit-stats.wgsl',
      entryPoint: 'rowStats',
      constants: { WORKGROUP_SIZE: statsWorkgroupSize(gpu.device) },
    });
    return new RowStatsKernel(gpu, pipeline, new UniformBlock(gpu, 16, `${label}:params`));
  }

  /** summary (rows, 32 words) <- statistics of logits (rows, vocab). `rows` may span packed inputs. */
  encode(
    pass: GPUComputePassEncoder,
    logits: GPUBuffer,
    summary: GPUBuffer,
    rows: number,
    vocab: number,
  ): void {
    checkShape({ rows: 1, vocab });
    checkBuffer(logits, rows * vocab * 4, 'logits');
    checkBuffer(summary, rows * SUMMARY_WORDS * 4, 'summary');
    this.uniforms.write(new Uint32Array([rows, vocab, 0, 0]).buffer, pass);
    dispatch(this.gpu, pass, this.pipeline, [logits, summary, this.uniforms.buffer], rows);
  }

  destroy(): void {
    this.uniforms.destroy();
  }
}

export class LogSoftmaxKernel {
  private constructor(
    private readonly gpu: Gpu,
    private readonly pipeline: GPUComputePipeline,
    private readonly uniforms: UniformBlock,
  ) {}

  static async create(gpu: Gpu): Promise<LogSoftmaxKernel> {
    const pipeline = await gpu.pipelines.get({
      shader: 'logit-stats.wgsl',
      entryPoint: 'logSoftmax',
      constants: { WORKGROUP_SIZE: 256 },
    });
    return new LogSoftmaxKernel(gpu, pipeline, new UniformBlock(gpu, 16, 'log-softmax:params'));
  }

  /** output (rows, vocab) <- logits - lse(row), with lse from `summary` (RowStatsKernel). */
  encode(
    pass: GPUComputePassEncoder,
    logits: GPUBuffer,
    summary: GPUBuffer,
    output: GPUBuffer,
    shape: LogitShape,
  ): void {
    checkShape(shape);
    checkBuffer(logits, shape.rows * shape.vocab * 4, 'logits');
    checkBuffer(output, shape.rows * shape.vocab * 4, 'output');
    this.uniforms.write(new Uint32Array([shape.rows, shape.vocab, 0, 0]).buffer, pass);
    dispatch(
      this.gpu,
      pass,
      this.pipeline,
      [logits, summary, output, this.uniforms.buffer],
      Math.ceil(shape.vocab / 256),
      shape.rows,
    );
  }

  destroy(): void {
    this.uniforms.destroy();
  }
}

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** One-shot convenience (tests, Kernel check): summaries of every row, read back. */
export async function computeRowStats(gpu: Gpu, logits: GPUBuffer, shape: LogitShape): Promise<RowSummary[]> {
  checkShape(shape);
  const kernel = await RowStatsKernel.create(gpu);
  const summary = gpu.buffers.acquire(shape.rows * SUMMARY_WORDS * 4, STORAGE, 'row-stats:summary');
  try {
    await submitPass(gpu, 'row-stats', (pass) =>
      kernel.encode(pass, logits, summary, shape.rows, shape.vocab),
    );
    const words = await readUint32(gpu, summary, shape.rows * SUMMARY_WORDS);
    return Array.from({ length: shape.rows }, (_, row) => parseSummary(words, row));
  } finally {
    gpu.buffers.release(summary);
    kernel.destroy();
  }
}

/** One-shot log-softmax into a new buffer the caller owns (and must destroy). */
export async function computeLogSoftmax(gpu: Gpu, logits: GPUBuffer, shape: LogitShape): Promise<GPUBuffer> {
  checkShape(shape);
  const stats = await RowStatsKernel.create(gpu);
  const kernel = await LogSoftmaxKernel.create(gpu);
  const summary = gpu.buffers.acquire(shape.rows * SUMMARY_WORDS * 4, STORAGE, 'log-softmax:summary');
  const output = gpu.device.createBuffer({
    label: 'log-softmax:output',
    size: shape.rows * shape.vocab * 4,
    usage: STORAGE,
  });
  try {
    await submitPass(gpu, 'log-softmax', (pass) => {
      stats.encode(pass, logits, summary, shape.rows, shape.vocab);
      kernel.encode(pass, logits, summary, output, shape);
    });
    return output;
  } finally {
    gpu.buffers.release(summary);
    stats.destroy();
    kernel.destroy();
  }
}
