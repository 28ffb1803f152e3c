// Every kernel family's checks, collected from src/kernels/*/checks.ts at build time.
import type { KernelCheck } from './check';

const modules = import.meta.glob<{ checks: KernelCheck[] }>('./*/checks.ts', { eager: true });

export const kernelChecks: readonly KernelCheck[] = Object.keys(modules)
  .sort()
  .flatMap((path) => modules[path].checks);
