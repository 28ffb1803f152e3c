import { afterEach, describe, expect, test, vi } from 'vitest';
import { describeKernelChecks } from '../../testing/checks';
import { testGpu } from '../../testing/gpu';
import { LinearBackwardKernel } from './backward-linear';
import { checks } from './checks';

describeKernelChecks('backward-linear', checks, ['backward-linear/gradients']);

describe('a wrong kernel fails the check (with a readable detail)', () => {
  afterEach(() => vi.restoreAllMocks());
  test('weight gradient never accumulated', async () => {
    const encode = LinearBackwardKernel.prototype.encode;
    vi.spyOn(LinearBackwardKernel.prototype, 'encode').mockImplementation(function (
      this: LinearBackwardKernel,
      ...args
    ) {
      const [pass, dY, x, weight, gradients, shape] = args;
      const wrong = gradients.weight && { ...gradients, weight: { ...gradients.weight, accumulate: false } };
      encode.call(this, pass, dY, x, weight, wrong ?? gradients, shape);
    });
    const result = await checks[0].run(await testGpu());
    expect(result.pass).toBe(false);
    expect(result.detail).toMatch(/^FAILED M 256 K 128 N 96 kn: \d+ over, first dW\[\d+\]/);
  });
});
