// Backward of RoPE (src/kernels/rope/rope.ts). The forward rotates each pair
// (x[i], x[i + D/2]) by R(angle); R is orthogonal, so dX = R(angle)^T dY = R(-angle) dY:
//
//   dX[i]       = dY[i] cos(angle) + dY[i + D/2] sin(angle)
//   dX[i + D/2] = dY[i + D/2] cos(angle) - dY[i] sin(angle)
//
// In place on the gradient buffer, with exactly the forward's layout and options: f32
// [tokens, heads, D] inside rows of `rowStride` elements starting at `offset` (so dQ and dK inside
// one packed dQKV row are rotated back in one dispatch), positions u32 [tokens], frequencies as
// theta or precomputed inverse frequencies. The shader (shaders/rope-backward.wgsl) includes the
// forward's and evaluates the same turn table and sin/cos bit for bit, so this is exactly the
// transpose of what the forward applied. Spec: ./reference.ts.
// An instance owns one uniform block and one frequency table: encode it once per pass.
import { dispatch } from '../../gpu/dispatch';
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import { checkInteger, checkStorage, MAX_GROUPS_PER_DIMENSION } from '../matmul/support';
import { ropeInverseFrequencies, ropeTurnTable } from '../rope/frequencies';
import { MAX_HEAD_DIM, type RopeFrequencies, type RopeShape } from '../rope/rope';

const SHADER = 'rope-backward.wgsl';
const WORKGROUP_SIZE = 64;
const KERNEL = 'rope backward';

export class RopeBackwardKernel {
  private tableKey = '';

  private constructor(
    private readonly gpu: Gpu,
    private readonly pipeline: GPUComputePipeline,
    private readonly uniforms: UniformBlock,
    private readonly turns: GPUBuffer,
  ) {}

  static async create(gpu: Gpu, label = 'rope-backward'): Promise<RopeBackwardKernel> {
    const pipeline = await gpu.pipelines.get({
      shader: SHADER,
      entryPoint: 'ropeBackward',
      constants: { WORKGROUP_SIZE },
    });
    const turns = gpu.device.createBuffer({
      label: `${label}:turns`,
      size: (MAX_HEAD_DIM / 2) * 8,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    return new RopeBackwardKernel(gpu, pipeline, new UniformBlock(gpu, 32, `${label}:params`), turns);
  }

  /** Rotates the gradient `gradient` (dY in, dX out) back in place; layout as the forward's. */
  encode(
    pass: GPUComputePassEncoder,
    gradient: GPUBuffer,
    positions: GPUBuffer,
    shape: RopeShape,
    frequencies: RopeFrequencies,
  ): void {
    const { tokens, heads, headDim } = shape;
    checkInteger(KERNEL, 'tokens', tokens, 1, MAX_GROUPS_PER_DIMENSION);
    checkInteger(KERNEL, 'heads', heads, 1, 4096);
    checkInteger(KERNEL, 'headDim', headDim, 2, MAX_HEAD_DIM);
    if (headDim % 2 !== 0) throw new KernelInputError(`${KERNEL}: headDim must be even, got ${headDim}`);
    const rowLength = heads * headDim;
    const rowStride = shape.rowStride ?? rowLength;
    const offset = shape.offset ?? 0;
    checkInteger(KERNEL, 'offset', offset, 0, 2 ** 30);
    checkInteger(
      KERNEL,
      `rowStride (rows hold offset ${offset} + heads * headDim = ${offset + rowLength})`,
      rowStride,
      offset + rowLength,
      2 ** 30,
    );
    const bytes = ((tokens - 1) * rowStride + offset + rowLength) * 4;
    checkStorage(this.gpu, KERNEL, 'gradient', gradient, bytes);
    checkStorage(this.gpu, KERNEL, 'positions', positions, tokens * 4);
    if (positions === gradient)
      throw new KernelInputError(`${KERNEL}: gradient and positions are the same buffer "${gradient.label}"`);
    const groups = Math.ceil(rowLength / 2 / WORKGROUP_SIZE);
    checkInteger(KERNEL, 'workgroups for heads * headDim / 2', groups, 1, MAX_GROUPS_PER_DIMENSION);
    const table = this.tableFor(headDim, frequencies);
    this.uniforms.write(
      new Uint32Array([tokens, heads, headDim / 2, rowStride, offset, 0, 0, 0]).buffer,
      pass,
    );
    if (table) {
      this.gpu.device.queue.writeBuffer(this.turns, 0, table.words);
      this.tableKey = table.key;
    }
    const buffers = [gradient, positions, this.turns, this.uniforms.buffer];
    dispatch(this.gpu, pass, this.pipeline, buffers, groups, tokens);
  }

  /** The turn table to upload, or null when this instance already holds it (same theta and D). */
  private tableFor(headDim: number, frequencies: RopeFrequencies) {
    if ('theta' in frequencies) {
      const key = `theta ${frequencies.theta} D ${headDim}`;
      if (key === this.tableKey) return null;
      return { words: ropeTurnTable(ropeInverseFrequencies(headDim, frequencies.theta)), key };
    }
    const inverse = frequencies.inverseFrequencies;
    if (inverse.length !== headDim / 2) {
      throw new KernelInputError(
        `${KERNEL}: inverseFrequencies has ${inverse.length} entries, headDim / 2 = ${headDim / 2} expected`,
      );
    }
    return { words: ropeTurnTable(inverse), key: '' };
  }

  destroy(): void {
    this.uniforms.destroy();
    this.turns.destroy();
  }
}
