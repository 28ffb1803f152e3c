// Backward of the activations of src/kernels/activation/activation.ts. Formulas: ./reference.ts
// (the spec); shader: shaders/activation-backward.wgsl (stable for every finite x).
//
//   encodeUnary(op, input, gradOutput, gradInput, count):  dX = dY * op'(x), op gelu (tanh form) or silu
//   encodeSwiGlu(gateUp, gradOutput, gradGateUp, shape):   from the packed [rows, 2I] gate/up of the
//       forward and dOut [rows, I], writes [rows, 2I] in the same packed layout:
//       columns 0..I-1 dGate = dOut up silu'(gate), columns I..2I-1 dUp = dOut silu(gate).
//       That is the gradient of the output of the fused gate/up matmul, ready for its backward.
//
// All f32 row-major. The written gradient never aliases an input (gradInput may not be gradOutput:
// a caller that wants it in place keeps two buffers). The residual add h = h + f(h) needs no
// kernel: its gradient reaches both operands unchanged.
// An instance owns one uniform block: encode it once per pass.
import { dispatch } from '../../gpu/dispatch';
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import type { SwiGluShape, UnaryActivation } from '../activation/activation';
import { checkDistinct, checkInteger, checkStorage, strideGroups } from '../matmul/support';

const SHADER = 'activation-backward.wgsl';
const WORKGROUP = 256;
const MAX_ELEMENTS = 2 ** 30;
const OPS: Record<UnaryActivation, number> = { gelu: 0, silu: 1 };

export class ActivationBackwardKernel {
  private constructor(
    private readonly gpu: Gpu,
    private readonly unaryPipeline: GPUComputePipeline,
    private readonly swigluPipeline: GPUComputePipeline,
    private readonly uniforms: UniformBlock,
  ) {}

  static async create(gpu: Gpu, label = 'activation-backward'): Promise<ActivationBackwardKernel> {
    const [unary, swiglu] = await Promise.all(
      ['unaryBackward', 'swigluBackward'].map((entryPoint) =>
        gpu.pipelines.get({ shader: SHADER, entryPoint, constants: { ACTIVATION_WORKGROUP: WORKGROUP } }),
      ),
    );
    return new ActivationBackwardKernel(gpu, unary, swiglu, new UniformBlock(gpu, 16, `${label}:params`));
  }

  /** gradInput[i] = gradOutput[i] * op'(input[i]) for i < count; input is the forward's input. */
  encodeUnary(
    pass: GPUComputePassEncoder,
    op: UnaryActivation,
    input: GPUBuffer,
    gradOutput: GPUBuffer,
    gradInput: GPUBuffer,
    count: number,
  ): void {
    const kernel = `activation backward ${op}`;
    if (!(op in OPS))
      throw new KernelInputError(`activation backward: op must be "gelu" or "silu", got ${String(op)}`);
    checkInteger(kernel, 'count', count, 1, MAX_ELEMENTS);
    checkStorage(this.gpu, kernel, 'x (forward input)', input, count * 4);
    checkStorage(this.gpu, kernel, 'dY (gradient of the output)', gradOutput, count * 4);
    checkStorage(this.gpu, kernel, 'dX (gradient of the input)', gradInput, count * 4);
    checkDistinct(
      kernel,
      ['dX', gradInput],
      [
        ['x', input],
        ['dY', gradOutput],
      ],
    );
    this.uniforms.write(new Uint32Array([count, OPS[op], 0, 0]).buffer, pass);
    const buffers = [input, gradOutput, gradInput, this.uniforms.buffer];
    dispatch(this.gpu, pass, this.unaryPipeline, buffers, strideGroups(count, WORKGROUP));
  }

  /** gradGateUp [rows, 2I] (packed, see header) from gateUp [rows, 2I] and gradOutput [rows, I]. */
  encodeSwiGlu(
    pass: GPUComputePassEncoder,
    gateUp: GPUBuffer,
    gradOutput: GPUBuffer,
    gradGateUp: GPUBuffer,
    shape: SwiGluShape,
  ): void {
    const kernel = 'swiglu backward';
    const { rows, intermediate } = shape;
    checkInteger(kernel, 'rows', rows, 1, MAX_ELEMENTS);
    checkInteger(kernel, 'intermediate size I', intermediate, 1, MAX_ELEMENTS);
    checkInteger(kernel, 'rows * 2I', rows * 2 * intermediate, 2, MAX_ELEMENTS);
    const count = rows * intermediate;
    checkStorage(this.gpu, kernel, 'packed gate/up', gateUp, count * 8);
    checkStorage(this.gpu, kernel, 'dOut (gradient of the output)', gradOutput, count * 4);
    checkStorage(this.gpu, kernel, 'packed dGate/dUp', gradGateUp, count * 8);
    checkDistinct(
      kernel,
      ['packed dGate/dUp', gradGateUp],
      [
        ['packed gate/up', gateUp],
        ['dOut', gradOutput],
      ],
    );
    this.uniforms.write(new Uint32Array([count, 0, intermediate, 0]).buffer, pass);
    const buffers = [gateUp, gradOutput, gradGateUp, this.uniforms.buffer];
    dispatch(this.gpu, pass, this.swigluPipeline, buffers, strideGroups(count, WORKGROUP));
  }

  destroy(): void {
    this.uniforms.destroy();
  }
}
