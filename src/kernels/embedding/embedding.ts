// Token embedding lookup, with GPT-2's learned position embedding optionally added:
//
//   out[t, :] = E[ids[t], :] (+ P[positions[t], :])
//
// Layouts (f32 row-major): ids u32 [tokens]; E [vocab, dim] as row chunks (TensorChunk from
// ../matmul/chunks.ts: chunk i holds rows start..end-1, so Qwen's 151,936-row table splits under
// the binding limit, and the same chunks serve the tied head as a MatmulWeight { layout: 'nk' });
// P [maxPositions, dim]; positions u32 [tokens] (the same buffer RoPE reads); out [tokens, dim].
//
// Bad ids on the GPU: a token with id >= vocab (or position >= maxPositions) gets an all-zero row
// and is recorded in `status` (EMBEDDING_STATUS_BYTES, 4 u32 words, sticky until cleared with
// clearEmbeddingStatus; read it with parseEmbeddingStatus / embeddingStatusError). Ids that come
// from the CPU should be checked there first with checkTokenIds, which names the token.
// Spec: ./reference.ts. An instance owns its uniform blocks: encode it once per submission.
import { dispatch } from '../../gpu/dispatch';
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import { checkChunks, type TensorChunk } from '../matmul/chunks';
import {
  checkDistinct,
  checkInteger,
  checkStorage,
  dummyStorage,
  MAX_GROUPS_PER_DIMENSION,
} from '../matmul/support';

const SHADER = 'embedding.wgsl';
const KERNEL = 'embedding';
const WORKGROUP_SIZE = 64;
const FLAG_POSITIONS = 1;
const FLAG_FIRST_CHUNK = 2;

/** Size of the status buffer: [bad ids, largest bad id, bad positions, largest bad position]. */
export const EMBEDDING_STATUS_BYTES = 16;

export interface EmbeddingShape {
  tokens: number;
  dim: number;
  vocab: number;
}

/** GPT-2's learned positions: P [maxPositions, dim] and one position per token. */
export interface PositionEmbedding {
  table: GPUBuffer;
  positions: GPUBuffer;
  maxPositions: number;
}

export interface EmbeddingStatus {
  badIds: number;
  largestBadId: number | null;
  badPositions: number;
  largestBadPosition: number | null;
}

export function parseEmbeddingStatus(words: Uint32Array): EmbeddingStatus {
  return {
    badIds: words[0],
    largestBadId: words[0] > 0 ? words[1] : null,
    badPositions: words[2],
    largestBadPosition: words[2] > 0 ? words[3] : null,
  };
}

/** The error a caller throws after reading a non-clean status, or null when it is clean. */
export function embeddingStatusError(
  status: EmbeddingStatus,
  vocab: number,
  maxPositions?: number,
): KernelInputError | null {
  const problems: string[] = [];
  if (status.badIds > 0) {
    problems.push(
      `${status.badIds} token id(s) out of range (largest ${status.largestBadId}, vocab ${vocab})`,
    );
  }
  if (status.badPositions > 0) {
    problems.push(
      `${status.badPositions} position(s) out of range (largest ${status.largestBadPosition}, ` +
        `max positions ${maxPositions ?? '?'})`,
    );
  }
  if (problems.length === 0) return null;
  return new KernelInputError(
    `embedding: ${problems.join('; ')}; those rows were set to zero. Check the tokenizer matches the model, ` +
      'and that the context fits its maximum length',
  );
}

/** CPU-side check of ids before upload: names the first bad token. */
export function checkTokenIds(ids: ArrayLike<number>, vocab: number): void {
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t];
    if (!Number.isInteger(id) || id < 0 || id >= vocab) {
      throw new KernelInputError(
        `embedding: token ${t} has id ${id}, outside 0..${vocab - 1} (vocab ${vocab}); ` +
          'the tokenizer and the model may not match',
      );
    }
  }
}

