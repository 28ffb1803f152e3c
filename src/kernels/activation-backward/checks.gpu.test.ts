import { afterEach, describe, expect, test, vi } from 'vitest';
import { describeKernelChecks } from '../../testing/checks';
import { testGpu } from '../../testing/gpu';
import { ActivationBackwardKernel } from './activation-backward';
import { checks } from './checks';

describeKernelChecks('activation-backward', checks, [
  'activation-backward/gelu-silu-backward',
  'activation-backward/swiglu-backward',
]);

describe('a wrong kernel fails the check (with a readable detail)', () => {
  afterEach(() => vi.restoreAllMocks());
  test("GELU' computed with SiLU' (the wrong op)", async () => {
    const encode = ActivationBackwardKernel.prototype.encodeUnary;
    vi.spyOn(ActivationBackwardKernel.prototype, 'encodeUnary').mockImplementation(function (
      this: ActivationBackwardKernel,
      pass,
      _op,
      input,
      gradOutput,
      gradInput,
      count,
    ) {
      encode.call(this, pass, 'silu', input, gradOutput, gradInput, count);
    });
    const result = await checks[0].run(await testGpu());
    expect(result.pass).toBe(false);
    expect(result.detail).toMatch(/^FAILED gelu': \d+ of 5003 over the bound, first \[\d+\] GPU/);
  });
});
