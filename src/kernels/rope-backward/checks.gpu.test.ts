import { afterEach, describe, expect, test, vi } from 'vitest';
import { describeKernelChecks } from '../../testing/checks';
import { testGpu } from '../../testing/gpu';
import { RopeKernel } from '../rope/rope';
import { checks } from './checks';
import { RopeBackwardKernel } from './rope-backward';

describeKernelChecks('rope-backward', checks, ['rope-backward/rope-backward']);

describe('a wrong kernel fails the check (with a readable detail)', () => {
  afterEach(() => vi.restoreAllMocks());
  test('the backward rotating by +angle (the forward) instead of its transpose', async () => {
    const gpu = await testGpu();
    const wrong = await RopeKernel.create(gpu, 'rope-backward-check:wrong');
    vi.spyOn(RopeBackwardKernel.prototype, 'encode').mockImplementation(
      (pass, gradient, positions, shape, frequencies) =>
        wrong.encode(pass, gradient, positions, shape, frequencies),
    );
    const result = await checks[0].run(gpu);
    wrong.destroy();
    expect(result.pass).toBe(false);
    expect(result.detail).toMatch(/^FAILED element \d+: GPU \S+ vs transpose/);
  });
});
