// Causal attention backward with grouped-query heads for a batch of B whole sequences of T tokens
// each (training: no KV cache, queries = keys = T; sequences are independent). Probabilities are recomputed, not stored: a [T, T] matrix per head
// would cost H T^2 floats, while recomputation needs only lse and delta per (token, head) (the
// FlashAttention-2 backward, Dao 2023, "FlashAttention-2: Faster Attention with Better Parallelism
// and Work Partitioning"). delta_i = rowsum(dO * O)_i is computed as sum_j P_ij dP_ij, so the
// forward output O is not an input.
//
//   P = softmax(Q K^T / sqrt(D) + causal mask)
//   dV = P^T dO;  dP = dO V^T;  dS = P * (dP - rowsum(dO * O));  dQ = dS K / sqrt(D);  dK = dS^T Q / sqrt(D)
//
// Layouts: Q, dO, dQ [B, T, H, D]; K, V, dK, dV [B, T, Hkv, D] (B = shape.batch, default 1); head h reads kv head floor(h / (H / Hkv))
// (as the forward kernels); dK, dV sum the heads of a group in head order (deterministic).
// The outputs are overwritten, not accumulated (they are activation gradients).
// Two shapes of the same two passes (one workgroup or one invocation per row): ./path.ts picks one
// from the shape, and says why. Spec: ./reference.ts. Shader: shaders/attention-backward.wgsl.
import { dispatch } from '../../gpu/dispatch';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import { KernelInputError } from '../../gpu/errors';
import { checkDistinct, checkInteger, checkStorage, MAX_GROUPS_PER_DIMENSION } from '../matmul/support';
import { ATTENTION_BACKWARD_PATHS, attentionBackwardPath, type AttentionBackwardPath } from './path';
import type { AttentionBackwardShape } from './reference';

const SHADER = 'attention-backward.wgsl';
const NAME = 'attention backward';
const WORKGROUP_SIZE = 64;
/** The workgroup path's workgroup arrays hold one head row (one limit serves both paths). */
export const MAX_BACKWARD_HEAD_DIM = 128;
export const MAX_BACKWARD_HEADS = 128;

export interface AttentionBackwardBuffers {
  /** Q [T, H, D] */
  query: GPUBuffer;
  /** K [T, Hkv, D] */
  key: GPUBuffer;
  /** V [T, Hkv, D] */
  value: GPUBuffer;
  /** dL/dO [T, H, D] */
  outputGradient: GPUBuffer;
  /** dL/dQ [T, H, D], written */
  queryGradient: GPUBuffer;
  /** dL/dK [T, Hkv, D], written */
  keyGradient: GPUBuffer;
  /** dL/dV [T, Hkv, D], written */
  valueGradient: GPUBuffer;
}

interface PassPipelines {
  query: GPUComputePipeline;
  keyValue: GPUComputePipeline;
}

type Grid = [number, number, number];

export class AttentionBackwardKernel {
  /** lse and delta per (token, head), [B, T, H, 2]; grown when a longer sequence comes, never per step. */
  private rowStats: GPUBuffer | null = null;

  private constructor(
    private readonly gpu: Gpu,
    private readonly label: string,
    private readonly pipelines: Record<AttentionBackwardPath, PassPipelines>,
    private readonly queryUniforms: UniformBlock,
    private readonly keyValueUniforms: UniformBlock,
  ) {}

  static async create(gpu: Gpu, label = 'attention-backward'): Promise<AttentionBackwardKernel> {
    const constants = { WORKGROUP_SIZE };
    const get = (entryPoint: string) => gpu.pipelines.get({ shader: SHADER, entryPoint, constants });
    const [query, keyValue, queryRows, keyValueRows] = await Promise.all([
      get('attentionBackwardQuery'),
      get('attentionBackwardKeyValue'),
      get('attentionBackwardQueryRows'),
      get('attentionBackwardKeyValueRows'),
    ]);
    return new AttentionBackwardKernel(
      gpu,
      label,
      {
        'workgroup-per-row': { query, keyValue },
        'invocation-per-row': { query: queryRows, keyValue: keyValueRows },
      },
      new UniformBlock(gpu, 32, `${label}:query-params`),
      new UniformBlock(gpu, 32, `${label}:key-value-params`),
    );
  }

  private statsBuffer(bytes: number): GPUBuffer {
    if (this.rowStats === null || this.rowStats.size < bytes) {
      this.rowStats?.destroy();
      this.rowStats = this.gpu.device.createBuffer({
        label: `${this.label}:row-stats`,
        size: Math.max(16, Math.ceil(bytes / 16) * 16),
        usage: GPUBufferUsage.STORAGE,
      });
    }
    return this.rowStats;
  }

