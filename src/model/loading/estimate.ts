// How much GPU memory a model needs, from config.json alone, so the UI can refuse a model that
// cannot fit before downloading gigabytes, with the numbers. Tensors above the GPU's buffer
// limits are not a refusal: the engine splits them by rows (issue 3, "Limits"); only a single
// row above the limit, or a total above the memory budget, is.
import type { ModelConfig } from '../config';
import { expectedTensors } from '../architectures/tensors';
import { ModelLoadError, formatBytes } from './errors';

export interface SizeOptions {
  /** Weight dtype on the GPU: 'f16' when the adapter has shader-f16, else 'f32'. */
  dtype?: 'f32' | 'f16';
  /** Tokens of KV cache per sequence; default min(maxPositions, 2048). */
  contextTokens?: number;
  /** Sequences (lanes) with their own KV cache; default 1. */
  sequences?: number;
}

export interface ModelSizeEstimate {
  parameterCount: number;
  bytesPerWeight: number;
  weightBytes: number;
  /** K and V for every layer, in f32 (the engine keeps its caches in f32). */
  kvCacheBytes: number;
  contextTokens: number;
  sequences: number;
  totalBytes: number;
  largestTensor: { name: string; bytes: number };
  /** Bytes of one row (all but the first dimension) of the widest tensor: the unit of splitting. */
  largestRowBytes: number;
}

export interface FitLimits extends SizeOptions {
  /** GPUDevice.limits.maxBufferSize. */
  maxBufferSize: number;
  /** GPUDevice.limits.maxStorageBufferBindingSize; defaults to maxBufferSize. */
  maxStorageBufferBindingSize?: number;
  /** GPU memory the app allows itself (browsers do not report free VRAM; the UI picks it). */
  memoryBudgetBytes: number;
}

export interface FitReport {
  fits: boolean;
  estimate: ModelSizeEstimate;
  /** Tensors the engine will split across buffers (informational). */
  splitTensors: string[];
  /** Why it does not fit, one sentence each with the numbers; empty when it fits. */
  problems: string[];
}

export function estimateModelBytes(config: ModelConfig, options: SizeOptions = {}): ModelSizeEstimate {
  const bytesPerWeight = options.dtype === 'f16' ? 2 : 4;
  const contextTokens = options.contextTokens ?? Math.min(config.maxPositions, 2048);
  const sequences = options.sequences ?? 1;
  let parameterCount = 0;
  let largestTensor = { name: '', bytes: 0 };
  let largestRowBytes = 0;
  for (const spec of expectedTensors(config)) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    parameterCount += count;
    const bytes = count * bytesPerWeight;
    if (bytes > largestTensor.bytes) largestTensor = { name: spec.name, bytes };
    largestRowBytes = Math.max(largestRowBytes, (count / Math.max(1, spec.shape[0])) * bytesPerWeight);
  }
  const weightBytes = parameterCount * bytesPerWeight;
  const kvCacheBytes =
    2 * config.numLayers * config.numKeyValueHeads * config.headDim * contextTokens * sequences * 4;
  return {
    parameterCount,
    bytesPerWeight,
    weightBytes,
    kvCacheBytes,
    contextTokens,
    sequences,
    totalBytes: weightBytes + kvCacheBytes,
    largestTensor,
    largestRowBytes,
  };
}

export function checkModelFits(config: ModelConfig, limits: FitLimits): FitReport {
  const estimate = estimateModelBytes(config, limits);
  const binding = Math.min(limits.maxStorageBufferBindingSize ?? limits.maxBufferSize, limits.maxBufferSize);
  const dtype = limits.dtype ?? 'f32';
  const problems: string[] = [];
  if (estimate.totalBytes > limits.memoryBudgetBytes) {
    const lanes = `${estimate.sequences} sequence${estimate.sequences === 1 ? '' : 's'}`;
    problems.push(
      `needs about ${formatBytes(estimate.totalBytes)} of GPU memory in ${dtype} ` +
        `(${formatBytes(estimate.weightBytes)} of weights for ${(estimate.parameterCount / 1e6).toFixed(1)} M ` +
        `parameters + ${formatBytes(estimate.kvCacheBytes)} of KV cache for ${lanes} of ${estimate.contextTokens} tokens) ` +
        `but the budget is ${formatBytes(limits.memoryBudgetBytes)}`,
    );
  }
  if (estimate.largestRowBytes > binding) {
    problems.push(
      `one row of a tensor needs ${formatBytes(estimate.largestRowBytes)} but this GPU binds at most ` +
        `${formatBytes(binding)} per buffer (maxStorageBufferBindingSize)`,
    );
  }
  const splitTensors = expectedTensors(config)
    .filter((spec) => spec.shape.reduce((a, b) => a * b, 1) * estimate.bytesPerWeight > binding)
    .map((spec) => spec.name);
  return { fits: problems.length === 0, estimate, splitTensors, problems };
}

/** Throws a 'too-large' error with the numbers when the model cannot fit. */
export function assertModelFits(config: ModelConfig, limits: FitLimits, name = 'this model'): FitReport {
  const report = checkModelFits(config, limits);
  if (!report.fits) {
    const advice =
      limits.dtype === 'f16'
        ? 'choose a smaller model or fewer lanes'
        : 'choose a smaller model, fewer lanes, or f16 weights (needs shader-f16)';
    throw new ModelLoadError(
      'too-large',
      `${name} ${report.problems.join('; and ')}: ${advice}`,
      'config.json',
    );
  }
  return report;
}
