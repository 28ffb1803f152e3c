// Round records and the lane statistics, on hand-built rounds: token statuses from a verifier
// decision, cutting at EOS and the budget, and the totals next to (1 - a^(K+1)) / (1 - a).
import { describe, expect, test } from 'vitest';
import { emittedTokens, keepEmitted, LaneStatisticsBuilder, verificationTokens } from './records';
import type { RoundRecord } from './types';

describe('verificationTokens', () => {
  test('accepted, rejected, discarded, then the resampled token with p and q where the kernel read them', () => {
    const tokens = verificationTokens([5, 6, 7, 8], { accepted: 1, tokens: [5, 9], bonus: false, p: [0.5, 0.1], q: [0.4, 0.6] }, 'draft'); // prettier-ignore
    expect(tokens).toEqual([
      { id: 5, status: 'accepted', source: 'draft', p: 0.5, q: 0.4 },
      { id: 6, status: 'rejected', source: 'draft', p: 0.1, q: 0.6 },
      { id: 7, status: 'discarded', source: 'draft', p: null, q: null },
      { id: 8, status: 'discarded', source: 'draft', p: null, q: null },
      { id: 9, status: 'resampled', source: 'target', p: null, q: null },
    ]);
  });

  test('all accepted ends in a bonus; judged drafts are flagged', () => {
    const tokens = verificationTokens([5, 6], { accepted: 2, tokens: [5, 6, 1], bonus: true, p: [1, 1], q: [1, 1] }, 'lookup', new Set([1])); // prettier-ignore
    expect(tokens.map((t) => t.status)).toEqual(['accepted', 'accepted', 'bonus']);
    expect(tokens[1].judged).toBe(true);
    expect(tokens[0].source).toBe('lookup');
  });
});

describe('emittedTokens / keepEmitted', () => {
  const eos = new Set([3]);
  test('cut after the first EOS and at the budget', () => {
    expect(emittedTokens([5, 3, 6], 10, eos)).toEqual({ emitted: [5, 3], eos: true });
    expect(emittedTokens([5, 6, 7], 2, eos)).toEqual({ emitted: [5, 6], eos: false });
    expect(emittedTokens([5, 6, 3], 2, eos)).toEqual({ emitted: [5, 6], eos: false });
  });

  test('the last token stays in the record only when it was emitted', () => {
    const tokens = verificationTokens(
      [5, 3],
      { accepted: 2, tokens: [5, 3, 8], bonus: true, p: [], q: [] },
      'draft',
    );
    expect(keepEmitted(tokens, 2, 2).map((t) => t.id)).toEqual([5, 3]);
    expect(keepEmitted(tokens, 2, 3).map((t) => t.id)).toEqual([5, 3, 8]);
  });
});

function round(
  index: number,
  drafted: number,
  accepted: number,
  emitted: number[],
  bonus: boolean,
): RoundRecord {
  const drafts = Array.from({ length: drafted }, (_, i) => 10 + i);
  const tokens = verificationTokens(drafts, { accepted, tokens: emitted, bonus, p: [], q: [] }, 'draft');
  return { round: index, draftLength: drafted, tokens, emitted, accepted, targetCalls: 1, draftCalls: drafted, exact: true, ms: 10 }; // prettier-ignore
}

describe('LaneStatisticsBuilder', () => {
  test('totals, acceptance (share and per position), calls per token and the theory', () => {
    const stats = new LaneStatisticsBuilder(4, true);
    stats.add(round(0, 4, 4, [10, 11, 12, 13, 1], true)); // 4 of 4 + bonus
    stats.add(round(1, 4, 1, [10, 2], false)); // 1 accepted, then rejection
    const s = stats.statistics(700);
    expect(s).toMatchObject({ rounds: 2, tokens: 7, drafted: 8, accepted: 5, targetCalls: 2, draftCalls: 8 });
    expect(s.acceptanceRate).toBeCloseTo(5 / 8);
    expect(s.alphaEstimate).toBeCloseTo(5 / 6); // 5 accepted, 1 rejection
    const a = 5 / 6;
    expect(s.theoreticalTokensPerCall).toBeCloseTo((1 - a ** 5) / (1 - a), 10);
    expect(s.meanAcceptedLength).toBe(2.5);
    expect(s.targetCallsPerToken).toBeCloseTo(2 / 7);
    expect(s.tokensPerTargetCall).toBeCloseTo(3.5);
    expect(s.tokensBySource).toEqual({ draft: 5, target: 2, lookup: 0 });
    expect(s.ms).toBe(20);
    expect(s.msPerToken).toBeCloseTo(20 / 7);
    expect(s.readbackBytesPerToken).toBe(100);
  });

  test('no rounds: NaN ratios, not zeros; reset forgets', () => {
    const stats = new LaneStatisticsBuilder(4, false);
    expect(stats.statistics().acceptanceRate).toBeNaN();
    expect(stats.statistics().theoreticalTokensPerCall).toBeNaN();
    expect(stats.statistics().exact).toBe(false);
    stats.add(round(0, 2, 0, [7], false));
    stats.reset();
    expect(stats.statistics().rounds).toBe(0);
  });
});
