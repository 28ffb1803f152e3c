// Global gradient norm over a model's gradient tensors, deterministic, two levels:
//   gradientNormPartials, one dispatch per tensor i ([n_i] f32): gradientNormGroups(n_i)
//     workgroup partials (sum of finite g^2, count of NaN/Inf by bits) in a fixed order;
//   gradientNormFinish, one workgroup: the partials summed in a fixed order into `stats`.
// stats (STATS_HEADER_WORDS + tensors words, the only thing read back):
//   [0] ||g||_2 (f32 bits)  [1] non-finite entries  [2] sum of squares (f32 bits)  [3] tensors
//   [4 + i] non-finite entries of tensor i (so a stopped run can name the tensor)
// The tensor sizes are fixed at creation (a model's parameters), so the partial layout and the
// uniforms are written once; encode() only binds the step's buffers. Shader: shaders/optimizer.wgsl.
//
// Cost. A partial workgroup ends in a tree of barriers, which on software adapters costs in
// proportion to its threads, so each thread sums at least GRADIENT_NORM_ELEMENTS_PER_THREAD
// entries in 64-thread workgroups: on SwiftShader (2 loaded cores) 30 tensors of 4K-16K entries
// went from ~670 ms (one entry per thread, 256 threads) to 5-10 ms. One dispatch per tensor stays:
// gradients are separate buffers, a dispatch binds at most maxStorageBuffersPerShaderStage (8 by
// default) of them, and the dispatches themselves cost ~0.05 ms each there, so batching them
// through a switch over bindings would save little.
import { dispatch } from '../../gpu/dispatch';
import { KernelInputError } from '../../gpu/errors';
import { readUint32 } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import { checkDistinct, checkInteger, checkStorage } from '../matmul/support';

const SHADER = 'optimizer.wgsl';
const NAME = 'gradient norm';
/** Workgroup size of AdamW and of the finish pass. */
export const OPTIMIZER_WORKGROUP_SIZE = 256;
/** Workgroup size of the partial pass. */
export const PARTIAL_WORKGROUP_SIZE = 64;
/**
 * Most workgroups (and partials) per tensor: 65,536 threads for a large tensor, as many as real
 * GPUs need in flight, few enough partials for one finish workgroup.
 */
export const PARTIALS_PER_TENSOR = 1024;
/** Least entries per thread of the partial pass, until a tensor has PARTIALS_PER_TENSOR groups. */
export const GRADIENT_NORM_ELEMENTS_PER_THREAD = 32;
export const STATS_HEADER_WORDS = 4;

/** Workgroups of the partial pass for a tensor of n entries (fixed per n, and with it the sum order). */
export function gradientNormGroups(n: number): number {
  const perGroup = PARTIAL_WORKGROUP_SIZE * GRADIENT_NORM_ELEMENTS_PER_THREAD;
  return Math.min(PARTIALS_PER_TENSOR, Math.ceil(n / perGroup));
}

/** Largest tensor: the partial pass strides, but counts stay exact u32 and f32-indexable. */
export const MAX_GRADIENT_ENTRIES = 2 ** 30;
export const MAX_GRADIENT_TENSORS = 4096;

export interface GradientStats {
  /** ||g||_2 over the finite entries (Infinity when the sum of squares overflowed f32). */
  norm: number;
  sumOfSquares: number;
  /** NaN/Inf entries over all tensors; > 0 means the AdamW step was skipped. */
  nonFinite: number;
  nonFinitePerTensor: number[];
}

/** Bytes of the stats buffer for `tensors` gradient tensors. */
export function gradientStatsBytes(tensors: number): number {
  return Math.ceil(((STATS_HEADER_WORDS + tensors) * 4) / 16) * 16;
}

export class GradientNormKernel {
  private constructor(
    private readonly gpu: Gpu,
    private readonly counts: readonly number[],
    private readonly partialPipeline: GPUComputePipeline,
    private readonly finishPipeline: GPUComputePipeline,
    private readonly partialUniforms: UniformBlock[],
    private readonly finishUniforms: UniformBlock,
    private readonly partials: GPUBuffer,
    private readonly ranges: GPUBuffer,
    private readonly groups: number[],
  ) {}

