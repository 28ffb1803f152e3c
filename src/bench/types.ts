// The contract between kernel families and `npm run bench`. Each family may export
// `benchCases: BenchCase[]` from `src/kernels/<family>/bench.ts` (collected automatically).
// A case measures the GPU path and a baseline peer in the same process; the harness takes
// medians and prints ratio = baseline_median_ms / median_ms.
import type { Gpu } from '../gpu/runtime';

export interface BenchCase {
  /** Row name, e.g. "logits/fused-top-p". */
  name: string;
  /** Human-readable shape, e.g. "B=1 V=151936 N=2". */
  shape: string;
  /** Name of the baseline, e.g. "js-readback-loop". */
  baseline: string;
  /** Allocates inputs; returns the two timed bodies and a cleanup. */
  setup(gpu: Gpu): Promise<BenchInstance>;
}

export interface BenchInstance {
  /** One GPU run, awaited to completion (including the small readback the real path does). */
  run(): Promise<void>;
  /** One baseline run, awaited to completion (including its full readback). */
  runBaseline(): Promise<void>;
  dispose(): void;
}

export interface BenchRow {
  name: string;
  shape: string;
  median_ms: number;
  baseline: string;
  baseline_median_ms: number;
  ratio: number;
}