  /**
   * dQ, dK, dV of causal attention over each of `batch` sequences, from Q, K, V and dO. `path`
   * defaults to ./path.ts's choice for the shape; both give the reference's result (tests, bench).
   */
  encode(
    pass: GPUComputePassEncoder,
    b: AttentionBackwardBuffers,
    shape: AttentionBackwardShape,
    path: AttentionBackwardPath = attentionBackwardPath(shape),
  ): void {
    const { tokens, numHeads, numKvHeads, headDim } = shape;
    const batch = shape.batch ?? 1;
    checkInteger(NAME, 'tokens (T)', tokens, 1, MAX_GROUPS_PER_DIMENSION);
    checkInteger(NAME, 'batch (B)', batch, 1, MAX_GROUPS_PER_DIMENSION);
    checkInteger(NAME, 'numHeads (H)', numHeads, 1, MAX_BACKWARD_HEADS);
    checkInteger(NAME, 'numKvHeads (Hkv)', numKvHeads, 1, numHeads);
    if (numHeads % numKvHeads !== 0) {
      throw new KernelInputError(
        `${NAME}: numKvHeads (Hkv) = ${numKvHeads} must divide numHeads (H) = ${numHeads}`,
      );
    }
    checkInteger(NAME, 'headDim (D)', headDim, 1, MAX_BACKWARD_HEAD_DIM);
    const grid = this.grid(path, shape);
    const queryBytes = batch * tokens * numHeads * headDim * 4;
    const kvBytes = batch * tokens * numKvHeads * headDim * 4;
    const named: [string, GPUBuffer, number][] = [
      ['query', b.query, queryBytes],
      ['key', b.key, kvBytes],
      ['value', b.value, kvBytes],
      ['outputGradient', b.outputGradient, queryBytes],
      ['queryGradient', b.queryGradient, queryBytes],
      ['keyGradient', b.keyGradient, kvBytes],
      ['valueGradient', b.valueGradient, kvBytes],
    ];
    for (const [what, buffer, bytes] of named) checkStorage(this.gpu, NAME, what, buffer, bytes);
    for (const written of [4, 5, 6]) {
      const others = named
        .filter((_, k) => k !== written)
        .map(([w, buffer]): [string, GPUBuffer] => [w, buffer]);
      checkDistinct(NAME, [named[written][0], named[written][1]], others);
    }
    const stats = this.statsBuffer(batch * tokens * numHeads * 8);
    const block = new ArrayBuffer(32);
    new Uint32Array(block).set([tokens, numHeads, numKvHeads, headDim, numHeads / numKvHeads]);
    new Float32Array(block)[5] = 1 / Math.sqrt(headDim);
    this.queryUniforms.write(block, pass);
    this.keyValueUniforms.write(block, pass);
    const inputs = [b.query, b.key, b.value, b.outputGradient];
    const { query, keyValue } = this.pipelines[path];
    dispatch(
      this.gpu,
      pass,
      query,
      [...inputs, b.queryGradient, stats, this.queryUniforms.buffer],
      ...grid.query,
    );
    dispatch(
      this.gpu,
      pass,
      keyValue,
      [...inputs, stats, b.keyGradient, b.valueGradient, this.keyValueUniforms.buffer],
      ...grid.keyValue,
    );
  }

  /** Workgroups of each pass: (row, head, sequence), or (slots of WORKGROUP_SIZE rows x heads, 1, sequence). */
  private grid(
    path: AttentionBackwardPath,
    shape: AttentionBackwardShape,
  ): Record<'query' | 'keyValue', Grid> {
    const { tokens, numHeads, numKvHeads, headDim } = shape;
    const batch = shape.batch ?? 1;
    if (path === 'workgroup-per-row') {
      return { query: [tokens, numHeads, batch], keyValue: [tokens, numKvHeads, batch] };
    }
    if (path !== 'invocation-per-row') {
      throw new KernelInputError(
        `${NAME}: unknown path ${JSON.stringify(path)}; use one of ${ATTENTION_BACKWARD_PATHS.join(', ')}`,
      );
    }
    if (headDim % 4 !== 0) {
      throw new KernelInputError(
        `${NAME}: the invocation-per-row path reads rows as vec4 and needs headDim (D) a multiple of 4, ` +
          `got ${headDim}: use the workgroup-per-row path`,
      );
    }
    const queryGroups = Math.ceil((tokens * numHeads) / WORKGROUP_SIZE);
    if (queryGroups > MAX_GROUPS_PER_DIMENSION) {
      throw new KernelInputError(
        `${NAME}: the invocation-per-row path needs ${queryGroups} workgroups for T ${tokens} x H ${numHeads}, ` +
          `over the limit of ${MAX_GROUPS_PER_DIMENSION}: use the workgroup-per-row path`,
      );
    }
    return {
      query: [queryGroups, 1, batch],
      keyValue: [Math.ceil((tokens * numKvHeads) / WORKGROUP_SIZE), 1, batch],
    };
  }

  destroy(): void {
    this.queryUniforms.destroy();
    this.keyValueUniforms.destroy();
    this.rowStats?.destroy();
  }
}
