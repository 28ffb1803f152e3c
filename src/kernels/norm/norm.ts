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
// (see shaders/norm.wgsl). Spec: ./reference.ts. An instance owns one uniform block: encode it
// once per submission.
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

const SHADER = 'norm.wgsl';
const WORKGROUP_SIZE = 256;
/** Longest row: the largest hidden size of the models we target is 4096; 65536 leaves room. */
export const MAX_NORM_DIM = 65_536;

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
    private readonly pipeline: GPUComputePipeline,
    private readonly uniforms: UniformBlock,
  ) {}

  protected static compile(gpu: Gpu, kind: Kind): Promise<GPUComputePipeline> {
    return gpu.pipelines.get({
      shader: SHADER,
      entryPoint: kind === 'layer' ? 'layerNorm' : 'rmsNorm',
      constants: { WORKGROUP_SIZE },
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
    dispatch(this.gpu, pass, this.pipeline, [...buffers, this.uniforms.buffer], count);
  }

  destroy(): void {
    this.uniforms.destroy();
  }
}

export class LayerNormKernel extends RowNormKernel {
  static async create(gpu: Gpu, label = 'layer-norm'): Promise<LayerNormKernel> {
    const pipeline = await RowNormKernel.compile(gpu, 'layer');
    return new LayerNormKernel(gpu, 'layer', pipeline, new UniformBlock(gpu, 32, `${label}:params`));
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
    const pipeline = await RowNormKernel.compile(gpu, 'rms');
    return new RmsNormKernel(gpu, 'rms', pipeline, new UniformBlock(gpu, 32, `${label}:params`));
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
