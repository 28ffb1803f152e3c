import { afterEach, describe, expect, test, vi } from 'vitest';
import { describeKernelChecks } from '../../testing/checks';
import { testGpu } from '../../testing/gpu';
import { checks } from './checks';
import { TokenGroupingBuffers, type TokenGrouping } from './grouping';

describeKernelChecks('embedding-backward', checks, ['embedding-backward/scatter-add']);

describe('a wrong kernel fails the check (with a readable detail)', () => {
  afterEach(() => vi.restoreAllMocks());
  test('tokens of each id summed in reverse order (not the reference order)', async () => {
    const write = TokenGroupingBuffers.prototype.write;
    vi.spyOn(TokenGroupingBuffers.prototype, 'write').mockImplementation(function (
      this: TokenGroupingBuffers,
      grouping: TokenGrouping,
    ) {
      const tokens = Uint32Array.from(grouping.tokens);
      for (let u = 0; u < grouping.uniqueIds.length; u++) {
        tokens.subarray(grouping.offsets[u], grouping.offsets[u + 1]).reverse();
      }
      write.call(this, { ...grouping, tokens });
    });
    const result = await checks[0].run(await testGpu());
    expect(result.pass).toBe(false);
    expect(result.detail).toMatch(/^FAILED token table: \d+ elements differ, first dE\[\d+, \d+\]/);
  });
});
