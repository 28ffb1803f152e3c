// Rotary position embedding (Su et al., "RoFormer: Enhanced Transformer with Rotary Position
// Embedding"), in place, in the "rotate half" convention of transformers' Llama/Qwen2
// (rotate_half pairs element i with i + D/2, not 2i with 2i + 1):
//
//   angle(t, i) = positions[t] * inv_freq[i],  inv_freq[i] = 1 / theta^(2i / D),  i < D/2
//   x'[i]       = x[i] cos(angle) - x[i + D/2] sin(angle)
//   x'[i + D/2] = x[i + D/2] cos(angle) + x[i] sin(angle)
//
// Layout: x is f32 [tokens, heads, D] inside rows of `rowStride` elements starting at `offset`
// (defaults: rowStride = heads * D, offset 0), so Q and K inside one packed QKV row
// [tokens, (Hq + 2 Hkv) D] are rotated in one dispatch with heads = Hq + Hkv, offset 0.
// positions: u32 [tokens], one absolute position per row (batched sequences of different
// lengths just write their own positions). inv_freq: computed as transformers does (f32), or
// given (rope_scaling variants). Angles and sin/cos are exact to ~1e-7 rad for positions below
// 2^24 (see ./frequencies.ts and shaders/rope.wgsl). Spec: ./reference.ts.
// An instance owns one uniform block and one frequency table: encode it once per submission.
import { dispatch } from '../../gpu/dispatch';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import { checkInteger, checkStorage, MAX_GROUPS_PER_DIMENSION } from '../matmul/support';
import { KernelInputError } from '../../gpu/errors';
import { ropeInverseFrequencies, ropeTurnTable } from './frequencies';

const SHADER = 'rope.wgsl';
const WORKGROUP_SIZE = 64;
const KERNEL = 'rope';
export const MAX_HEAD_DIM = 1024;

export interface RopeShape {
  tokens: number;
  heads: number;
  /** D, even. */
  headDim: number;
  /** Elements between consecutive tokens' rows (default heads * headDim). */
  rowStride?: number;
  /** Element where head 0 starts within each row (default 0). */
  offset?: number;
}

/** theta (config rope_theta, e.g. 10000 or 1e6), or precomputed f32 inverse frequencies [D/2]. */
export type RopeFrequencies = { theta: number } | { inverseFrequencies: Float32Array };

export class RopeKernel {
  private tableKey = '';

  protected constructor(
    private readonly gpu: Gpu,
    private readonly pipeline: GPUComputePipeline,
    private readonly uniforms: UniformBlock,
    private readonly turns: GPUBuffer,
    /** How errors name this kernel and its in-place buffer ("rope", "x"; the backward's differ). */
    private readonly names: { kernel: string; buffer: string } = { kernel: KERNEL, buffer: 'x' },
  ) {}

  static async create(gpu: Gpu, label = KERNEL): Promise<RopeKernel> {
    return new RopeKernel(...(await RopeKernel.resources(gpu, label, 'rope')));
  }

  /** Pipeline of `entryPoint` in shaders/rope.wgsl, a uniform block and a turn table. */
  protected static async resources(
    gpu: Gpu,
    label: string,
    entryPoint: 'rope' | 'ropeBackward',
  ): Promise<[Gpu, GPUComputePipeline, UniformBlock, GPUBuffer]> {
    const pipeline = await gpu.pipelines.get({ shader: SHADER, entryPoint, constants: { WORKGROUP_SIZE } });
    const turns = gpu.device.createBuffer({
      label: `${label}:turns`,
      size: (MAX_HEAD_DIM / 2) * 8,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    return [gpu, pipeline, new UniformBlock(gpu, 32, `${label}:params`), turns];
  }

  /** Rotates x in place; see the header for the layout. */
  encode(
    pass: GPUComputePassEncoder,
    x: GPUBuffer,
    positions: GPUBuffer,
    shape: RopeShape,
    frequencies: RopeFrequencies,
  ): void {
    const kernel = this.names.kernel;
    const { tokens, heads, headDim } = shape;
    checkInteger(kernel, 'tokens', tokens, 1, MAX_GROUPS_PER_DIMENSION);
    checkInteger(kernel, 'heads', heads, 1, 4096);
    checkInteger(kernel, 'headDim', headDim, 2, MAX_HEAD_DIM);
    if (headDim % 2 !== 0) throw new KernelInputError(`${kernel}: headDim must be even, got ${headDim}`);
    const rowLength = heads * headDim;
    const rowStride = shape.rowStride ?? rowLength;
    const offset = shape.offset ?? 0;
    checkInteger(kernel, 'offset', offset, 0, 2 ** 30);
    checkInteger(
      kernel,
      `rowStride (rows hold offset ${offset} + heads * headDim = ${offset + rowLength})`,
      rowStride,
      offset + rowLength,
      2 ** 30,
    );
    checkStorage(this.gpu, kernel, this.names.buffer, x, ((tokens - 1) * rowStride + offset + rowLength) * 4);
    checkStorage(this.gpu, kernel, 'positions', positions, tokens * 4);
    if (positions === x)
      throw new KernelInputError(
        `${kernel}: ${this.names.buffer} and positions are the same buffer "${x.label}"`,
      );
    const groups = Math.ceil((heads * headDim) / 2 / WORKGROUP_SIZE);
    checkInteger(kernel, 'workgroups for heads * headDim / 2', groups, 1, MAX_GROUPS_PER_DIMENSION);
    const table = this.tableFor(headDim, frequencies);
    const params = new Uint32Array([tokens, heads, headDim / 2, rowStride, offset, 0, 0, 0]);
    this.uniforms.write(params.buffer, pass);
    if (table) {
      this.gpu.device.queue.writeBuffer(this.turns, 0, table.words);
      this.tableKey = table.key;
    }
    dispatch(this.gpu, pass, this.pipeline, [x, positions, this.turns, this.uniforms.buffer], groups, tokens);
  }

  /** The turn table to upload, or null when this instance already holds it (same theta and D). */
  private tableFor(
    headDim: number,
    frequencies: RopeFrequencies,
  ): { words: Uint32Array<ArrayBuffer>; key: string } | null {
    if ('theta' in frequencies) {
      const key = `theta ${frequencies.theta} D ${headDim}`;
      if (key === this.tableKey) return null;
      return { words: ropeTurnTable(ropeInverseFrequencies(headDim, frequencies.theta)), key };
    }
    const inverse = frequencies.inverseFrequencies;
    if (inverse.length !== headDim / 2) {
      throw new KernelInputError(
        `${this.names.kernel}: inverseFrequencies has ${inverse.length} entries, headDim / 2 = ${headDim / 2} expected`,
      );
    }
    return { words: ropeTurnTable(inverse), key: '' };
  }

  destroy(): void {
    this.uniforms.destroy();
    this.turns.destroy();
  }
}
