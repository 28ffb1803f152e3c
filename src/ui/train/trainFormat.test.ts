import { describe, expect, it } from 'vitest';
import { formatClock, formatLoss, formatRate, formatSci, recentMean, smoothed } from './trainFormat';

describe('train formatting', () => {
  it('formats losses, rates, scientific values and clocks', () => {
    expect(formatLoss(4.17342)).toBe('4.173');
    expect(formatLoss(Number.NaN)).toBe('—');
    expect(formatLoss(Infinity)).toBe('Infinity');
    expect(formatLoss(2e-5)).toBe('2.00e-5');
    expect(formatSci(0.003)).toBe('3.00e-3');
    expect(formatSci(1.2534)).toBe('1.25');
    expect(formatSci(0)).toBe('0');
    expect(formatRate(12_345)).toBe('12.3k');
    expect(formatRate(950.4)).toBe('950');
    expect(formatClock(3_723_000)).toBe('1:02:03');
    expect(formatClock(65_000)).toBe('1:05');
  });

  it('smooths with bias correction: a constant stays constant, the first value is kept', () => {
    expect(smoothed([2, 2, 2])).toEqual([2, 2, 2].map(() => expect.closeTo(2, 12)));
    expect(smoothed([4, 0])[0]).toBeCloseTo(4, 12);
    expect(smoothed([4, 0])[1]).toBeCloseTo((0.9 * 0.1 * 4) / (1 - 0.81), 12);
    expect(recentMean([1, 2, 3, 4], 2)).toBe(3.5);
    expect(recentMean([], 2)).toBeNull();
  });
});
