import { afterEach, describe, expect, test, vi } from 'vitest';
import { testGpu } from '../../testing/gpu';
import { checks } from './checks';
import { RmsNormKernel } from './norm';

describe('norm Kernel checks pass on this GPU', () => {
  test('ids', () => expect(checks.map((c) => c.id)).toEqual(['norm/layer-norm', 'norm/rms-norm']));
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
  test('RMSNorm with eps 1e-5 instead of 1e-6', async () => {
    const encode = RmsNormKernel.prototype.encode;
    vi.spyOn(RmsNormKernel.prototype, 'encode').mockImplementation(function (this: RmsNormKernel, ...args) {
      encode.call(this, args[0], args[1], args[2], args[3], args[4], args[5] * 10);
    });
    const result = await checks[1].run(await testGpu());
    expect(result.pass).toBe(false);
    expect(result.detail).toMatch(/^FAILED d 768: \d+ over the bound, first row \d \(\w+\)/);
  });
});
