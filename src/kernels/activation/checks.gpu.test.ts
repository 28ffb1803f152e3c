import { afterEach, describe, expect, test, vi } from 'vitest';
import { describeKernelChecks } from '../../testing/checks';
import { testGpu } from '../../testing/gpu';
import { ActivationKernel } from './activation';
import { checks } from './checks';

describeKernelChecks('activation', checks, ['activation/gelu-silu', 'activation/swiglu']);

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
