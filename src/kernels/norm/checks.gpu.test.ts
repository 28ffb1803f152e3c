import { afterEach, describe, expect, test, vi } from 'vitest';
import { describeKernelChecks } from '../../testing/checks';
import { testGpu } from '../../testing/gpu';
import { checks } from './checks';
import { RmsNormKernel } from './norm';

describeKernelChecks('norm', checks, ['norm/layer-norm', 'norm/rms-norm']);

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
