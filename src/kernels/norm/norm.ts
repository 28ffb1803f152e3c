// LayerNorm (GPT-2) and RMSNorm (Llama), one workgroup per row, each optionally fused with the
// residual add that precedes it in a pre-norm transformer block:
//
//   encode(input, ..., output):              output = norm(input)
//   encodeResidual(residual, delta, ..., output):
//       residual <- residual + delta   (in place: the updated residual stream, kept for the next add)
//       output   =  norm(residual)     (the updated one)
//
//   LayerNorm: y = (x - mean) / sqrt(var + eps) * gamma + beta, var = mean((x - mean)^2) (biased),
//              as torch.nn.LayerNorm (Ba et al., "Layer Normalization").
//   RMSNorm:   y = x / sqrt(mean(x^2) + eps) * gamma, as transformers' LlamaRMSNorm
//              (Zhang & Sennrich, "Root Mean Square Layer Normalization").
//
// Layouts: rows of d f32 values, row-major [rows, d]; gamma, beta [d]. The output never aliases
// the input. Exact for constant rows (LayerNorm gives beta) and overflow-free for any finite input
// (see shaders/norm.wgsl). The workgroup size follows d (normWorkgroupSize, ./row-workgroup.ts).
// Spec: ./reference.ts. An instance owns one uniform block: encode it once per submission.
import { dispatch } from '../../gpu/dispatch';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import {
  checkDistinct,
  checkFinitePositive,
  checkInteger,
  checkStorage,
  dummyStorage,
  MAX_GROUPS_PER_DIMENSION,
} from '../matmul/support';
import { RowPipelines, rowWorkgroupSize, type RowWorkgroupSize } from './row-workgroup';

const SHADER = 'norm.wgsl';
/** Longest row: the largest hidden size of the models we target is 4096; 65536 leaves room. */
export const MAX_NORM_DIM = 65_536;
/**
 * Most row entries per thread: 3 per lane of the shader's eight. With eight lanes any count >= 8
 * keeps normSumDepth within ceil(d / 256) + 8, the depth of the former 256-thread, one-partial
 * sums, for every d (./row-workgroup.test.ts), so no error bound grows; 24 runs GPT-2's d = 768 on
 * 32 threads (1.7x faster than 64 on SwiftShader) and still gives d = 4096 all 256.
 */
export const NORM_ELEMENTS_PER_THREAD = 24;

/** Threads per row of the norm kernels (forward and backward: the backward recomputes x^ alike). */
export function normWorkgroupSize(dim: number): RowWorkgroupSize {
  return rowWorkgroupSize(dim, NORM_ELEMENTS_PER_THREAD);
}

/** Roundings a term of a row sum goes through on the GPU (shaders/norm.wgsl): lane chain, lanes, tree. */
export function normSumDepth(dim: number): number {
  const size = normWorkgroupSize(dim);
  return Math.ceil(dim / (8 * size)) + 3 + Math.log2(size);
}

export interface NormShape {
  rows: number;
  /** d, the row length (hidden size). */
  dim: number;
}

type Kind = 'layer' | 'rms';
const NAMES: Record<Kind, string> = { layer: 'layer norm', rms: 'rms norm' };

abstract class RowNormKernel {
  protected constructor(
    protected readonly gpu: Gpu,
    private readonly kind: Kind,
    private readonly pipelines: RowPipelines,
    private readonly uniforms: UniformBlock,
  ) {}

  protected static compile(gpu: Gpu, kind: Kind): Promise<RowPipelines> {
    return RowPipelines.compile(gpu, {
      shader: SHADER,
      entryPoint: kind === 'layer' ? 'layerNorm' : 'rmsNorm',
    });
  }

