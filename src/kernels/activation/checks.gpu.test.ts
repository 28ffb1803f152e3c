import { afterEach, describe, expect, test, vi } from 'vitest';
import { testGpu } from '../../testing/gpu';
import { ActivationKernel } from './activation';
import { checks } from './checks';

describe('activation Kernel checks pass on this GPU', () => {
  test('ids', () => expect(checks.map((c) => c.id)).toEqual(['activation/gelu-silu', 'activation/swiglu']));
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

describe('a wrong kernel fails the check (with a readable detail)', () => {
  afterEach(() => vi.restoreAllMocks());
  test('SiLU computed where GELU was asked for', async () => {
    const encode = ActivationKernel.prototype.encodeUnary;
    vi.spyOn(ActivationKernel.prototype, 'encodeUnary').mockImplementation(function (
      this: ActivationKernel,
      ...args
    ) {
      encode.call(this, args[0], 'silu', args[2], args[3], args[4]);
    });
    const result = await checks[0].run(await testGpu());
    expect(result.pass).toBe(false);
    expect(result.detail).toMatch(/^FAILED gelu: \d+ of 5003 over the bound, first \[\d+\]/);
  });
});
