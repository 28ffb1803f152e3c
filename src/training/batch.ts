// Checks of a training batch and the CPU side of its images: the trainer refuses a bad batch
// before anything reaches the GPU, with the field and the value named.
import { KernelInputError } from '../gpu/errors';
import type { Gpu } from '../gpu/runtime';
import { checkTargets } from '../kernels/cross-entropy/cross-entropy';
import { checkTokenIds } from '../kernels/embedding/embedding';
import { TokenGroupingBuffers, groupTokensById } from '../kernels/embedding-backward/grouping';
import type { ModelConfig } from '../model/config';
import { imagePlaceholders, imageToPatches } from '../model/vision';
import type { VisionInputs } from './graph-vision';
import type { TokenBatch } from './types';

/** The images of a batch as the vision pass takes them. */
export interface BatchImages {
  /** [images * numPatches, patchDim] */
  patches: Float32Array<ArrayBuffer>;
  images: number;
  /** Batch row of each image row's placeholder. */
  placeholderRows: number[];
}

/** Checks shapes, ids and images; errors name the field and the value. */
export function validateBatch(batch: TokenBatch, config: ModelConfig, what = 'batch'): void {
  const { batchSize: B, length: T } = batch;
  if (!Number.isInteger(B) || B < 1)
    throw new KernelInputError(`${what}: batchSize must be a positive integer, got ${B}`);
  if (!Number.isInteger(T) || T < 1 || T > config.maxPositions) {
    throw new KernelInputError(
      `${what}: length must be an integer in 1..${config.maxPositions} (the model's context), got ${T}`,
    );
  }
  for (const [field, array] of [
    ['tokens', batch.tokens],
    ['targets', batch.targets],
    ['mask', batch.mask],
  ] as const) {
    if (array.length !== B * T) {
      throw new KernelInputError(
        `${what}: ${field} has ${array.length} entries, batchSize * length = ${B * T}`,
      );
    }
  }
  checkTokenIds(batch.tokens, config.vocabSize);
  checkTargets(batch.targets, config.vocabSize);
  batchImages(batch, config, what);
}

/** The batch's images, patched, with their placeholder rows (null without images). */
export function batchImages(batch: TokenBatch, config: ModelConfig, what = 'batch'): BatchImages | null {
  if (!batch.images) return null;
  const { batchSize: B, length: T } = batch;
  if (batch.images.length !== B) {
    throw new KernelInputError(
      `${what}: images has ${batch.images.length} entries, one per sequence (${B}) expected`,
    );
  }
  const patches: Float32Array[] = [];
  const placeholderRows: number[] = [];
  batch.images.forEach((image, b) => {
    if (!image) return;
    const tokens = Array.from(batch.tokens.subarray(b * T, (b + 1) * T));
    const placeholders = imagePlaceholders(config, b, tokens, image);
    if (!placeholders || !config.vision) return;
    patches.push(imageToPatches(image, config.vision));
    for (const t of placeholders) placeholderRows.push(b * T + t);
  });
  if (patches.length === 0) return null;
  const all = new Float32Array(patches.reduce((n, p) => n + p.length, 0));
  patches.reduce((offset, p) => (all.set(p, offset), offset + p.length), 0);
  return { patches: all, images: patches.length, placeholderRows };
}

/** GPU buffers for a batch's images, grown (never shrunk) as batches come. */
export class VisionBuffers {
  private patches: GPUBuffer | null = null;
  private grouping: TokenGroupingBuffers | null = null;

  constructor(
    private readonly gpu: Gpu,
    private readonly label: string,
  ) {}

  /** Queue-writes the images of a batch; null when it has none. */
  write(images: BatchImages | null, config: ModelConfig): VisionInputs | null {
    if (!images || !config.vision) return null;
    const rows = images.placeholderRows.length;
    if (!this.patches || this.patches.size < images.patches.byteLength) {
      this.patches?.destroy();
      this.patches = this.gpu.device.createBuffer({
        label: `${this.label}:patches`,
        size: Math.ceil(images.patches.byteLength / 16) * 16,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      });
    }
    if (!this.grouping || this.grouping.maxTokens < rows) {
      this.grouping?.destroy();
      this.grouping = new TokenGroupingBuffers(this.gpu, rows, `${this.label}:patch-grouping`);
    }
    this.gpu.device.queue.writeBuffer(this.patches, 0, images.patches);
    const P = config.vision.numPatches;
    this.grouping.write(
      groupTokensById(
        Uint32Array.from({ length: rows }, (_, j) => j % P),
        P,
        'patch index',
      ),
    );
    return {
      patches: this.patches,
      images: images.images,
      placeholderRows: images.placeholderRows,
      positionGrouping: this.grouping,
    };
  }

  destroy(): void {
    this.patches?.destroy();
    this.grouping?.destroy();
  }
}