  /**
   * Validates and dispatches. `rows` is the input or residual, `delta` the addend (or null),
   * `parameters` gamma (and beta for LayerNorm).
   */
  protected run(
    pass: GPUComputePassEncoder,
    rows: GPUBuffer,
    delta: GPUBuffer | null,
    parameters: [string, GPUBuffer][],
    output: GPUBuffer,
    shape: NormShape,
    eps: number,
  ): void {
    const name = NAMES[this.kind];
    const { rows: count, dim } = shape;
    checkInteger(name, 'rows', count, 1, MAX_GROUPS_PER_DIMENSION);
    checkInteger(name, 'dim (row length d)', dim, 1, MAX_NORM_DIM);
    checkFinitePositive(name, 'eps', eps);
    const bytes = count * dim * 4;
    checkStorage(this.gpu, name, delta ? 'residual' : 'input', rows, bytes);
    if (delta) checkStorage(this.gpu, name, 'delta', delta, bytes);
    for (const [what, buffer] of parameters) checkStorage(this.gpu, name, what, buffer, dim * 4);
    checkStorage(this.gpu, name, 'output', output, bytes);
    // rows is bound writable (the residual is written back), so it too must not alias the others.
    const rowsName = delta ? 'residual' : 'input';
    const others: [string, GPUBuffer][] = delta ? [['delta', delta], ...parameters] : parameters;
    checkDistinct(name, [rowsName, rows], others);
    checkDistinct(name, ['output', output], [[rowsName, rows], ...others]);

    const block = new ArrayBuffer(32);
    new Uint32Array(block).set([count, dim, delta ? 1 : 0, 0]);
    new Float32Array(block)[4] = eps;
    this.uniforms.write(block, pass);
    const buffers = [rows, delta ?? dummyStorage(this.gpu), ...parameters.map(([, b]) => b), output];
    const pipeline = this.pipelines.get(normWorkgroupSize(dim));
    dispatch(this.gpu, pass, pipeline, [...buffers, this.uniforms.buffer], count);
  }

  destroy(): void {
    this.uniforms.destroy();
  }
}

export class LayerNormKernel extends RowNormKernel {
  static async create(gpu: Gpu, label = 'layer-norm'): Promise<LayerNormKernel> {
    const pipelines = await RowNormKernel.compile(gpu, 'layer');
    return new LayerNormKernel(gpu, 'layer', pipelines, new UniformBlock(gpu, 32, `${label}:params`));
  }

  /** output [rows, d] = LayerNorm(input [rows, d]) with gamma, beta [d]. GPT-2: eps 1e-5. */
  encode(
    pass: GPUComputePassEncoder,
    input: GPUBuffer,
    gamma: GPUBuffer,
    beta: GPUBuffer,
    output: GPUBuffer,
    shape: NormShape,
    eps: number,
  ): void {
    const parameters: [string, GPUBuffer][] = [
      ['gamma', gamma],
      ['beta', beta],
    ];
    this.run(pass, input, null, parameters, output, shape, eps);
  }

  /** residual += delta, then output = LayerNorm(residual); all [rows, d]. */
  encodeResidual(
    pass: GPUComputePassEncoder,
    residual: GPUBuffer,
    delta: GPUBuffer,
    gamma: GPUBuffer,
    beta: GPUBuffer,
    output: GPUBuffer,
    shape: NormShape,
    eps: number,
  ): void {
    const parameters: [string, GPUBuffer][] = [
      ['gamma', gamma],
      ['beta', beta],
    ];
    this.run(pass, residual, delta, parameters, output, shape, eps);
  }
}

export class RmsNormKernel extends RowNormKernel {
  static async create(gpu: Gpu, label = 'rms-norm'): Promise<RmsNormKernel> {
    const pipelines = await RowNormKernel.compile(gpu, 'rms');
    return new RmsNormKernel(gpu, 'rms', pipelines, new UniformBlock(gpu, 32, `${label}:params`));
  }

  /** output [rows, d] = RMSNorm(input [rows, d]) with gamma [d]. Llama: eps = rms_norm_eps. */
  encode(
    pass: GPUComputePassEncoder,
    input: GPUBuffer,
    gamma: GPUBuffer,
    output: GPUBuffer,
    shape: NormShape,
    eps: number,
  ): void {
    this.run(pass, input, null, [['gamma', gamma]], output, shape, eps);
  }

  /** residual += delta, then output = RMSNorm(residual); all [rows, d]. */
  encodeResidual(
    pass: GPUComputePassEncoder,
    residual: GPUBuffer,
    delta: GPUBuffer,
    gamma: GPUBuffer,
    output: GPUBuffer,
    shape: NormShape,
    eps: number,
  ): void {
    this.run(pass, residual, delta, [['gamma', gamma]], output, shape, eps);
  }
}
