import { afterEach, describe, expect, test, vi } from 'vitest';
import { describeKernelChecks } from '../../testing/checks';
import { testGpu } from '../../testing/gpu';
import { checks } from './checks';
import { RopeKernel } from './rope';

describeKernelChecks('rope', checks, ['rope/rope']);

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
