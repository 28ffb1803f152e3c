import { afterEach, describe, expect, test, vi } from 'vitest';
import { describeKernelChecks } from '../../testing/checks';
import { testGpu } from '../../testing/gpu';
import { checks } from './checks';
import { CrossEntropyKernel } from './cross-entropy';

describeKernelChecks('cross-entropy', checks, ['cross-entropy/log-probs-and-gradient']);

describe('a wrong kernel fails the check (with a readable detail)', () => {
  afterEach(() => vi.restoreAllMocks());
  test('gradient not written (logits left in place)', async () => {
    const encode = CrossEntropyKernel.prototype.encode;
    vi.spyOn(CrossEntropyKernel.prototype, 'encode').mockImplementation(function (
      this: CrossEntropyKernel,
      ...args
    ) {
      encode.call(this, args[0], args[1], args[2], args[3], args[4], args[5], args[6], false);
    });
    const result = await checks[0].run(await testGpu());
    expect(result.pass).toBe(false);
    expect(result.detail).toMatch(/^FAILED B=6 V=151,936: \d+ over, first grad\[\d+, \d+\]/);
  });
});
