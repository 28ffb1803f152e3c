// Decode attention: a few queries over a long cache, split along the key axis and merged exactly
// (flash-decoding; shaders/attention-decode.wgsl holds the recurrence). Spec: reference.ts.
// Two dispatches in one pass sharing one uniform block:
//   decodeSplit (splits, numHeads, queries) -> partials [queries, numHeads, splits, headDim + 2]
//   decodeMerge (numHeads, queries)         -> O [queries, numHeads, headDim]
// The split count comes from chooseDecodeSplits (./splits.ts) unless the caller fixes it.
import { dispatch } from '../../gpu/dispatch';
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import { ScratchBuffer } from './scratch';
import {
  checkAttentionBuffers,
  checkGrid,
  packParams,
  PARAM_BYTES,
  resolveShape,
  type AttentionBuffers,
  type AttentionShape,
} from './shape';
import {
  chooseDecodeSplits,
  decodeSplitTuningFor,
  planDecodeSplits,
  type DecodeSplitPlan,
  type DecodeSplitTuning,
} from './splits';

const KERNEL = 'DecodeAttention';

export interface DecodeOptions {
  /** Key splits per (query, head), 1..keys; default chooseDecodeSplits with this adapter's tuning. */
  splits?: number;
}

export class DecodeAttention {
  private lastPlan: DecodeSplitPlan | null = null;
  /** The split tuning for this adapter (./splits.ts). */
  readonly tuning: DecodeSplitTuning;

  private constructor(
    private readonly gpu: Gpu,
    private readonly splitPipeline: GPUComputePipeline,
    private readonly mergePipeline: GPUComputePipeline,
    private readonly uniforms: UniformBlock,
    private readonly partials: ScratchBuffer,
  ) {
    this.tuning = decodeSplitTuningFor(
      gpu.summary.isFallbackAdapter,
      globalThis.navigator?.hardwareConcurrency ?? 1,
    );
  }

  /** The split count encode() chooses for this shape. */
  splitsFor(keys: number, queries: number, numHeads: number): number {
    return chooseDecodeSplits(keys, queries, numHeads, this.tuning);
  }

  /** `chunk`: keys per staged chunk (override CHUNK, 256 by default; 1 KiB of workgroup memory). */
  static async create(gpu: Gpu, label = 'attention-decode', chunk = 256): Promise<DecodeAttention> {
    if (
      !Number.isInteger(chunk) ||
      chunk < 1 ||
      chunk * 4 + 768 > gpu.device.limits.maxComputeWorkgroupStorageSize
    ) {
      throw new KernelInputError(
        `${KERNEL}: chunk = ${chunk} must be a positive integer whose scores (4 bytes a key, plus 768 ` +
          `bytes) fit maxComputeWorkgroupStorageSize = ${gpu.device.limits.maxComputeWorkgroupStorageSize}.`,
      );
    }
    const [splitPipeline, mergePipeline] = await Promise.all([
      gpu.pipelines.get({
        shader: 'attention-decode.wgsl',
        entryPoint: 'decodeSplit',
        constants: { CHUNK: chunk },
      }),
      gpu.pipelines.get({ shader: 'attention-decode.wgsl', entryPoint: 'decodeMerge' }),
    ]);
    return new DecodeAttention(
      gpu,
      splitPipeline,
      mergePipeline,
      new UniformBlock(gpu, PARAM_BYTES, `${label}:params`),
      new ScratchBuffer(gpu, `${label}:partials`),
    );
  }

  /** The split plan of the last encode (for tests and the bench table). */
  get plan(): DecodeSplitPlan | null {
    return this.lastPlan;
  }

  /**
   * Records O <- attention(Q, K cache, V cache) into `pass`. Meant for queries <= 16 (correct for
   * any count). One instance serves one call per pass; use one per (layer, sequence) within a pass.
   */
  encode(
    pass: GPUComputePassEncoder,
    buffers: AttentionBuffers,
    shape: AttentionShape,
    options: DecodeOptions = {},
  ): void {
    const resolved = resolveShape(KERNEL, shape);
    checkAttentionBuffers(KERNEL, this.gpu.device, buffers, resolved);
    const { keys, queries, numHeads, headDim } = resolved;
    const requested = options.splits ?? this.splitsFor(keys, queries, numHeads);
    const maxGrid = this.gpu.device.limits.maxComputeWorkgroupsPerDimension;
    if (!Number.isInteger(requested) || requested < 1 || requested > Math.min(keys, maxGrid)) {
      throw new KernelInputError(
        `${KERNEL}: splits = ${requested} must be an integer in 1..${Math.min(keys, maxGrid)} ` +
          `(at most one split per key, keys (L) = ${keys}).`,
      );
    }
    checkGrid(KERNEL, this.gpu.device, `queries (Tq) = ${queries}`, queries);
    const plan = planDecodeSplits(keys, requested);
    const partials = this.partials.get(
      KERNEL,
      queries * numHeads * plan.splits * (headDim + 2) * 4,
      `${plan.splits} split partials of ${queries} queries x ${numHeads} heads`,
    );
    this.uniforms.write(packParams(resolved, plan), pass);
    const params = this.uniforms.buffer;
    dispatch(
      this.gpu,
      pass,
      this.splitPipeline,
      [buffers.query, buffers.key, buffers.value, partials, params],
      plan.splits,
      numHeads,
      queries,
    );
    dispatch(this.gpu, pass, this.mergePipeline, [partials, buffers.output, params], numHeads, queries);
    this.lastPlan = plan;
  }

  destroy(): void {
    this.uniforms.destroy();
    this.partials.destroy();
  }
}
