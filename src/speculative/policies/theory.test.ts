import { describe, expect, it } from 'vitest';
import { philoxUniform, seedFromNumber } from '../../kernels/random/philox';
import { acceptanceFromTV, expectedTokensPerCall, summarizeRounds, type RoundSummary } from './theory';

describe('expectedTokensPerCall = (1 - alpha^(K+1)) / (1 - alpha)', () => {
  it('matches hand values', () => {
    expect(expectedTokensPerCall(0.5, 1)).toBeCloseTo(1.5, 14); // 1 + 0.5
    expect(expectedTokensPerCall(0.5, 3)).toBeCloseTo(1.875, 14); // 1 + .5 + .25 + .125
    expect(expectedTokensPerCall(0.8, 4)).toBeCloseTo(3.3616, 12); // (1 - 0.8^5) / 0.2
    expect(expectedTokensPerCall(0, 5)).toBe(1);
    expect(expectedTokensPerCall(1, 4)).toBe(5);
  });

  it('tends to K + 1 continuously as alpha -> 1', () => {
    expect(expectedTokensPerCall(1 - 1e-12, 4)).toBeCloseTo(5, 9);
    expect(expectedTokensPerCall(1 - 1e-6, 7)).toBeCloseTo(8 - 28e-6, 9); // 8 - C(8,2) (1 - alpha)
  });

  it('agrees with a Monte-Carlo simulation of i.i.d. acceptance', () => {
    const seed = seedFromNumber(77);
    for (const [alpha, k] of [
      [0.6, 4],
      [0.9, 8],
    ] as const) {
      const roundsCount = 40_000;
      const rounds: RoundSummary[] = [];
      let draw = 0;
      for (let r = 0; r < roundsCount; r++) {
        let accepted = 0;
        while (accepted < k && philoxUniform(seed, k, draw++) < alpha) accepted++;
        rounds.push({ drafted: k, accepted, bonus: accepted === k });
      }
      const stats = summarizeRounds(rounds, k);
      const tokensPerCall = stats.generated / stats.rounds;
      const expected = expectedTokensPerCall(alpha, k);
      // Per-round tokens lie in [1, K+1], so their standard deviation is below K/2.
      const tolerance = (4 * (k / 2)) / Math.sqrt(roundsCount);
      expect(Math.abs(tokensPerCall - expected)).toBeLessThan(tolerance);
      expect(Math.abs(stats.alphaEstimate - alpha)).toBeLessThan(0.01);
      expect(Math.abs(stats.theoreticalTokensPerCall - expected)).toBeLessThan(2 * tolerance);
      expect(stats.targetCallsPerToken).toBeCloseTo(1 / tokensPerCall, 12);
    }
  });

  it('validates alpha and K', () => {
    expect(() => expectedTokensPerCall(1.2, 3)).toThrow(/alpha.*1.2/);
    expect(() => expectedTokensPerCall(NaN, 3)).toThrow(/alpha.*NaN/);
    expect(() => expectedTokensPerCall(0.5, 0)).toThrow(/K.*got 0/);
    expect(() => expectedTokensPerCall(0.5, 2.5)).toThrow(/K.*got 2.5/);
  });
});

describe('acceptanceFromTV', () => {
  it('is 1 - TV', () => {
    // p = (0.5, 0.5), q = (0.8, 0.2): TV = 0.3, sum min(p, q) = 0.5 + 0.2 = 0.7
    expect(acceptanceFromTV(0.3)).toBeCloseTo(0.7, 15);
    expect(acceptanceFromTV(0)).toBe(1);
    expect(acceptanceFromTV(1)).toBe(0);
    expect(() => acceptanceFromTV(-0.1)).toThrow(/tv.*-0.1/);
  });
});

describe('summarizeRounds', () => {
  it('counts a hand-made run', () => {
    const rounds: RoundSummary[] = [
      { drafted: 4, accepted: 4, bonus: true }, // 5 tokens
      { drafted: 4, accepted: 1, bonus: false }, // 1 accepted + residual = 2
      { drafted: 4, accepted: 0, bonus: false }, // residual only = 1
      { drafted: 2, accepted: 2, bonus: false }, // hit the length limit: 2, no extra token
    ];
    const stats = summarizeRounds(rounds, 4);
    expect(stats.rounds).toBe(4);
    expect(stats.generated).toBe(10);
    expect(stats.drafted).toBe(14);
    expect(stats.accepted).toBe(7);
    expect(stats.acceptanceRate).toBeCloseTo(0.5, 15);
    expect(stats.meanAcceptedLength).toBeCloseTo(1.75, 15);
    expect(stats.targetCallsPerToken).toBeCloseTo(0.4, 15);
    // two rejections among 7 + 2 verified drafts
    expect(stats.alphaEstimate).toBeCloseTo(7 / 9, 15);
    expect(stats.theoreticalTokensPerCall).toBeCloseTo(expectedTokensPerCall(7 / 9, 4), 15);
  });

  it('reports NaN, not 0, for ratios with nothing to measure', () => {
    const stats = summarizeRounds([], 3);
    expect(stats.rounds).toBe(0);
    expect(stats.generated).toBe(0);
    expect(stats.acceptanceRate).toBeNaN();
    expect(stats.targetCallsPerToken).toBeNaN();
    expect(stats.theoreticalTokensPerCall).toBeNaN();
  });

  it('rejects inconsistent rounds with the round index and values', () => {
    expect(() => summarizeRounds([{ drafted: 2, accepted: 3, bonus: false }], 4)).toThrow(
      /rounds\[0\].*accepted 3 exceeds drafted 2/,
    );
    expect(() => summarizeRounds([{ drafted: 2, accepted: 1, bonus: true }], 4)).toThrow(
      /rounds\[0\].*bonus/,
    );
    expect(() => summarizeRounds([{ drafted: 6, accepted: 1, bonus: false }], 4)).toThrow(
      /drafted 6 exceeds draftLength 4/,
    );
    expect(() => summarizeRounds([], 0)).toThrow(/draftLength.*got 0/);
  });
});