/** CPU-side check of positions against a learned position table of `maxPositions` rows. */
export function checkPositions(positions: ArrayLike<number>, maxPositions: number): void {
  for (let t = 0; t < positions.length; t++) {
    const p = positions[t];
    if (!Number.isInteger(p) || p < 0 || p >= maxPositions) {
      throw new KernelInputError(
        `embedding: token ${t} is at position ${p}, outside 0..${maxPositions - 1} ` +
          `(the model's n_positions is ${maxPositions}); shorten the context`,
      );
    }
  }
}

/** Zeroes the status buffer before the next submission (queue write). */
export function clearEmbeddingStatus(gpu: Gpu, status: GPUBuffer): void {
  gpu.device.queue.writeBuffer(status, 0, new Uint32Array(4));
}

export class EmbeddingKernel {
  private readonly uniforms: UniformBlock[] = [];

  private constructor(
    private readonly gpu: Gpu,
    private readonly label: string,
    private readonly pipeline: GPUComputePipeline,
  ) {}

  static async create(gpu: Gpu, label = KERNEL): Promise<EmbeddingKernel> {
    const pipeline = await gpu.pipelines.get({
      shader: SHADER,
      entryPoint: 'embed',
      constants: { WORKGROUP_SIZE },
    });
    return new EmbeddingKernel(gpu, label, pipeline);
  }

  /** out [tokens, dim] <- E[ids] (+ P[positions]); one dispatch per chunk of E. */
  encode(
    pass: GPUComputePassEncoder,
    ids: GPUBuffer,
    table: readonly TensorChunk[],
    output: GPUBuffer,
    status: GPUBuffer,
    shape: EmbeddingShape,
    positional?: PositionEmbedding,
  ): void {
    const { tokens, dim, vocab } = shape;
    checkInteger(KERNEL, 'tokens', tokens, 1, MAX_GROUPS_PER_DIMENSION);
    checkInteger(KERNEL, 'dim', dim, 1, 2 ** 20);
    checkInteger(KERNEL, 'vocab', vocab, 1, 2 ** 31);
    checkStorage(this.gpu, KERNEL, 'ids', ids, tokens * 4);
    checkChunks(this.gpu, KERNEL, 'table', table, vocab, dim);
    checkStorage(this.gpu, KERNEL, 'output', output, tokens * dim * 4);
    checkStorage(this.gpu, KERNEL, 'status', status, EMBEDDING_STATUS_BYTES);
    const inputs: [string, GPUBuffer][] = [
      ['ids', ids],
      ...table.map((c, i) => [`table chunk ${i}`, c.buffer] as [string, GPUBuffer]),
    ];
    if (positional) {
      checkInteger(KERNEL, 'maxPositions', positional.maxPositions, 1, 2 ** 31);
      checkStorage(this.gpu, KERNEL, 'positions', positional.positions, tokens * 4);
      checkStorage(this.gpu, KERNEL, 'position table', positional.table, positional.maxPositions * dim * 4);
      inputs.push(['positions', positional.positions], ['position table', positional.table]);
    }
    checkDistinct(KERNEL, ['output', output], [...inputs, ['status', status]]);
    checkDistinct(KERNEL, ['status', status], inputs);

    const dummy = dummyStorage(this.gpu);
    table.forEach((chunk, i) => {
      const flags = (positional ? FLAG_POSITIONS : 0) | (i === 0 ? FLAG_FIRST_CHUNK : 0);
      const words = [tokens, dim, vocab, positional?.maxPositions ?? 0, chunk.start, chunk.end, flags, 0];
      const uniforms = this.uniformBlock(i);
      uniforms.write(new Uint32Array(words).buffer, pass);
      const buffers = [
        ids,
        chunk.buffer,
        positional?.positions ?? dummy,
        positional?.table ?? dummy,
        output,
        status,
        uniforms.buffer,
      ];
      dispatch(this.gpu, pass, this.pipeline, buffers, tokens);
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
