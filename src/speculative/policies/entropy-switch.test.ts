import { describe, expect, it } from 'vitest';
import { bitsToNats, EAD_PAPER_WINDOW, EntropySwitch } from './entropy-switch';

describe('EntropySwitch (Entropy Adaptive Decoding)', () => {
  it('switches on the rolling mean of the last w entropies, not on single tokens', () => {
    const policy = new EntropySwitch({ window: 3, threshold: 1 });
    // entropies:       0.5    0.5    2.6    0.5    0.5    0.5    3      3      0
    // rolling mean:    0.5    0.5    1.2    1.2    1.2    0.5    1.333  2.167  2
    // model:           small  small  large  large  large  small  large  large  large
    const entropies = [0.5, 0.5, 2.6, 0.5, 0.5, 0.5, 3, 3, 0];
    const expected = ['small', 'small', 'large', 'large', 'large', 'small', 'large', 'large', 'large'];
    const means = [0.5, 0.5, 1.2, 1.2, 1.2, 0.5, 4 / 3, 13 / 6, 2];
    entropies.forEach((h, t) => {
      expect(policy.observe(h)).toBe(expected[t]);
      expect(policy.rollingMean).toBeCloseTo(means[t], 12);
    });
    expect(policy.counts).toEqual({ small: 3, large: 6 });
  });

  it('uses a strict ">" and a mean over the tokens seen so far before the window fills', () => {
    const policy = new EntropySwitch({ window: 4, threshold: 1 });
    expect(policy.observe(1)).toBe('small'); // mean 1 is not > 1
    expect(policy.observe(1.2)).toBe('large'); // mean 1.1
    expect(policy.rollingMean).toBeCloseTo(1.1, 12);
  });

  it('window 1 is the per-token rule', () => {
    const policy = new EntropySwitch({ window: 1, threshold: 0.7 });
    expect([0.1, 0.9, 0.1, 0.8].map((h) => policy.observe(h))).toEqual(['small', 'large', 'small', 'large']);
  });

  it('d_min holds the active model for at least d_min tokens before control moves', () => {
    const policy = new EntropySwitch({ window: 1, threshold: 1, minTokensBeforeSwitch: 2 });
    // The first two tokens are the small model's (it has generated 0, then 1 < 2 tokens).
    const entropies = [5, 5, 5, 0, 0, 5, 5, 0, 0, 0];
    const expected = [
      'small',
      'small',
      'large', // small has 2 tokens: free to switch
      'large', // large has 1 < 2 tokens: held despite the low entropy
      'small',
      'small', // held
      'large',
      'large', // held
      'small',
      'small',
    ];
    expect(entropies.map((h) => policy.observe(h))).toEqual(expected);
    expect(policy.counts).toEqual({ small: 6, large: 4 });
  });

  it('keeps a long run exact (no drift of the running sum)', () => {
    const policy = new EntropySwitch({ window: EAD_PAPER_WINDOW, threshold: 2 });
    for (let t = 0; t < 10_000; t++) policy.observe(t % 2 === 0 ? 0.1 : 3.7);
    // last five: 3.7 0.1 3.7 0.1 3.7 (t = 9999 is odd)
    expect(policy.rollingMean).toBeCloseTo((3 * 3.7 + 2 * 0.1) / 5, 10);
  });

  it('converts the paper threshold from bits to nats', () => {
    expect(bitsToNats(1)).toBeCloseTo(Math.LN2, 15);
    expect(bitsToNats(2.5)).toBeCloseTo(2.5 * Math.LN2, 15);
  });

  it('rejects bad options and entropies with the value in the message', () => {
    expect(() => new EntropySwitch({ window: 0, threshold: 1 })).toThrow(/window.*got 0/);
    expect(() => new EntropySwitch({ window: 2.5, threshold: 1 })).toThrow(/window.*got 2.5/);
    expect(() => new EntropySwitch({ window: 3, threshold: -1 })).toThrow(/threshold.*-1/);
    expect(() => new EntropySwitch({ window: 3, threshold: NaN })).toThrow(/threshold.*NaN/);
    expect(() => new EntropySwitch({ window: 3, threshold: 1, minTokensBeforeSwitch: -2 })).toThrow(
      /minTokensBeforeSwitch.*-2/,
    );
    const policy = new EntropySwitch({ window: 3, threshold: 1 });
    expect(() => policy.observe(NaN)).toThrow(/smallEntropy.*NaN/);
    expect(() => policy.observe(-0.5)).toThrow(/smallEntropy.*-0.5/);
    expect(policy.observe(-1e-9)).toBe('small'); // f32 round-off on a one-hot row is clamped to 0
  });
});
