// Chip colours and the legend read the same scale.
import { describe, expect, it } from 'vitest';
import { fakeToken } from '../../store/decodeFakes';
import { baseRank, chipColour, entropyScale, legendOf, rankBin } from './measures';

describe('token colour measures', () => {
  it('bins the base rank and marks tokens the method changed', () => {
    expect([1, 2, 3, 5, 6, 10, 11, 5000].map((r) => rankBin(r).label)).toEqual(['1', '2', '3–5', '3–5', '6–10', '6–10', '>10', '>10']); // prettier-ignore
    const token = { ...fakeToken(1, 3), components: [{ ...fakeToken(1, 3).combined, chosenRank: 7 }] };
    expect(baseRank(token)).toBe(7);
    expect(chipColour(token, 'rank', 1)).toBe(rankBin(7).colour);
    expect(chipColour(token, 'changed', 1)).toBe(legendOf('changed', 1)[1][0]);
    expect(chipColour(fakeToken(0, 3), 'changed', 1)).toBe(legendOf('changed', 1)[0][0]);
  });

  it('probability and entropy ramps match the legend ends; entropy is scaled to what is shown', () => {
    const token = fakeToken(0, 0);
    const sure = { ...token, combined: { ...token.combined, chosenProbability: 1, entropy: 2 } };
    expect(chipColour(sure, 'probability', 1)).toBe(legendOf('probability', 1)[4][0]);
    expect(entropyScale([sure, token])).toBe(2);
    expect(entropyScale([])).toBe(Math.LN2);
    expect(chipColour(sure, 'entropy', 2)).toBe(legendOf('entropy', 2)[4][0]);
    expect(legendOf('entropy', 2).map(([, label]) => label)).toEqual([
      '0.00',
      '0.50',
      '1.00',
      '1.50',
      '2.00',
    ]);
    // NaN is a number that was not read back (a speculative token's p): neutral, not the scale's 0.
    const nan = { ...token, components: [], combined: { ...token.combined, chosenProbability: Number.NaN, entropy: Number.NaN, chosenRank: 0 } }; // prettier-ignore
    const neutral = legendOf('changed', 1)[0][0];
    expect(chipColour(nan, 'probability', 1)).toBe(neutral);
    expect(chipColour(nan, 'entropy', 1)).toBe(neutral);
    expect(chipColour(nan, 'rank', 1)).toBe(neutral);
    expect(legendOf('probability', 1).map(([colour]) => colour)).not.toContain(neutral);
  });
});
