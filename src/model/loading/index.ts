// Model loading: sources (Hub, URL, local files), the persistent cache, safetensors, and the
// folder loader that ties them together. Engine code: no React, no store; runs in a Worker.
export * from './errors';
export * from './float16';
export * from './safetensors';
export * from './safetensorsWriter';
export * from './sharded';
export * from './download';
export * from './cache';
export * from './sources';
export * from './localFiles';
export * from './validate';
export * from './estimate';
export * from './downloadPlan';
export * from './loadModelFolder';
