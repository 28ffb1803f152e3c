// Gradient accumulation: backward kernels add into their gradient buffers when their `accumulate`
// flag is set, so a step over k micro-batches is zeroGradients, then k backward passes, then the
// optimizer. Zeroing uses encoder.clearBuffer rather than a fill kernel: no pipeline, no uniform,
// any size, and it is ordered with the passes of the same encoder.
import { KernelInputError } from '../../gpu/errors';

/** Sets every byte of each gradient buffer to zero (0.0f). Encode before the step's first backward pass. */
export function zeroGradients(encoder: GPUCommandEncoder, gradients: readonly GPUBuffer[]): void {
  for (const gradient of gradients) {
    if (!(gradient.usage & GPUBufferUsage.COPY_DST)) {
      throw new KernelInputError(
        `zeroGradients: gradient buffer "${gradient.label}" lacks COPY_DST usage, which clearBuffer needs; ` +
          'create gradient buffers with STORAGE | COPY_DST',
      );
    }
    if (gradient.size % 4 !== 0) {
      throw new KernelInputError(
        `zeroGradients: gradient buffer "${gradient.label}" has ${gradient.size} bytes, not a multiple of 4`,
      );
    }
    encoder.clearBuffer(gradient);
  }
}
