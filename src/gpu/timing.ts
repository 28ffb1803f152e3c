// GPU timing: timestamp queries around one compute pass when `timestamp-query` exists,
// otherwise wall-clock from submission to completion (includes queue latency; labelled so).
import type { Gpu } from './runtime';

export type TimingSource = 'gpu-timestamp' | 'wall-clock';

export interface TimedResult {
  ms: number;
  source: TimingSource;
}

/** Encodes `work` into one compute pass, submits it, and measures how long the GPU took. */
export async function timeComputePass(
  gpu: Gpu,
  label: string,
  work: (pass: GPUComputePassEncoder) => void,
): Promise<TimedResult> {
  gpu.assertAlive();
  const device = gpu.device;
  const encoder = device.createCommandEncoder({ label });
  if (gpu.summary.timestampQuery) {
    const querySet = device.createQuerySet({ label: `${label}:timestamps`, type: 'timestamp', count: 2 });
    const resolve = device.createBuffer({
      label: `${label}:timestamps`,
      size: 16,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    const read = device.createBuffer({
      label: `${label}:timestamps-read`,
      size: 16,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    try {
      const pass = encoder.beginComputePass({
        label,
        timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
      });
      work(pass);
      pass.end();
      encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, read, 0, 16);
      device.queue.submit([encoder.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const [start, end] = new BigUint64Array(read.getMappedRange());
      read.unmap();
      return { ms: Number(end - start) / 1e6, source: 'gpu-timestamp' };
    } finally {
      querySet.destroy();
      resolve.destroy();
      read.destroy();
    }
  }
  const pass = encoder.beginComputePass({ label });
  work(pass);
  pass.end();
  const start = performance.now();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  return { ms: performance.now() - start, source: 'wall-clock' };
}
