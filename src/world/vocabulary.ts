// The one word-level vocabulary every Shapes-world model shares (the captioning VLM and the
// expert / amateur / draft LMs), as a Hugging Face tokenizer.json (tested with TextTokenizer over
// @huggingface/tokenizers; the format is the Python `tokenizers` one, not tested against it here):
//
//   normalizer     Lowercase ("Is there a Red circle?" reads like "is there a red circle ?")
//   pre-tokenizer  Whitespace (\w+|[^\w\s]+: words, and runs of punctuation, as separate pieces)
//   model          WordLevel, unk_token <unk>
//   post-processor none: callers add <bos>/<eos>/<image> explicitly (e.g. "<bos> caption <eos>")
//   decoder        none: tokens are joined with single spaces, which is how all generated text
//                  is written, so decode(encode(caption)) === caption
//
// Ids: the special tokens <pad> 0, <unk> 1, <bos> 2, <eos> 3, <image> 4, then every word generated
// text can contain (words.ts), first occurrence first. The order is fixed by the tables in
// types.ts and words.ts: a new word changes later ids unless it goes at the end of generatedWords,
// and a model trained on one vocabulary needs the same tokenizer.json (it ships with the model).
import { generatedWords, splitWords } from './words';

export const SPECIAL_TOKENS = ['<pad>', '<unk>', '<bos>', '<eos>', '<image>'] as const;
export const UNK_TOKEN = '<unk>';

/** All tokens in id order. */
export const SHAPES_VOCABULARY: readonly string[] = [...new Set([...SPECIAL_TOKENS, ...generatedWords()])];

const IDS: ReadonlyMap<string, number> = new Map(SHAPES_VOCABULARY.map((t, i) => [t, i]));

export function tokenId(token: string): number | undefined {
  return IDS.get(token);
}

/** tokenizer.json for the Shapes vocabulary (a fresh object each call). */
export function shapesTokenizerJson(): Record<string, unknown> {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content) => ({
      id: IDS.get(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab: Object.fromEntries(IDS), unk_token: UNK_TOKEN },
  };
}

/** tokenizer_config.json to go with it. */
export function shapesTokenizerConfig(maxLength = 128): Record<string, unknown> {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: '<bos>',
    eos_token: '<eos>',
    pad_token: '<pad>',
    unk_token: UNK_TOKEN,
    model_max_length: maxLength,
    // Generated text already has spaces around punctuation; cleaning them up would not round-trip.
    clean_up_tokenization_spaces: false,
  };
}

export interface UnknownWord {
  /** As typed. */
  word: string;
  /** Character offsets [start, end) in the prompt. */
  start: number;
  end: number;
}

/**
 * The pieces of a prompt the tokenizer maps to <unk>, with their positions, for the UI to mark:
 * pieces are split and lowercased exactly as the tokenizer does; special tokens typed literally
 * (<bos>, <image>) are known.
 */
export function unknownWords(prompt: string): UnknownWord[] {
  const unknown: UnknownWord[] = [];
  let offset = 0;
  for (const part of prompt.split(/(<pad>|<unk>|<bos>|<eos>|<image>)/)) {
    if (!(SPECIAL_TOKENS as readonly string[]).includes(part)) {
      for (const w of splitWords(part)) {
        if (!IDS.has(w.text)) {
          unknown.push({ word: part.slice(w.start, w.end), start: offset + w.start, end: offset + w.end });
        }
      }
    }
    offset += part.length;
  }
  return unknown;
}
