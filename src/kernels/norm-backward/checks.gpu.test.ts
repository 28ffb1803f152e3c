import { afterEach, describe, expect, test, vi } from 'vitest';
import { describeKernelChecks } from '../../testing/checks';
import { testGpu } from '../../testing/gpu';
import { checks } from './checks';
import { LayerNormBackwardKernel } from './norm-backward';

describeKernelChecks('norm-backward', checks, [
  'norm-backward/layer-norm-backward',
  'norm-backward/rms-norm-backward',
]);

describe('a wrong kernel fails the check (with a readable detail)', () => {
  afterEach(() => vi.restoreAllMocks());
  test('LayerNorm backward with eps 1e-4 instead of 1e-5', async () => {
    const encode = LayerNormBackwardKernel.prototype.encode;
    vi.spyOn(LayerNormBackwardKernel.prototype, 'encode').mockImplementation(function (
      this: LayerNormBackwardKernel,
      ...args
    ) {
      const [pass, dy, x, gamma, dx, dGamma, dBeta, stats, shape, options] = args;
      encode.call(this, pass, dy, x, gamma, dx, dGamma, dBeta, stats, shape, {
        ...options,
        eps: options.eps * 10,
      });
    });
    const result = await checks[0].run(await testGpu());
    expect(result.pass).toBe(false);
    expect(result.detail).toMatch(/^FAILED dX: \d+ over the bound, first dX\[\d+\] GPU/);
  });
});
