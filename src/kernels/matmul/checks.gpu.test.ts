import { afterEach, describe, expect, test, vi } from 'vitest';
import { describeKernelChecks } from '../../testing/checks';
import { testGpu } from '../../testing/gpu';
import { checks } from './checks';
import { MatmulKernel } from './matmul';

describeKernelChecks('matmul', checks, ['matmul/gemv', 'matmul/tiled']);

describe('a wrong kernel fails the check (with a readable detail)', () => {
  afterEach(() => vi.restoreAllMocks());
  test('the GELU epilogue dropped', async () => {
    const encode = MatmulKernel.prototype.encode;
    vi.spyOn(MatmulKernel.prototype, 'encode').mockImplementation(function (this: MatmulKernel, ...args) {
      encode.call(this, args[0], args[1], args[2], args[3], args[4], { ...args[5], activation: 'none' });
    });
    const result = await checks[0].run(await testGpu());
    expect(result.pass).toBe(false);
    expect(result.detail).toMatch(
      /^FAILED c_fc-like kn M=3 K=255 N=257 \+ bias \+ GELU: \d+ of 771 over the bound/,
    );
  });
});
