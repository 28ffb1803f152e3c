import { afterEach, describe, expect, test, vi } from 'vitest';
import { testGpu } from '../../testing/gpu';
import { checks } from './checks';
import { RopeKernel } from './rope';

describe('rope Kernel checks pass on this GPU', () => {
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
  test('theta off by one part in a million', async () => {
    const encode = RopeKernel.prototype.encode;
    vi.spyOn(RopeKernel.prototype, 'encode').mockImplementation(function (this: RopeKernel, ...args) {
      const frequencies = 'theta' in args[4] ? { theta: args[4].theta * (1 + 1e-6) } : args[4];
      encode.call(this, args[0], args[1], args[2], args[3], frequencies);
    });
    const result = await checks[0].run(await testGpu());
    expect(result.pass).toBe(false);
    expect(result.detail).toMatch(/^FAILED theta 1000000 position (4095|32767) element \d+: GPU/);
  });
});
