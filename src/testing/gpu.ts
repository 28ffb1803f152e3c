// Shared helpers for GPU tests running in Chromium: one device per test file, checked for errors.
import { Gpu } from '../gpu/runtime';

let shared: Promise<Gpu> | null = null;

/** One runtime per test file (browser tests run files in isolation). */
export function testGpu(): Promise<Gpu> {
  shared ??= Gpu.create();
  return shared;
}
