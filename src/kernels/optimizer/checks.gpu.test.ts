import { afterEach, describe, expect, test, vi } from 'vitest';
import { describeKernelChecks } from '../../testing/checks';
import { testGpu } from '../../testing/gpu';
import { AdamWKernel } from './adamw';
import { checks } from './checks';

describeKernelChecks('optimizer', checks, ['optimizer/adamw', 'optimizer/skip-non-finite']);

describe('a wrong kernel fails the check (with a readable detail)', () => {
  afterEach(() => vi.restoreAllMocks());
  test('AdamW with beta2 0.99 instead of 0.999', async () => {
    const encode = AdamWKernel.prototype.encode;
    vi.spyOn(AdamWKernel.prototype, 'encode').mockImplementation(function (this: AdamWKernel, ...args) {
      encode.call(this, args[0], args[1], args[2], { ...args[3], beta2: 0.99 });
    });
    const result = await checks[0].run(await testGpu());
    expect(result.pass).toBe(false);
    expect(result.detail).toMatch(/^FAILED step 1 tensor \d v\[\d+\]: GPU /);
  });
});