  /** counts[i] = n_i, the entries of gradient tensor i. */
  static async create(
    gpu: Gpu,
    counts: readonly number[],
    label = 'gradient-norm',
  ): Promise<GradientNormKernel> {
    checkInteger(NAME, 'number of gradient tensors', counts.length, 1, MAX_GRADIENT_TENSORS);
    counts.forEach((n, i) =>
      checkInteger(NAME, `entries of gradient tensor ${i}`, n, 1, MAX_GRADIENT_ENTRIES),
    );
    const [partialPipeline, finishPipeline] = await Promise.all([
      gpu.pipelines.get({
        shader: SHADER,
        entryPoint: 'gradientNormPartials',
        constants: { WORKGROUP_SIZE: PARTIAL_WORKGROUP_SIZE },
      }),
      gpu.pipelines.get({
        shader: SHADER,
        entryPoint: 'gradientNormFinish',
        constants: { WORKGROUP_SIZE: OPTIMIZER_WORKGROUP_SIZE },
      }),
    ]);
    const groups = counts.map((n) => gradientNormGroups(n));
    const ranges = new Uint32Array(counts.length + 1);
    groups.forEach((g, i) => (ranges[i + 1] = ranges[i] + g));
    const total = ranges[counts.length];
    const partialUniforms = counts.map((n, i) => {
      const block = new UniformBlock(gpu, 16, `${label}:partials-${i}`);
      block.write(new Uint32Array([n, ranges[i], groups[i], 0]).buffer);
      return block;
    });
    const finishUniforms = new UniformBlock(gpu, 16, `${label}:finish`);
    finishUniforms.write(new Uint32Array([total, counts.length, 0, 0]).buffer);
    const partials = gpu.device.createBuffer({
      label: `${label}:partials`,
      size: Math.max(16, total * 8),
      usage: GPUBufferUsage.STORAGE,
    });
    const rangeBuffer = gpu.device.createBuffer({
      label: `${label}:ranges`,
      size: Math.ceil(ranges.byteLength / 16) * 16,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    gpu.device.queue.writeBuffer(rangeBuffer, 0, ranges);
    return new GradientNormKernel(
      gpu,
      [...counts],
      partialPipeline,
      finishPipeline,
      partialUniforms,
      finishUniforms,
      partials,
      rangeBuffer,
      groups,
    );
  }

  get tensorCount(): number {
    return this.counts.length;
  }

  /** stats <- norm and NaN/Inf counts of gradients[i] ([n_i] f32 each, in creation order). */
  encode(pass: GPUComputePassEncoder, gradients: readonly GPUBuffer[], stats: GPUBuffer): void {
    if (gradients.length !== this.counts.length) {
      throw new KernelInputError(
        `${NAME}: got ${gradients.length} gradient buffers but the kernel was created for ${this.counts.length} tensors`,
      );
    }
    gradients.forEach((g, i) => checkStorage(this.gpu, NAME, `gradient ${i}`, g, this.counts[i] * 4));
    checkStorage(this.gpu, NAME, 'stats', stats, (STATS_HEADER_WORDS + this.counts.length) * 4);
    checkDistinct(
      NAME,
      ['stats', stats],
      gradients.map((g, i) => [`gradient ${i}`, g]),
    );
    gradients.forEach((gradient, i) => {
      const buffers = [gradient, this.partials, this.partialUniforms[i].buffer];
      dispatch(this.gpu, pass, this.partialPipeline, buffers, this.groups[i]);
    });
    const buffers = [this.partials, this.ranges, stats, this.finishUniforms.buffer];
    dispatch(this.gpu, pass, this.finishPipeline, buffers, 1);
  }

  destroy(): void {
    for (const block of this.partialUniforms) block.destroy();
    this.finishUniforms.destroy();
    this.partials.destroy();
    this.ranges.destroy();
  }
}

/** Reads the stats buffer (a few words: the only readback of a training step). */
export async function readGradientStats(gpu: Gpu, stats: GPUBuffer, tensors: number): Promise<GradientStats> {
  const words = await readUint32(gpu, stats, STATS_HEADER_WORDS + tensors);
  const floats = new Float32Array(words.buffer, words.byteOffset, 3);
  return {
    norm: floats[0],
    sumOfSquares: floats[2],
    nonFinite: words[1],
    nonFinitePerTensor: Array.from(words.subarray(STATS_HEADER_WORDS)),
  };
}
