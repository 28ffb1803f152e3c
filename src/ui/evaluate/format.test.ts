import { describe, expect, it } from 'vitest';
import { excludesZero, formatDifference, formatDuration, formatEstimate } from './format';
import { evaluateLinkPayload, isEvaluateHash } from './hashRoute';

describe('evaluate formatting', () => {
  it('writes estimates, differences and durations', () => {
    expect(formatEstimate({ value: 0.6234, low: 0.55, high: 0.694 })).toBe('0.62 [0.55, 0.69]');
    expect(formatEstimate({ value: 7.25, low: 6.5, high: 8 }, 1)).toBe('7.3 [6.5, 8.0]');
    expect(formatEstimate({ value: Number.NaN, low: Number.NaN, high: Number.NaN })).toBe('– [–, –]');
    expect(formatDifference({ value: 0.04, low: -0.01, high: 0.09 })).toBe('+0.04 [−0.01, +0.09]');
    expect(formatDifference({ value: 0, low: 0, high: 0 })).toBe('±0.00 [±0.00, ±0.00]');
    expect(excludesZero({ value: 0.04, low: -0.01, high: 0.09 })).toBe(false);
    expect(excludesZero({ value: -0.1, low: -0.2, high: -0.01 })).toBe(true);
    expect(formatDuration(44_600)).toBe('45 s');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 min');
  });

  it('reads the tab and its link from the hash', () => {
    expect(isEvaluateHash('#evaluate')).toBe(true);
    expect(isEvaluateHash('#evaluate/x1.abc')).toBe(true);
    expect(isEvaluateHash('#evaluated')).toBe(false);
    expect(evaluateLinkPayload('#evaluate/x1.abc')).toBe('x1.abc');
    expect(evaluateLinkPayload('#evaluate/')).toBeNull();
    expect(evaluateLinkPayload('#decode/x1.abc')).toBeNull();
  });
});
