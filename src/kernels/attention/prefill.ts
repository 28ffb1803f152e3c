// Causal prefill attention, FlashAttention-style (shaders/attention-prefill.wgsl holds the paper
// reference and the online-softmax recurrence). Spec: reference.ts (attentionReference).
// O [queries, numHeads, headDim] <- softmax(scale Q K^T, causal) V over the cache of one sequence.
// Order: validate -> uniforms -> dispatch (ceil(queries / QUERY_TILE), numHeads).
import { dispatch } from '../../gpu/dispatch';
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import {
  checkAttentionBuffers,
  checkGrid,
  packParams,
  PARAM_BYTES,
  resolveShape,
  type AttentionBuffers,
  type AttentionShape,
} from './shape';

const KERNEL = 'PrefillAttention';
const LANES = 4;

/** Tile sizes of one prefill pipeline (override constants of attention-prefill.wgsl). */
export interface PrefillTiling {
  /** Largest headDim the pipeline serves. */
  headDimCapacity: number;
  queryTile: number;
  keyTile: number;
}

/** Workgroup memory of a tiling: Q, K and V tiles of vec4 rows padded by one, plus the score tile. */
export function prefillSharedBytes({ headDimCapacity, queryTile, keyTile }: PrefillTiling): number {
  const row = 4 * (headDimCapacity / 4 + 1);
  return 4 * ((queryTile + 2 * keyTile) * row + queryTile * keyTile);
}

/**
 * The tiling for heads up to `headDimCapacity`: 16 queries by 32 keys (64-wide heads) or 16 keys
 * (128-wide), about 23-26 KiB of workgroup memory; halved (keys, then queries) until it fits the
 * device's maxComputeWorkgroupStorageSize and invocation limit (WebGPU guarantees 16 KiB, 256).
 */
export function prefillTiling(headDimCapacity: 64 | 128, limits: GPUSupportedLimits): PrefillTiling {
  const tiling: PrefillTiling = { headDimCapacity, queryTile: 16, keyTile: headDimCapacity === 64 ? 32 : 16 };
  const fits = () =>
    prefillSharedBytes(tiling) <= limits.maxComputeWorkgroupStorageSize &&
    tiling.queryTile * LANES <= limits.maxComputeInvocationsPerWorkgroup;
  while (!fits() && tiling.keyTile > LANES) tiling.keyTile /= 2;
  while (!fits() && tiling.queryTile > 1) tiling.queryTile /= 2;
  if (!fits()) {
    throw new KernelInputError(
      `${KERNEL}: no tiling for headDim up to ${headDimCapacity} fits this device ` +
        `(maxComputeWorkgroupStorageSize ${limits.maxComputeWorkgroupStorageSize}).`,
    );
  }
  return tiling;
}

interface Variant {
  tiling: PrefillTiling;
  pipeline: GPUComputePipeline;
}

export class PrefillAttention {
  private constructor(
    private readonly gpu: Gpu,
    private readonly variants: readonly Variant[],
    private readonly uniforms: UniformBlock,
  ) {}

  /** Compiles (or reuses) the two pipelines: heads up to 64 wide and up to 128 wide. */
  static async create(gpu: Gpu, label = 'attention-prefill'): Promise<PrefillAttention> {
    const variants = await Promise.all(
      ([64, 128] as const).map(async (capacity) => {
        const tiling = prefillTiling(capacity, gpu.device.limits);
        const pipeline = await gpu.pipelines.get({
          shader: 'attention-prefill.wgsl',
          entryPoint: 'prefill',
          constants: {
            HEAD_DIM_CAPACITY: tiling.headDimCapacity,
            QUERY_TILE: tiling.queryTile,
            KEY_TILE: tiling.keyTile,
          },
        });
        return { tiling, pipeline };
      }),
    );
    return new PrefillAttention(gpu, variants, new UniformBlock(gpu, PARAM_BYTES, `${label}:params`));
  }

  /** The tiling `encode` uses for heads of `headDim`. */
  tilingFor(headDim: number): PrefillTiling {
    return this.variantFor(headDim).tiling;
  }

  private variantFor(headDim: number): Variant {
    return (
      this.variants.find((v) => headDim <= v.tiling.headDimCapacity) ??
      this.variants[this.variants.length - 1]
    );
  }

  /**
   * Records O <- attention(Q, K cache, V cache) into `pass`. One instance serves one dispatch per
   * pass (its uniform block); use one instance per (layer, sequence) within a pass.
   */
  encode(pass: GPUComputePassEncoder, buffers: AttentionBuffers, shape: AttentionShape): void {
    const resolved = resolveShape(KERNEL, shape);
    checkAttentionBuffers(KERNEL, this.gpu.device, buffers, resolved);
    const { tiling, pipeline } = this.variantFor(resolved.headDim);
    const queryTiles = Math.ceil(resolved.queries / tiling.queryTile);
    checkGrid(KERNEL, this.gpu.device, `queries (Tq) = ${resolved.queries}`, queryTiles);
    this.uniforms.write(packParams(resolved), pass);
    dispatch(
      this.gpu,
      pass,
      pipeline,
      [buffers.query, buffers.key, buffers.value, buffers.output, this.uniforms.buffer],
      queryTiles,
      resolved.numHeads,
    );
  }

  destroy(): void {
    this.uniforms.destroy();
  }
}
