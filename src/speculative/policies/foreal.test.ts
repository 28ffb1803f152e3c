import { describe, expect, it } from 'vitest';
import { ForealGate } from './foreal';

const PERIOD = 13; // token id of "." in these hand sequences
const NEWLINE = 198;
const ends = new Set([PERIOD, NEWLINE]);

/** Runs the gate over a token sequence the way the runner does: next(previous token) per token. */
function assign(gate: ForealGate, tokens: readonly number[]): string[] {
  const who: string[] = [];
  let last: number | null = null;
  for (const token of tokens) {
    who.push(gate.next(last));
    last = token;
  }
  return who;
}

describe('ForealGate (FoReaL-Decoding)', () => {
  it('gate = 1: the leader writes the first n tokens of every sentence, the draft the rest', () => {
    const gate = new ForealGate({ leaderTokens: 2, gate: 1, seed: 0, sentenceEnd: ends });
    // sentence 1: 5 6 7 8 .   sentence 2: 9 .   sentence 3: 4 NEWLINE   sentence 4: 3 2
    const tokens = [5, 6, 7, 8, PERIOD, 9, PERIOD, 4, NEWLINE, 3, 2];
    expect(assign(gate, tokens)).toEqual([
      'leader',
      'leader',
      'draft',
      'draft',
      'draft',
      'leader', // new sentence after "."
      'leader', // the leader writes this sentence's end itself
      'leader',
      'leader',
      'leader', // new sentence after NEWLINE
      'leader',
    ]);
    expect(gate.counts).toEqual({ leader: 8, draft: 3 });
    expect(gate.sentences).toEqual({ started: 4, led: 4 });
  });

  it('gate = 0: the draft model writes everything', () => {
    const gate = new ForealGate({ leaderTokens: 3, gate: 0, seed: 4, sentenceEnd: ends });
    expect(assign(gate, [1, 2, PERIOD, 3, 4, PERIOD])).toEqual(new Array(6).fill('draft'));
    expect(gate.sentences).toEqual({ started: 2, led: 0 });
  });

  it('next(null) starts a sentence even mid-way (a new generation)', () => {
    const gate = new ForealGate({ leaderTokens: 1, gate: 1, seed: 0, sentenceEnd: ends });
    expect([gate.next(null), gate.next(7), gate.next(8), gate.next(null)]).toEqual([
      'leader',
      'draft',
      'draft',
      'leader',
    ]);
  });

  it('leads a fraction of sentences within binomial bounds of gate, the same for the same seed', () => {
    const sentences = 4000;
    for (const p of [0.1, 0.5, 0.85]) {
      const gate = new ForealGate({ leaderTokens: 3, gate: p, seed: 2024, sentenceEnd: ends });
      // Every sentence is five tokens: 1 2 3 4 "." so a led sentence gives 3 leader + 2 draft.
      const tokens = Array.from({ length: sentences * 5 }, (_, i) => (i % 5 === 4 ? PERIOD : 1 + (i % 5)));
      assign(gate, tokens);
      const { started, led } = gate.sentences;
      expect(started).toBe(sentences);
      const sigma = Math.sqrt(sentences * p * (1 - p));
      expect(Math.abs(led - sentences * p)).toBeLessThan(4 * sigma);
      expect(gate.counts).toEqual({ leader: 3 * led, draft: 5 * sentences - 3 * led });

      const again = new ForealGate({ leaderTokens: 3, gate: p, seed: 2024, sentenceEnd: ends });
      assign(again, tokens);
      expect(again.sentences.led).toBe(led);
    }
  });

  it('different seeds lead different sentences', () => {
    const tokens = Array.from({ length: 400 }, (_, i) => (i % 2 === 1 ? PERIOD : 1));
    const a = new ForealGate({ leaderTokens: 1, gate: 0.5, seed: 1, sentenceEnd: ends });
    const b = new ForealGate({ leaderTokens: 1, gate: 0.5, seed: 2, sentenceEnd: ends });
    expect(assign(a, tokens)).not.toEqual(assign(b, tokens));
  });

  it('rejects bad options and token ids with the value in the message', () => {
    const base = { leaderTokens: 2, gate: 0.5, seed: 0, sentenceEnd: ends };
    expect(() => new ForealGate({ ...base, leaderTokens: 0 })).toThrow(/leaderTokens.*got 0/);
    expect(() => new ForealGate({ ...base, gate: 1.1 })).toThrow(/gate.*1.1/);
    expect(() => new ForealGate({ ...base, gate: -0.2 })).toThrow(/gate.*-0.2/);
    expect(() => new ForealGate({ ...base, seed: 0.5 })).toThrow(RangeError);
    expect(() => new ForealGate({ ...base, sentenceEnd: new Set([-3]) })).toThrow(/sentenceEnd.*-3/);
    const gate = new ForealGate(base);
    expect(() => gate.next(2.5)).toThrow(/lastToken.*2.5/);
  });
});
