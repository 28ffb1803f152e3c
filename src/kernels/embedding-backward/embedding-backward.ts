// Embedding backward (token table, or GPT-2's position table with positions as ids):
//
//   dE[v, :] += sum over tokens t with ids[t] = v of dOut[t, :]     (t in increasing order)
//
// Layouts (f32 row-major): dOut [tokens, dim]; dE [rows, dim] as row chunks (TensorChunk, as the
// forward's table, so Qwen's 151,936-row gradient splits under the binding limit); the grouping
// (./grouping.ts) as TokenGroupingBuffers: uniqueIds, offsets, tokens (u32).
// Determinism: a scatter-add over tokens would need float atomics (WGSL has none) and its order
// would depend on thread timing; instead the CPU groups the ids (it holds them) and one workgroup
// per unique id gathers its tokens' rows in token order, so every element is written by one
// thread and the result equals ./reference.ts bit for bit. Always accumulates: zero dE first for
// a fresh gradient. Ids are validated on the CPU by groupTokensById (ids >= rows never reach the
// GPU; were they to, no chunk would contain them and they would be dropped).
// Shader: shaders/embedding-backward.wgsl. One uniform block per chunk: encode once per pass.
import { dispatch } from '../../gpu/dispatch';
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import { checkChunks, type TensorChunk } from '../matmul/chunks';
import { checkDistinct, checkInteger, checkStorage, MAX_GROUPS_PER_DIMENSION } from '../matmul/support';
import type { TokenGroupingBuffers } from './grouping';

const SHADER = 'embedding-backward.wgsl';
const KERNEL = 'embedding backward';
const WORKGROUP_SIZE = 64;

export interface EmbeddingBackwardShape {
  tokens: number;
  dim: number;
  /** Rows of the table: the vocabulary, or maxPositions. */
  rows: number;
}

export class EmbeddingBackwardKernel {
  private readonly uniforms: UniformBlock[] = [];

  private constructor(
    private readonly gpu: Gpu,
    private readonly label: string,
    private readonly pipeline: GPUComputePipeline,
  ) {}

  static async create(gpu: Gpu, label = 'embedding-backward'): Promise<EmbeddingBackwardKernel> {
    const pipeline = await gpu.pipelines.get({
      shader: SHADER,
      entryPoint: 'embeddingBackward',
      constants: { WORKGROUP_SIZE },
    });
    return new EmbeddingBackwardKernel(gpu, label, pipeline);
  }

  /** dE (chunks covering 0..rows) += the grouped rows of dOut [tokens, dim]. */
  encode(
    pass: GPUComputePassEncoder,
    grouping: TokenGroupingBuffers,
    outputGradient: GPUBuffer,
    tableGradient: readonly TensorChunk[],
    shape: EmbeddingBackwardShape,
  ): void {
    const { tokens, dim, rows } = shape;
    checkInteger(KERNEL, 'tokens', tokens, 1, grouping.maxTokens);
    checkInteger(KERNEL, 'dim', dim, 1, 2 ** 24);
    checkInteger(KERNEL, 'rows (table size)', rows, 1, 2 ** 31);
    if (grouping.tokenCount !== tokens) {
      throw new KernelInputError(
        `${KERNEL}: the grouping last written holds ${grouping.tokenCount} tokens but the shape has ${tokens}: ` +
          'write the grouping of this batch (groupTokensById) first',
      );
    }
    checkStorage(this.gpu, KERNEL, 'dOut', outputGradient, tokens * dim * 4);
    checkChunks(this.gpu, KERNEL, 'dE', tableGradient, rows, dim);
    const reads: [string, GPUBuffer][] = [
      ['dOut', outputGradient],
      ['uniqueIds', grouping.uniqueIds],
      ['offsets', grouping.offsets],
      ['tokens', grouping.tokens],
    ];
    tableGradient.forEach((chunk, i) => checkDistinct(KERNEL, [`dE chunk ${i}`, chunk.buffer], reads));
    const unique = grouping.uniqueCount;
    if (unique === 0) return; // every position was left out: nothing to add
    const groupsX = Math.min(unique, MAX_GROUPS_PER_DIMENSION);
    const groupsY = Math.ceil(unique / groupsX);
    tableGradient.forEach((chunk, i) => {
      const block = this.uniformBlock(i);
      block.write(new Uint32Array([unique, dim, chunk.start, chunk.end, groupsX, 0, 0, 0]).buffer, pass);
      const buffers = [...reads.slice(1).map(([, b]) => b), outputGradient, chunk.buffer, block.buffer];
      dispatch(this.gpu, pass, this.pipeline, buffers, groupsX, groupsY);
    });
  }

  private uniformBlock(i: number): UniformBlock {
    while (this.uniforms.length <= i) {
      this.uniforms.push(new UniformBlock(this.gpu, 32, `${this.label}:params[${this.uniforms.length}]`));
    }
    return this.uniforms[i];
  }

  destroy(): void {
    for (const block of this.uniforms.splice(0)) block.destroy();
  }
}
