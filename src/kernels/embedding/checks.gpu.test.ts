import { afterEach, describe, expect, test, vi } from 'vitest';
import { describeKernelChecks } from '../../testing/checks';
import { testGpu } from '../../testing/gpu';
import { checks } from './checks';
import { EmbeddingKernel } from './embedding';

describeKernelChecks('embedding', checks, ['embedding/lookup']);

describe('a wrong kernel fails the check (with a readable detail)', () => {
  afterEach(() => vi.restoreAllMocks());
  test('positions dropped', async () => {
    const encode = EmbeddingKernel.prototype.encode;
    vi.spyOn(EmbeddingKernel.prototype, 'encode').mockImplementation(function (
      this: EmbeddingKernel,
      ...args
    ) {
      encode.call(this, args[0], args[1], args[2], args[3], args[4], args[5]);
    });
    const result = await checks[0].run(await testGpu());
    expect(result.pass).toBe(false);
    expect(result.detail).toMatch(/^FAILED out\[0, 0\]: GPU/);
  });
});
