// Prompt lookup decoding (Saxena, "Prompt Lookup Decoding", 2023,
// github.com/apoorvumang/prompt-lookup-decoding; in Hugging Face transformers as
// PromptLookupCandidateGenerator): no draft model. The draft is what followed an earlier
// occurrence of the text's last n tokens:
//
//   for n = maxNgram down to minNgram:
//     g = context[L-n .. L-1]                          (the trailing n-gram)
//     i = the first index with context[i .. i+n-1] = g and i + n < L
//     if found: draft = context[i+n .. min(i+n+K, L) - 1]
//   no match: no draft
//
// The draft is deterministic (q is one-hot), so verification accepts x with probability p(x) and
// resamples from p without x (norm(max(0, p - onehot(x)))): the output stays exactly the target's.
// Defaults as in the original repository: max n-gram 3, K = 10. transformers defaults to a
// max n-gram of 2 and stops at 1; we take minNgram = 1 as both do.
// Interpretation: the earliest match wins (both references iterate matches in order).

export interface PromptLookupOptions {
  draftLength: number;
  maxNgram: number;
  minNgram: number;
}

function matchesAt(context: readonly number[], start: number, tail: number, n: number): boolean {
  for (let j = 0; j < n; j++) if (context[start + j] !== context[tail + j]) return false;
  return true;
}

/** The draft for `context` (empty when no n-gram of the allowed sizes recurs with a continuation). */
export function promptLookupDraft(context: readonly number[], options: PromptLookupOptions): number[] {
  const length = context.length;
  for (let n = Math.min(options.maxNgram, length - 1); n >= options.minNgram; n--) {
    const tail = length - n;
    // i + n < length: the match must have at least one token after it (the tail itself has none).
    for (let i = 0; i + n < length; i++) {
      if (!matchesAt(context, i, tail, n)) continue;
      const from = i + n;
      return context.slice(from, Math.min(from + options.draftLength, length));
    }
  }
  return [];
}
