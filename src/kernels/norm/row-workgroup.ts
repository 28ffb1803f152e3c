// Workgroup size of the kernels that give each row one workgroup (LayerNorm / RMSNorm forward and
// backward, cross-entropy), chosen at encode time from the row length.
//
// Why: one 256-thread workgroup for a 64-element row leaves 3 of 4 threads idle, and on software
// adapters (SwiftShader) a workgroup costs in proportion to its threads times its barriers: a
// LayerNorm of 128 rows of d = 64 took 32 ms with 256 threads and 2.7 ms with 32. So each kernel
// compiles one pipeline per size (WORKGROUP_SIZE is an override constant, never a shape) and picks
// the smallest size that gives each thread at most `elementsPerThread` entries, at least 32 (one
// warp / SIMD group, what real GPUs schedule anyway) and at most 256.
// The size depends only on the row length, so the reduction order (and the result, bit for bit)
// is still fixed for a given shape.
import type { PipelineSpec } from '../../gpu/pipelines';
import type { Gpu } from '../../gpu/runtime';

export const ROW_WORKGROUP_SIZES = [32, 64, 128, 256] as const;
export type RowWorkgroupSize = (typeof ROW_WORKGROUP_SIZES)[number];

/** The smallest of ROW_WORKGROUP_SIZES >= ceil(length / elementsPerThread); 256 above that. */
export function rowWorkgroupSize(length: number, elementsPerThread: number): RowWorkgroupSize {
  const wanted = Math.ceil(length / elementsPerThread);
  return ROW_WORKGROUP_SIZES.find((size) => size >= wanted) ?? 256;
}

/** One pipeline per row workgroup size (the device's pipeline cache shares them between instances). */
export class RowPipelines {
  private constructor(private readonly bySize: ReadonlyMap<RowWorkgroupSize, GPUComputePipeline>) {}

  /** Compiles `spec` with WORKGROUP_SIZE set to each of ROW_WORKGROUP_SIZES. */
  static async compile(gpu: Gpu, spec: PipelineSpec): Promise<RowPipelines> {
    const pipelines = await Promise.all(
      ROW_WORKGROUP_SIZES.map((size) =>
        gpu.pipelines.get({ ...spec, constants: { ...spec.constants, WORKGROUP_SIZE: size } }),
      ),
    );
    return new RowPipelines(new Map(ROW_WORKGROUP_SIZES.map((size, i) => [size, pipelines[i]])));
  }

  get(size: RowWorkgroupSize): GPUComputePipeline {
    const pipeline = this.bySize.get(size);
    if (!pipeline)
      throw new Error(`no row pipeline for workgroup size ${size}; sizes: ${ROW_WORKGROUP_SIZES}`);
    return pipeline;
  }
}
