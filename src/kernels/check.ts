// The contract between kernel families and the Kernel check panel / GPU tests.
// Each family exports `checks: KernelCheck[]` from `src/kernels/<family>/checks.ts`; they are
// collected automatically (see ./registry.ts), so adding a family never edits a shared list.
import type { Gpu } from '../gpu/runtime';
import type { TimingSource } from '../gpu/timing';

export interface KernelCheckResult {
  pass: boolean;
  /** One line a researcher can read: what was compared and the worst error seen. */
  detail: string;
  /** Time of the GPU kernel(s) for the check's main case. */
  gpuMs: number;
  timing: TimingSource;
  /** Time of the CPU reference on the same case, for comparison. */
  cpuMs: number;
}

export interface KernelCheck {
  /** Stable id, e.g. "logits/top-p". */
  id: string;
  family: string;
  /** What the check covers (shapes, hard cases). */
  description: string;
  run(gpu: Gpu): Promise<KernelCheckResult>;
}
