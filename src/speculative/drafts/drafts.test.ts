// The model-free drafts: prompt lookup against hand-worked contexts (the earliest match of the
// longest recurring n-gram, cut at K and at the context's end) and the adaptive trigram table
// (counts, back-off, recency ties, incremental observation).
import { describe, expect, test } from 'vitest';
import { promptLookupDraft } from './prompt-lookup';
import { TrigramDraft } from './trigram';

const options = { draftLength: 3, maxNgram: 3, minNgram: 1 };

describe('promptLookupDraft', () => {
  test('the longest trailing n-gram that recurs wins, at its earliest match', () => {
    // Trailing 3-gram [1, 2, 3] occurs at 0 (followed by 4, 5, 6) and at 6 (followed by 9).
    const context = [1, 2, 3, 4, 5, 6, 1, 2, 3, 9, 7, 1, 2, 3];
    expect(promptLookupDraft(context, options)).toEqual([4, 5, 6]);
  });

  test('falls back to shorter n-grams, and the draft stops at K and at the context end', () => {
    // No earlier [8, 2, 3] or [2, 3]... but [3] occurs at index 2, followed by 4, 3.
    expect(promptLookupDraft([5, 6, 3, 4, 8, 2, 3], { ...options, draftLength: 10 })).toEqual([4, 8, 2, 3]);
    expect(promptLookupDraft([5, 6, 3, 4, 8, 2, 3], { ...options, draftLength: 1 })).toEqual([4]);
  });

  test('no recurrence, a min n-gram above what recurs, or a one-token context: no draft', () => {
    expect(promptLookupDraft([1, 2, 3, 4], options)).toEqual([]);
    expect(promptLookupDraft([7, 1, 2, 9, 2], { ...options, minNgram: 2 })).toEqual([]);
    expect(promptLookupDraft([7, 1, 2, 9, 2], options)).toEqual([9, 2]);
    expect(promptLookupDraft([4], options)).toEqual([]);
  });

  test('a repeated token matches its own earlier copies (runs)', () => {
    expect(promptLookupDraft([0, 5, 5, 5], options)).toEqual([5]);
  });
});

describe('TrigramDraft', () => {
  test('follows the most frequent trigram continuation, backing off to bigrams', () => {
    const table = new TrigramDraft(10);
    const text = [1, 2, 3, 1, 2, 3, 1, 2, 4, 5];
    table.observe(text);
    // (1, 2) -> 3 twice, 4 once; (2, 3) -> 1; (3, 1) -> 2.
    expect(table.draft([1, 2], 4)).toEqual([3, 1, 2, 3]);
    // (9, 4) unseen: bigram 4 -> 5; then (4, 5) unseen and 5 was never followed: stop.
    expect(table.draft([9, 4], 4)).toEqual([5]);
    expect(table.draft([9, 8], 4)).toEqual([]);
  });

  test('ties go to the most recently seen continuation', () => {
    const table = new TrigramDraft(10);
    table.observe([1, 2, 3, 0, 1, 2, 4]);
    expect(table.draft([1, 2], 1)).toEqual([4]);
    table.observe([1, 2, 3, 0, 1, 2, 4, 0, 1, 2, 3]);
    expect(table.draft([1, 2], 1)).toEqual([3]);
  });

  test('observe counts only new tokens; a shrinking text and a bad vocabulary are refused', () => {
    const table = new TrigramDraft(10);
    table.observe([1, 2]);
    table.observe([1, 2, 3]);
    table.observe([1, 2, 3]);
    expect(table.size).toBe(3);
    table.observe([1, 2, 3, 1, 2, 5, 1, 2, 5]);
    // (1, 2) -> 3 once, 5 twice (counted once each despite the repeated observe calls).
    expect(table.draft([1, 2], 1)).toEqual([5]);
    expect(() => table.observe([1])).toThrow(/shrank from 9 to 1/);
    expect(() => new TrigramDraft(0)).toThrow(/vocab must be an integer >= 1, got 0/);
    table.reset();
    expect(table.draft([1, 2], 3)).toEqual([]);
  });
});
