// Entropy Adaptive Decoding (Simonds, "Entropy Adaptive Decoding: Dynamic Model Switching for
// Efficient Inference", 2025, arXiv:2502.06833): generate with a small model M_S by default and
// hand tokens to a large model M_L while the recent uncertainty is high. Per step t:
//
//   H_t      = -sum_i p_i log p_i                      (entropy of the logits before temperature)
//   Hbar_t   = (1/w) sum_{i=t-w+1..t} H_i              (rolling mean over the last w tokens)
//   M_t      = M_L       if Hbar_t >  tau and c >= d_min
//              M_S       if Hbar_t <= tau and c >= d_min
//              M_{t-1}   otherwise
//
// where c counts the tokens the current model has generated since it took over, so a model keeps
// at least d_min tokens before control can move (the paper's guard against rapid switching; with
// d_min = 0 the rule is the plain threshold). The paper uses w = 5 and sweeps tau. The output is
// NOT the large model's distribution: report counts.small / counts.large.
//
// Interpretations (ours):
// - Units: the paper writes H in bits (log2). Here entropies and the threshold are both in nats,
//   the unit used everywhere else in the project; a paper tau in bits is tau * ln 2 nats
//   (bitsToNats).
// - The signal is the small model's entropy at every step (observe(smallEntropy)), as the
//   interface between policy and runner fixes it; the paper's text we could read does not say
//   whether H_t comes from whichever model is active.
// - Before w tokens exist, Hbar_t is the mean of the entropies seen so far.
// - d_min (minTokensBeforeSwitch) defaults to 0 because we could not find the paper's value; set
//   it to reproduce the paper's stability constraint.
import { checkFinite, checkInteger, checkNonNegative } from './validate';

/** The paper's rolling-window length. */
export const EAD_PAPER_WINDOW = 5;

// Entropies computed in f32 on the GPU can come out as tiny negatives for one-hot rows.
const NEGATIVE_ENTROPY_SLACK = 1e-6;

/** Converts an entropy or threshold in bits (the paper's unit) to nats. */
export function bitsToNats(bits: number): number {
  checkFinite('bitsToNats', 'bits', bits);
  return bits * Math.LN2;
}

export interface EntropySwitchOptions {
  /** w: tokens in the rolling mean (>= 1). */
  window: number;
  /** tau in nats: the large model takes over while the rolling mean exceeds it. */
  threshold: number;
  /** d_min: tokens the active model must generate before control may switch (default 0). */
  minTokensBeforeSwitch?: number;
}

export class EntropySwitch {
  readonly window: number;
  readonly threshold: number;
  readonly minTokensBeforeSwitch: number;
  private readonly recent: Float64Array;
  private seen = 0;
  private sum = 0;
  private active: 'small' | 'large' = 'small';
  private sinceSwitch = 0;
  private readonly tally = { small: 0, large: 0 };

  constructor(opts: EntropySwitchOptions) {
    const where = 'EntropySwitch';
    checkInteger(where, 'window', opts.window, 1);
    checkNonNegative(where, 'threshold (nats)', opts.threshold);
    const minTokens = opts.minTokensBeforeSwitch ?? 0;
    checkInteger(where, 'minTokensBeforeSwitch', minTokens, 0);
    this.window = opts.window;
    this.threshold = opts.threshold;
    this.minTokensBeforeSwitch = minTokens;
    this.recent = new Float64Array(opts.window);
  }

  /** Tokens assigned to each model so far. */
  get counts(): { small: number; large: number } {
    return { small: this.tally.small, large: this.tally.large };
  }

  /** Hbar_t over the entropies observed so far (NaN before the first). */
  get rollingMean(): number {
    return this.seen === 0 ? NaN : this.sum / Math.min(this.seen, this.window);
  }

  /**
   * Feeds the small model's entropy (nats) for the next token and returns which model generates
   * that token.
   */
  observe(smallEntropy: number): 'small' | 'large' {
    checkFinite('EntropySwitch.observe', 'smallEntropy (nats)', smallEntropy);
    if (smallEntropy < -NEGATIVE_ENTROPY_SLACK) {
      throw new RangeError(`EntropySwitch.observe: smallEntropy must be >= 0 nats, got ${smallEntropy}`);
    }
    const entropy = Math.max(0, smallEntropy);
    const slot = this.seen % this.window;
    if (this.seen >= this.window) this.sum -= this.recent[slot];
    this.recent[slot] = entropy;
    this.sum += entropy;
    this.seen++;
    // Recompute from the ring every window so float drift in the running sum cannot accumulate.
    if (slot === this.window - 1) this.sum = this.recent.reduce((a, b) => a + b, 0);

    let next = this.active;
    if (this.sinceSwitch >= this.minTokensBeforeSwitch) {
      next = this.rollingMean > this.threshold ? 'large' : 'small';
    }
    this.sinceSwitch = next === this.active ? this.sinceSwitch + 1 : 1;
    this.active = next;
    this.tally[next]++;
    return next;
  }
}
