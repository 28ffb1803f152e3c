// The closed-form answers of Debias's post-hoc calibration (./debias-calibrate.ts) as token ids.
//
// An answer is a word ("yes"); the model may say it in several single tokens ("yes", " yes", "Yes",
// " Yes" in a byte-level vocabulary, "▁yes" / "▁Yes" in a SentencePiece one). The reference code
// (yfzhang114/LLaVA-Align, eval_pope_calibrate.py) sums the probabilities of "Yes" and "yes", so an
// answer here is the set of ids of every form of its word that the tokenizer keeps as ONE token:
//   forms = { word, lower-first(word), Capitalised(word) } x { "", " " } (the word as typed first)
// Forms that split into several tokens, or map to the unknown token or a special token, are not
// the answer and are skipped. Refused, with the answer named: a word with no single-token form (it
// cannot be read from one step's logits), and two answers that share an id (their probabilities
// would be counted twice). Pure: no GPU.
import { answerWords, answersProblem } from '../../share/methods';
import type { MethodTokenizer } from './types';

export interface ResolvedAnswer {
  /** The word as typed in the lane's `answers`. */
  word: string;
  /** Ids of its single-token forms, in the order of the forms above, without repeats. */
  ids: number[];
}

/** The forms of a word an answer reads, the word as typed first. */
export function answerForms(word: string): string[] {
  const lowerFirst = word.charAt(0).toLowerCase() + word.slice(1);
  const capitalised = word.charAt(0).toUpperCase() + word.slice(1);
  const bare = [...new Set([word, lowerFirst, capitalised])];
  return [...bare, ...bare.map((form) => ` ${form}`)];
}

/** The single token `text` encodes to (no BOS/EOS), or null when it is several, unknown or special. */
function singleToken(tokenizer: MethodTokenizer, text: string): number | null {
  let ids: number[];
  try {
    ids = tokenizer.encode(text, { addSpecialTokens: false });
  } catch {
    return null; // a piece with no id in a vocabulary without unk_token: not a token of this model
  }
  if (ids.length !== 1) return null;
  const [id] = ids;
  if (id === tokenizer.unkTokenId || tokenizer.isSpecial(id)) return null;
  return id;
}

/**
 * The token ids of each answer in `answers` (whitespace-separated words). Throws an Error whose
 * message names the answer and what to do; `vocab` (the model's logits per row) bounds the ids.
 */
export function resolveAnswers(answers: string, tokenizer: MethodTokenizer, vocab: number): ResolvedAnswer[] {
  const problem = answersProblem(answers);
  if (problem) throw new Error(`its answers: ${problem}`);
  const owner = new Map<number, string>();
  return answerWords(answers).map((word) => {
    const forms = answerForms(word);
    const ids: number[] = [];
    for (const form of forms) {
      const id = singleToken(tokenizer, form);
      if (id === null || ids.includes(id)) continue;
      if (id >= vocab) {
        throw new Error(
          `the answer ${JSON.stringify(word)} encodes to token ${id}, outside the model's ${vocab} logits: ` +
            'the tokenizer does not belong to this model',
        );
      }
      const other = owner.get(id);
      if (other !== undefined) {
        throw new Error(
          `the answers ${JSON.stringify(other)} and ${JSON.stringify(word)} share token ${id} ` +
            `(${JSON.stringify(tokenizer.idToToken(id) ?? '?')}), so its probability would count for both: ` +
            'keep one of them, or choose words the tokenizer tells apart',
        );
      }
      owner.set(id, word);
      ids.push(id);
    }
    if (ids.length === 0) {
      throw new Error(
        `the answer ${JSON.stringify(word)} has no single-token form (tried ${forms.map((f) => JSON.stringify(f)).join(', ')}): ` +
          "the calibration reads each answer from one step's logits, so choose a word the tokenizer keeps whole",
      );
    }
    return { word, ids };
  });
}
