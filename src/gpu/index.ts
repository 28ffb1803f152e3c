export { Gpu, type GpuLoss } from './runtime';
export { GpuError, KernelInputError, EmptyDistributionError, type GpuErrorKind } from './errors';
export { acquireDevice, summarizeAdapter, type AdapterSummary, type GpuRequirements } from './device';
export { BufferPool, bucketSize } from './buffers';
export { PipelineCache, BindGroupCache, pipelineKey, type PipelineSpec } from './pipelines';
export { composeWgsl } from './wgsl';
export { shaderSource, shaderLibrary } from './shaders';
export { readBuffer, readFloat32, readUint32, uploadStorage } from './readback';
export { timeComputePass, type TimedResult, type TimingSource } from './timing';
