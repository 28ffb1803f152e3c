// Token rank on the GPU: the rank and logit of chosen tokens in rows of logits, for the Decode
// inspector ("the chosen token's probability and rank under every distribution"), reading back
// 2 words per query instead of a vocabulary row. Spec and tie rules: ./reference.ts.
// One workgroup per query; its threads stride over the vocabulary (shaders/token-rank.wgsl).
//
// Order: validate -> write this call's queries and uniforms -> dispatch. A TokenRank owns its
// query, output and uniform buffers (created once, sized for `maxQueries`), so one instance
// serves one dispatch per submission; use one instance per logits buffer that is ranked in the
// same submission.
import { dispatch } from '../../gpu/dispatch';
import { GpuError, KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import { bitsToFloat } from '../logits/layout';
import type { RankQuery, TokenRankResult } from './reference';

export type { RankQuery, TokenRankResult } from './reference';

export const MAX_RANK_VOCAB = 262_144;
/** u32 words read back per query: rank, logit bits. */
export const RANK_WORDS = 2;

export interface TokenRankArgs {
  /** Logits [rows, vocab] f32 with STORAGE usage (a model's output, a pipeline's combined row). */
  logits: GPUBuffer;
  vocab: number;
  rows: number;
  queries: readonly RankQuery[];
}

export interface TokenRankOptions {
  /** Most queries one call takes (buffers are sized for it). */
  maxQueries: number;
  label?: string;
  workgroupSize?: number;
}

/** Parses `count` (rank, logit bits) records. */
export function parseRanks(words: Uint32Array, count: number): TokenRankResult[] {
  return Array.from({ length: count }, (_, q) => ({
    rank: words[q * RANK_WORDS],
    logit: bitsToFloat(words[q * RANK_WORDS + 1]),
  }));
}

export class TokenRank {
  readonly maxQueries: number;
  /** [maxQueries, 2] u32: the last encode's results (rank, logit bits) per query. */
  readonly output: GPUBuffer;
  private readonly queryBuffer: GPUBuffer;

  private constructor(
    private readonly gpu: Gpu,
    private readonly pipeline: GPUComputePipeline,
    private readonly uniforms: UniformBlock,
    maxQueries: number,
    label: string,
  ) {
    this.maxQueries = maxQueries;
    const bytes = Math.max(16, maxQueries * RANK_WORDS * 4);
    this.queryBuffer = gpu.device.createBuffer({
      label: `${label}:queries`,
      size: bytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    this.output = gpu.device.createBuffer({
      label: `${label}:output`,
      size: bytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
  }

  static async create(gpu: Gpu, options: TokenRankOptions): Promise<TokenRank> {
    const { maxQueries, label = 'token-rank' } = options;
    const limit = gpu.device.limits.maxComputeWorkgroupsPerDimension;
    if (!Number.isInteger(maxQueries) || maxQueries < 1 || maxQueries > limit) {
      throw new KernelInputError(
        `TokenRank: maxQueries must be an integer in 1..${limit}, got ${maxQueries}`,
      );
    }
    const max = Math.min(256, gpu.device.limits.maxComputeInvocationsPerWorkgroup);
    const size = options.workgroupSize ?? max;
    if (!Number.isInteger(size) || size < 1 || size > max) {
      throw new KernelInputError(`TokenRank: workgroupSize must be an integer in 1..${max}, got ${size}`);
    }
    const pipeline = await gpu.pipelines.get({
      shader: 'token-rank.wgsl',
      entryPoint: 'tokenRank',
      constants: { WORKGROUP_SIZE: size },
    });
    return new TokenRank(gpu, pipeline, new UniformBlock(gpu, 16, `${label}:params`), maxQueries, label);
  }

  /** Throws KernelInputError naming the first bad argument. */
  validate({ logits, vocab, rows, queries }: TokenRankArgs): void {
    if (!Number.isInteger(vocab) || vocab < 1 || vocab > MAX_RANK_VOCAB)
      throw new KernelInputError(`TokenRank: vocab must be an integer in 1..${MAX_RANK_VOCAB}, got ${vocab}`);
    if (!Number.isInteger(rows) || rows < 1)
      throw new KernelInputError(`TokenRank: rows must be an integer >= 1, got ${rows}`);
    if (queries.length < 1 || queries.length > this.maxQueries) {
      throw new KernelInputError(
        `TokenRank: got ${queries.length} queries; this instance takes 1..${this.maxQueries} (its maxQueries)`,
      );
    }
    queries.forEach(({ row, token }, q) => {
      if (!Number.isInteger(row) || row < 0 || row >= rows)
        throw new KernelInputError(
          `TokenRank: query ${q} names row ${row}; the logits have rows 0..${rows - 1}`,
        );
      if (!Number.isInteger(token) || token < 0 || token >= vocab) {
        throw new KernelInputError(
          `TokenRank: query ${q} names token ${token}; the vocabulary has ids 0..${vocab - 1}`,
        );
      }
    });
    const needed = rows * vocab * 4;
    if (logits.size < needed) {
      throw new KernelInputError(
        `TokenRank: logits buffer "${logits.label}" has ${logits.size} bytes; [${rows}, ${vocab}] f32 needs ${needed}`,
      );
    }
    if ((logits.usage & GPUBufferUsage.STORAGE) === 0)
      throw new KernelInputError(`TokenRank: logits buffer "${logits.label}" lacks STORAGE usage`);
  }

  /**
   * Writes the queries and records one dispatch into `pass`; the results land in `this.output`
   * ([queries, 2] u32) when the submission runs. One encode per instance per submission.
   */
  encode(pass: GPUComputePassEncoder, args: TokenRankArgs): GPUBuffer {
    this.validate(args);
    const { queries } = args;
    this.uniforms.write(new Uint32Array([args.vocab, args.rows, queries.length, 0]).buffer, pass);
    this.gpu.device.queue.writeBuffer(this.queryBuffer, 0, new Uint32Array(queries.flatMap((q) => [q.row, q.token]))); // prettier-ignore
    dispatch(this.gpu, pass, this.pipeline, [args.logits, this.queryBuffer, this.output, this.uniforms.buffer], queries.length); // prettier-ignore
    return this.output;
  }

  /** Encodes, submits and reads back the 2 words per query (tests, checks, one-off use). */
  async compute(args: TokenRankArgs): Promise<TokenRankResult[]> {
    this.gpu.assertAlive();
    const bytes = args.queries.length * RANK_WORDS * 4;
    const { device, buffers } = this.gpu;
    const staging = buffers.acquire(bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'token-rank:readback'); // prettier-ignore
    try {
      const encoder = device.createCommandEncoder({ label: 'token-rank' });
      const pass = encoder.beginComputePass({ label: 'token-rank' });
      this.encode(pass, args);
      pass.end();
      encoder.copyBufferToBuffer(this.output, 0, staging, 0, bytes);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ, 0, bytes);
      const words = new Uint32Array(staging.getMappedRange(0, bytes).slice(0));
      staging.unmap();
      return parseRanks(words, args.queries.length);
    } catch (cause) {
      if (this.gpu.isLost) throw new GpuError('device-lost', 'The GPU device was lost while ranking tokens.');
      throw cause;
    } finally {
      buffers.release(staging);
    }
  }

  destroy(): void {
    this.uniforms.destroy();
    this.queryBuffer.destroy();
    this.output.destroy();
  }
}
