// Records one compute dispatch with a cached bind group (group 0, binding i = buffers[i]).
import type { Gpu } from './runtime';

export function dispatch(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  pipeline: GPUComputePipeline,
  buffers: readonly GPUBuffer[],
  x: number,
  y = 1,
  z = 1,
): void {
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, gpu.bindGroups.get(pipeline, buffers));
  pass.dispatchWorkgroups(x, y, z);
}

/** Encodes `work` in one compute pass, submits it, and waits for the queue to finish it. */
export async function submitPass(
  gpu: Gpu,
  label: string,
  work: (pass: GPUComputePassEncoder) => void,
): Promise<void> {
  gpu.assertAlive();
  const encoder = gpu.device.createCommandEncoder({ label });
  const pass = encoder.beginComputePass({ label });
  work(pass);
  pass.end();
  gpu.device.queue.submit([encoder.finish()]);
  await gpu.device.queue.onSubmittedWorkDone();
}
