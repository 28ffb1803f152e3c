// Token-level helpers a speculative session needs from a tokenizer: FoReaL's sentence ends.
import type { TextTokenizer } from '../model/tokenizer';

const SENTENCE_END = /[.!?。！？\n]\s*$/;

/** Ids whose text ends a sentence ('.', '!', '?', their full-width forms, a newline), specials excluded. */
export function sentenceEndTokenIds(tokenizer: TextTokenizer): number[] {
  const ids: number[] = [];
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    if (tokenizer.isSpecial(id) || tokenizer.idToToken(id) === undefined) continue;
    if (SENTENCE_END.test(tokenizer.decodeToken(id))) ids.push(id);
  }
  return ids;
}
