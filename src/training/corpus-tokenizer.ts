// A character-level tokenizer built from a corpus, written as a Hugging Face tokenizer.json that
// @huggingface/tokenizers (our TextTokenizer) and the Python `tokenizers` library both load:
//
//   pre-tokenizer  Split on every character (regex [\s\S], "Isolated"): one piece per code point
//   model          WordLevel over the corpus's characters, ids in code-point order after <unk> = 0
//   decoder        Fuse: pieces are concatenated as they are (no spaces inserted)
//
// What is lost: nothing for text made of the corpus's characters (encode → decode is the identity;
// tested on the built-in corpus). A character the corpus never contains becomes <unk>, and decodes
// as the literal "<unk>". No normalisation is applied (the corpus loader turns \r\n into \n).
// Why character level: a tiny model on a few KB of text learns spelling and spacing quickly, the
// vocabulary stays small (about 60 ids for English prose), and no merges need training.

export const UNK_TOKEN = '<unk>';

export interface CorpusTokenizerFiles {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  /** Ids 0..vocabSize-1 (<unk> and every distinct character). */
  vocabSize: number;
}

/** tokenizer.json (and tokenizer_config.json) of a character tokenizer over `text`'s characters. */
export function characterTokenizerFiles(text: string, contextLength: number): CorpusTokenizerFiles {
  const characters = [...new Set(text)].filter((c) => c !== UNK_TOKEN);
  characters.sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  if (characters.length === 0)
    throw new Error('The corpus is empty: there are no characters to build a tokenizer from.');
  const vocab: Record<string, number> = { [UNK_TOKEN]: 0 };
  characters.forEach((c, i) => (vocab[c] = i + 1));
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      { id: 0, content: UNK_TOKEN, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }, // prettier-ignore
    ],
    normalizer: null,
    pre_tokenizer: { type: 'Split', pattern: { Regex: '[\\s\\S]' }, behavior: 'Isolated', invert: false },
    post_processor: null,
    decoder: { type: 'Fuse' },
    model: { type: 'WordLevel', vocab, unk_token: UNK_TOKEN },
  };
  const tokenizerConfig = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    unk_token: UNK_TOKEN,
    model_max_length: contextLength,
    clean_up_tokenization_spaces: false,
  };
  return { tokenizerJson, tokenizerConfig, vocabSize: characters.length + 1 };
}
