// Elementwise kernels of the transformer engine: GELU (tanh form) and SiLU, SwiGLU, residual add.
// Formulas and papers: ./reference.ts (the spec). Shader: shaders/activation.wgsl, which computes
// GELU as x / (1 + exp(-2u)) (equal to 0.5 x (1 + tanh u), without overflow or cancellation).
//
// SwiGLU layout. Two ways in, one kernel:
//   packed   [rows, 2I]: gate = columns 0..I-1, up = columns I..2I-1 of each row. This is what a
//            single matmul with gate_proj and up_proj concatenated along N ([2I, K], "nk")
//            writes, so the Llama MLP up-projection is one dispatch; the preferred layout.
//   separate gate [rows, I] and up [rows, I] in two buffers (two matmuls).
// Output [rows, I]. All f32 row-major; output never aliases an input.
//
// An instance owns one uniform block: encode it once per submission.
import { dispatch } from '../../gpu/dispatch';
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import { checkDistinct, checkInteger, checkStorage, strideGroups } from '../matmul/support';

const SHADER = 'activation.wgsl';
const WORKGROUP = 256;
const MAX_ELEMENTS = 2 ** 30;

export type UnaryActivation = 'gelu' | 'silu';
const OPS: Record<UnaryActivation, number> = { gelu: 0, silu: 1 };

export interface SwiGluShape {
  rows: number;
  /** I: the output row length (half the packed row). */
  intermediate: number;
}

const pipeline = (gpu: Gpu, entryPoint: string) =>
  gpu.pipelines.get({ shader: SHADER, entryPoint, constants: { ACTIVATION_WORKGROUP: WORKGROUP } });

function params(count: number, op: number, intermediate = 0, strides: number[] = [0, 0, 0, 0]): ArrayBuffer {
  return new Uint32Array([count, op, intermediate, 0, ...strides]).buffer;
}

export class ActivationKernel {
  private constructor(
    private readonly gpu: Gpu,
    private readonly unaryPipeline: GPUComputePipeline,
    private readonly inPlacePipeline: GPUComputePipeline,
    private readonly swigluPipeline: GPUComputePipeline,
    private readonly uniforms: UniformBlock,
  ) {}

  static async create(gpu: Gpu, label = 'activation'): Promise<ActivationKernel> {
    const [unary, inPlace, swiglu] = await Promise.all(
      ['unary', 'unaryInPlace', 'swiglu'].map((entry) => pipeline(gpu, entry)),
    );
    return new ActivationKernel(gpu, unary, inPlace, swiglu, new UniformBlock(gpu, 32, `${label}:params`));
  }

  /** output[i] = op(input[i]) for i < count; output may be input (in place). */
  encodeUnary(
    pass: GPUComputePassEncoder,
    op: UnaryActivation,
    input: GPUBuffer,
    output: GPUBuffer,
    count: number,
  ): void {
    const kernel = `activation ${op}`;
    if (!(op in OPS))
      throw new KernelInputError(`activation: op must be "gelu" or "silu", got ${String(op)}`);
    checkInteger(kernel, 'count', count, 1, MAX_ELEMENTS);
    checkStorage(this.gpu, kernel, 'input', input, count * 4);
    checkStorage(this.gpu, kernel, 'output', output, count * 4);
    this.uniforms.write(params(count, OPS[op]), pass);
    const groups = strideGroups(count, WORKGROUP);
    if (input === output) {
      dispatch(this.gpu, pass, this.inPlacePipeline, [input, this.uniforms.buffer], groups);
    } else {
      dispatch(this.gpu, pass, this.unaryPipeline, [input, output, this.uniforms.buffer], groups);
    }
  }

  /** output [rows, I] <- silu(gate) * up from the packed [rows, 2I] layout (see header). */
  encodeSwiGlu(pass: GPUComputePassEncoder, gateUp: GPUBuffer, output: GPUBuffer, shape: SwiGluShape): void {
    const { rows, intermediate } = this.checkSwiGlu(shape, output);
    checkStorage(this.gpu, 'swiglu', 'packed gate/up', gateUp, rows * 2 * intermediate * 4);
    checkDistinct('swiglu', ['output', output], [['packed gate/up', gateUp]]);
    const strides = [2 * intermediate, 0, 2 * intermediate, intermediate];
    this.encodeGlu(pass, gateUp, gateUp, output, shape, strides);
  }

  /** output [rows, I] <- silu(gate [rows, I]) * up [rows, I]. */
  encodeSwiGluSeparate(
    pass: GPUComputePassEncoder,
    gate: GPUBuffer,
    up: GPUBuffer,
    output: GPUBuffer,
    shape: SwiGluShape,
  ): void {
    const { rows, intermediate } = this.checkSwiGlu(shape, output);
    checkStorage(this.gpu, 'swiglu', 'gate', gate, rows * intermediate * 4);
    checkStorage(this.gpu, 'swiglu', 'up', up, rows * intermediate * 4);
    checkDistinct(
      'swiglu',
      ['output', output],
      [
        ['gate', gate],
        ['up', up],
      ],
    );
    this.encodeGlu(pass, gate, up, output, shape, [intermediate, 0, intermediate, 0]);
  }

  private checkSwiGlu(shape: SwiGluShape, output: GPUBuffer): SwiGluShape {
    checkInteger('swiglu', 'rows', shape.rows, 1, MAX_ELEMENTS);
    checkInteger('swiglu', 'intermediate size I', shape.intermediate, 1, MAX_ELEMENTS);
    checkInteger('swiglu', 'rows * I', shape.rows * shape.intermediate, 1, MAX_ELEMENTS);
    checkStorage(this.gpu, 'swiglu', 'output', output, shape.rows * shape.intermediate * 4);
    return shape;
  }

  private encodeGlu(
    pass: GPUComputePassEncoder,
    gate: GPUBuffer,
    up: GPUBuffer,
    output: GPUBuffer,
    { rows, intermediate }: SwiGluShape,
    strides: number[],
  ): void {
    const count = rows * intermediate;
    this.uniforms.write(params(count, 0, intermediate, strides), pass);
    const buffers = [gate, up, output, this.uniforms.buffer];
    dispatch(this.gpu, pass, this.swigluPipeline, buffers, strideGroups(count, WORKGROUP));
  }

  destroy(): void {
    this.uniforms.destroy();
  }
}

/** target[i] += addend[i] for i < count (the residual stream update h = h + f(h)). */
export class ResidualAddKernel {
  private constructor(
    private readonly gpu: Gpu,
    private readonly pipeline: GPUComputePipeline,
    private readonly uniforms: UniformBlock,
  ) {}

  static async create(gpu: Gpu, label = 'residual-add'): Promise<ResidualAddKernel> {
    return new ResidualAddKernel(
      gpu,
      await pipeline(gpu, 'addInPlace'),
      new UniformBlock(gpu, 32, `${label}:params`),
    );
  }

  encode(pass: GPUComputePassEncoder, target: GPUBuffer, addend: GPUBuffer, count: number): void {
    checkInteger('residual add', 'count', count, 1, MAX_ELEMENTS);
    checkStorage(this.gpu, 'residual add', 'target', target, count * 4);
    checkStorage(this.gpu, 'residual add', 'addend', addend, count * 4);
    checkDistinct('residual add', ['target', target], [['addend', addend]]);
    this.uniforms.write(params(count, 0), pass);
    const buffers = [target, addend, this.uniforms.buffer];
    dispatch(this.gpu, pass, this.pipeline, buffers, strideGroups(count, WORKGROUP));
  }

  destroy(): void {
    this.uniforms.destroy();
  }
}
