// The shared part of every family's checks.gpu.test.ts: the ids are as expected and every check
// passes on this GPU with real timings (each file adds its own "a wrong kernel fails" cases).
import { describe, expect, test } from 'vitest';
import type { KernelCheck } from '../kernels/check';
import { testGpu } from './gpu';

export function describeKernelChecks(
  family: string,
  checks: readonly KernelCheck[],
  ids: readonly string[],
): void {
  describe(`${family} Kernel checks pass on this GPU`, () => {
    test('ids', () => expect(checks.map((c) => c.id)).toEqual(ids));
    test.each(checks.map((check) => [check.id, check] as const))('%s', async (_id, check) => {
      const result = await check.run(await testGpu());
      console.warn(
        `${check.id}: ${result.pass ? 'pass' : 'FAIL'}, gpu ${result.gpuMs.toFixed(2)} ms: ${result.detail}`,
      );
      expect(result.pass, result.detail).toBe(true);
      expect(result.gpuMs).toBeGreaterThan(0);
      expect(result.cpuMs).toBeGreaterThan(0);
    });
  });
}
