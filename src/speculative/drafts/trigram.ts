// ADED-style adaptive trigram draft (Liu et al., "Adaptive Draft-Verification for Efficient Large
// Language Model Decoding", 2024): no draft model. A tri-gram table approximates the target's
// next-token distribution and adapts as text is produced:
//
//   counts[a, b][c] += 1      for every trigram (a, b, c) of the text written so far
//   draft: x_1 = argmax_c counts[x_-1, x_0][c], x_2 = argmax_c counts[x_0, x_1][c], ...
//          (back-off to the bigram counts[b][c] when (a, b) was never seen; stop when b is unseen)
//
// Interpretations (ours):
// - The paper builds its tri-gram matrix from the LLM's outputs on a corpus and refines it with
//   verified outputs; here it starts from the prompt and learns from every token the lane writes
//   (the target's verified text), which is the adaptive part without a corpus.
// - The paper balances exploration and exploitation with a tree search over the table; a verified
//   draft must be deterministic for the one-hot verification rule, so we exploit only: the most
//   frequent continuation, ties broken by the most recently seen, then the smallest id.
// - Exactness does not depend on the table: any deterministic draft is verified exactly.

interface Continuations {
  /** next token -> [count, last time it was seen] */
  next: Map<number, [number, number]>;
}

function bump(table: Map<number, Continuations>, key: number, next: number, time: number): void {
  let entry = table.get(key);
  if (!entry) table.set(key, (entry = { next: new Map() }));
  const seen = entry.next.get(next);
  if (seen) {
    seen[0]++;
    seen[1] = time;
  } else entry.next.set(next, [1, time]);
}

function best(entry: Continuations | undefined): number | null {
  if (!entry) return null;
  let chosen: number | null = null;
  let count = -1;
  let time = -1;
  for (const [token, [c, t]] of entry.next) {
    if (c > count || (c === count && (t > time || (t === time && token < (chosen ?? Infinity))))) {
      chosen = token;
      count = c;
      time = t;
    }
  }
  return chosen;
}

export class TrigramDraft {
  private readonly trigrams = new Map<number, Continuations>();
  private readonly bigrams = new Map<number, Continuations>();
  /** Tokens of the text already counted (observe() counts only what is new). */
  private observed = 0;

  constructor(private readonly vocab: number) {
    if (!Number.isInteger(vocab) || vocab < 1)
      throw new RangeError(`TrigramDraft: vocab must be an integer >= 1, got ${vocab}`);
  }

  /** Tokens counted so far. */
  get size(): number {
    return this.observed;
  }

  /**
   * Counts the n-grams that end in the tokens of `text` not yet observed. `text` is the whole
   * text so far (prompt + generated); it must extend what was observed before.
   */
  observe(text: readonly number[]): void {
    if (text.length < this.observed)
      throw new RangeError(
        `TrigramDraft.observe: the text shrank from ${this.observed} to ${text.length} tokens`,
      );
    for (let i = Math.max(this.observed, 1); i < text.length; i++) {
      bump(this.bigrams, text[i - 1], text[i], i);
      if (i >= 2) bump(this.trigrams, text[i - 2] * this.vocab + text[i - 1], text[i], i);
    }
    this.observed = text.length;
  }

  /** Forgets everything (a new run). */
  reset(): void {
    this.trigrams.clear();
    this.bigrams.clear();
    this.observed = 0;
  }

  /** Up to `length` drafted tokens after `text` (empty when its last token was never followed). */
  draft(text: readonly number[], length: number): number[] {
    const out: number[] = [];
    let a = text.length >= 2 ? text[text.length - 2] : null;
    let b = text.length >= 1 ? text[text.length - 1] : null;
    while (out.length < length && b !== null) {
      const next =
        (a !== null ? best(this.trigrams.get(a * this.vocab + b)) : null) ?? best(this.bigrams.get(b));
      if (next === null) break;
      out.push(next);
      a = b;
      b = next;
    }
    return out;
  }
}
