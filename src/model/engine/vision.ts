// The image encoder of the WGSL engine's vision-language models (formula and layouts in
// src/model/vision.ts; spec src/model/reference/vision.ts), encoded after the embedding pass:
//
//   patches  [M, patchDim]  M = images * numPatches, image-major, uploaded from the CPU
//   embedded [M, d]         <- position table [P, d] copied once per image (copyBufferToBuffer)
//   inner    [M, d]         <- gelu(patches W1^T + b1)             (one matmul, fused epilogue)
//   embedded               += inner W2^T + b2                      (one matmul, accumulate)
//   hidden rows of the placeholders <- embedded rows               (copies, runs merged)
//
// The position rows are added by the accumulating matmul instead of a separate add kernel, so the
// whole encoder is two dispatches (per weight chunk) plus copies between passes.
import type { Gpu } from '../../gpu/runtime';
import type { MatmulWeight } from '../../kernels/matmul/chunks';
import type { MatmulKernel } from '../../kernels/matmul/matmul';
import type { ModelConfig, VisionConfig } from '../config';
import { imageToPatches } from '../vision';
import type { Activations } from './activations';

export interface VisionWeights {
  /** W1 [d, patchDim] 'nk', in the layer matrices' dtype. */
  patchEmbed: MatmulWeight;
  patchBias: GPUBuffer;
  /** W2 [d, d] 'nk', in the layer matrices' dtype. */
  projector: MatmulWeight;
  projectorBias: GPUBuffer;
  /** [numPatches, d] f32 (COPY_SRC: copied into the output rows before W2 accumulates). */
  positions: GPUBuffer;
}

/** One instance per use-site (an instance encodes once per submission). */
export interface VisionKernels {
  patchEmbed: MatmulKernel;
  projector: MatmulKernel;
}

/** One image of a forward and the batch rows of its placeholders (patch k -> rows[k]). */
export interface ImageRows {
  image: Float32Array;
  rows: number[];
}

/** [start, length] runs of consecutive values, so a block of placeholders is one copy. */
function runs(rows: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  rows.forEach((row, k) => {
    const last = out[out.length - 1];
    if (last && rows[k - 1] === row - 1) last[1]++;
    else out.push([k, 1]);
  });
  return out;
}

/** Writes every image's patch embeddings into the hidden rows of its placeholders. */
export function encodeImages(
  gpu: Gpu,
  encoder: GPUCommandEncoder,
  acts: Activations,
  config: ModelConfig & { vision: VisionConfig },
  weights: VisionWeights,
  kernels: VisionKernels,
  images: readonly ImageRows[],
  hidden: GPUBuffer,
): void {
  const { numPatches: P, patchDim } = config.vision;
  const d = config.hiddenSize;
  const M = images.length * P;
  const patches = acts.get('vision-patches', M * patchDim * 4);
  const inner = acts.get('vision-inner', M * d * 4);
  const embedded = acts.get('vision-embeddings', M * d * 4);
  const values = new Float32Array(M * patchDim);
  images.forEach(({ image }, j) => values.set(imageToPatches(image, config.vision), j * P * patchDim));
  gpu.device.queue.writeBuffer(patches, 0, values);
  images.forEach((_, j) =>
    encoder.copyBufferToBuffer(weights.positions, 0, embedded, j * P * d * 4, P * d * 4),
  );
  const pass = encoder.beginComputePass({ label: 'vision' });
  kernels.patchEmbed.encode(
    pass,
    patches,
    weights.patchEmbed,
    inner,
    { m: M, k: patchDim, n: d },
    { bias: weights.patchBias, activation: 'gelu' },
  );
  kernels.projector.encode(
    pass,
    inner,
    weights.projector,
    embedded,
    { m: M, k: d, n: d },
    { bias: weights.projectorBias, accumulate: true },
  );
  pass.end();
  images.forEach(({ rows }, j) => {
    for (const [k, count] of runs(rows)) {
      encoder.copyBufferToBuffer(embedded, (j * P + k) * d * 4, hidden, rows[k] * d * 4, count * d * 4);
    }
  });
}
