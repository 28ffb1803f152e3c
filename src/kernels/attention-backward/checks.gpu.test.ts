import { afterEach, describe, expect, test, vi } from 'vitest';
import { describeKernelChecks } from '../../testing/checks';
import { testGpu } from '../../testing/gpu';
import { AttentionBackwardKernel } from './attention-backward';
import { checks } from './checks';

describeKernelChecks('attention-backward', checks, ['attention-backward/causal-gqa']);

describe('a wrong kernel fails the check (with a readable detail)', () => {
  afterEach(() => vi.restoreAllMocks());
  test('wrong head layout: H = Hkv = 2 instead of H 4 / Hkv 2', async () => {
    const encode = AttentionBackwardKernel.prototype.encode;
    vi.spyOn(AttentionBackwardKernel.prototype, 'encode').mockImplementation(function (
      this: AttentionBackwardKernel,
      ...args
    ) {
      // Q and dO read as [T, 2, D]: the query heads are misplaced and no kv head is shared.
      encode.call(
        this,
        args[0],
        args[1],
        { ...args[2], numKvHeads: args[2].numHeads / 2, numHeads: args[2].numHeads / 2 },
        args[3],
      );
    });
    const result = await checks[0].run(await testGpu());
    expect(result.pass).toBe(false);
    expect(result.detail).toMatch(/^FAILED T 33 D 64 d(query|key|value)\[\d+\]: GPU /);
  });
});
