// Tiny tokenizers built in code, in the exact file formats the Hub serves, because tests cannot
// download real ones. Two families cover what the engine meets: a WordLevel tokenizer over the
// Shapes world's words (whitespace pre-tokenizer, a [BOS]-adding post-processor), and a GPT-2
// style byte-level BPE (all 256 byte symbols plus a few merges, ChatML special tokens, a chat
// template). Every call returns fresh objects, so a test may break a copy without affecting others.
// Used by this folder's tests and by any test that needs a tokenizer folder (e.g. a loader test
// that serves tokenizer.json over HTTP).
import { BYTE_TO_CHAR, textToByteLevel } from './byteLevel';
import { QWEN25_CHAT_TEMPLATE } from './chatTemplateFixtures';

export interface TokenizerFiles {
  /** The content of tokenizer.json. */
  tokenizerJson: Record<string, unknown>;
  /** The content of tokenizer_config.json. */
  tokenizerConfig: Record<string, unknown>;
}

function addedToken(id: number, content: string, special = true) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special };
}

// --- WordLevel ----------------------------------------------------------------------------------

export const WORD_LEVEL_SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[BOS]', '[EOS]'] as const;

/** Words of Shapes-world captions and questions; ids follow the special tokens in this order. */
export const SHAPES_WORDS: readonly string[] = [
  ...['a', 'an', 'the', 'there', 'is', 'are', 'and', 'of', 'to', 'next', 'yes', 'no'],
  ...['one', 'two', 'three', 'four', 'small', 'large', 'left', 'right', 'above', 'below'],
  ...['red', 'green', 'blue', 'yellow', 'purple', 'orange'],
  ...['circle', 'circles', 'square', 'squares', 'triangle', 'triangles', 'star', 'stars'],
  ...['.', ',', '?'],
];

export function wordLevelTokenizerFiles(): TokenizerFiles {
  const vocab: Record<string, number> = {};
  [...WORD_LEVEL_SPECIAL_TOKENS, ...SHAPES_WORDS].forEach((word, id) => (vocab[word] = id));
  const bosId = vocab['[BOS]'];
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: WORD_LEVEL_SPECIAL_TOKENS.map((token) => addedToken(vocab[token], token)),
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[BOS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[BOS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { '[BOS]': { id: '[BOS]', ids: [bosId], tokens: ['[BOS]'] } },
    },
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
  };
  const tokenizerConfig = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: '[BOS]',
    eos_token: '[EOS]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    // No decoder joins words with spaces; the cleanup then glues "circle ." back into "circle.".
    clean_up_tokenization_spaces: true,
    model_max_length: 64,
  };
  return { tokenizerJson, tokenizerConfig };
}

// --- Byte-level BPE -----------------------------------------------------------------------------

/**
 * Merges as pairs of UTF-8 text pieces, in rank order (converted to byte-level symbols below).
 * "é" becomes one token; 🙂 (F0 9F 99 82) gets a two-byte token for its first half, so it
 * encodes as three tokens and the first one alone is not a character.
 */
const BPE_MERGES: readonly (readonly [string | number[], string | number[]])[] = [
  [' ', 't'],
  ['h', 'e'],
  [' t', 'he'],
  [' ', 'a'],
  [' ', 'r'],
  ['e', 'd'],
  [' r', 'ed'],
  [' ', 'c'],
  ['i', 'r'],
  ['c', 'l'],
  ['cl', 'e'],
  [' c', 'ir'],
  [' cir', 'cle'],
  ['l', 'l'],
  ['ll', 'o'],
  [[0xc3], [0xa9]],
  [[0xf0], [0x9f]],
];

export const BPE_SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;

function toSymbols(piece: string | number[]): string {
  return typeof piece === 'string' ? textToByteLevel(piece) : piece.map((b) => BYTE_TO_CHAR[b]).join('');
}

export function byteLevelBpeTokenizerFiles(): TokenizerFiles {
  const vocab: Record<string, number> = {};
  BYTE_TO_CHAR.forEach((symbol, byte) => (vocab[symbol] = byte));
  const merges: string[] = [];
  for (const [left, right] of BPE_MERGES) {
    const pair = [toSymbols(left), toSymbols(right)];
    merges.push(pair.join(' '));
    vocab[pair.join('')] ??= Object.keys(vocab).length;
  }
  const firstSpecialId = Object.keys(vocab).length;
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: BPE_SPECIAL_TOKENS.map((token, i) => addedToken(firstSpecialId + i, token)),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  const tokenizerConfig = {
    tokenizer_class: 'GPT2Tokenizer',
    add_prefix_space: false,
    // The object form that tokenizer_config.json files use alongside plain strings.
    bos_token: {
      content: '<|endoftext|>',
      lstrip: false,
      normalized: false,
      rstrip: false,
      single_word: false,
    },
    eos_token: '<|im_end|>',
    pad_token: '<|endoftext|>',
    unk_token: null,
    additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
    clean_up_tokenization_spaces: false,
    chat_template: QWEN25_CHAT_TEMPLATE,
    model_max_length: 128,
  };
  return { tokenizerJson, tokenizerConfig };
}

/** generation_config.json for the byte-level fixture: both <|im_end|> and <|endoftext|> stop. */
export function byteLevelBpeGenerationConfig(): Record<string, unknown> {
  const specials = byteLevelBpeTokenizerFiles().tokenizerJson.added_tokens as {
    id: number;
    content: string;
  }[];
  const id = (content: string) => specials.find((t) => t.content === content)?.id;
  return { bos_token_id: id('<|endoftext|>'), eos_token_id: [id('<|im_end|>'), id('<|endoftext|>')] };
}
