// Shared helpers for GPU tests running in Chromium: one device for the whole GPU run, checked for errors.
import { Gpu } from '../gpu/runtime';

let shared: Promise<Gpu> | null = null;

/**
 * The runtime that GPU test files share. The GPU project runs its files in one page
 * (`isolate: false`), so compiled pipelines are reused across files: on SwiftShader a model's
 * pipelines take ~30 s to compile. A device lost or destroyed by an earlier file is replaced.
 */
export async function testGpu(): Promise<Gpu> {
  if (shared) {
    const gpu = await shared;
    if (!gpu.isLost) return gpu;
  }
  shared = Gpu.create();
  return shared;
}
