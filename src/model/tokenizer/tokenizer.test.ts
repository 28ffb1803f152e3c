// TextTokenizer on the two local fixtures: round trips, unknown words, special tokens, single-token
// display and end-of-sequence ids. Expected ids are derived from the fixtures' vocabularies, not
// copied from a run, so a wrong id is a real failure.
import { describe, expect, it } from 'vitest';
import { eosTokenIdsFromGenerationConfig } from './files';
import {
  byteLevelBpeGenerationConfig,
  byteLevelBpeTokenizerFiles,
  SHAPES_WORDS,
  WORD_LEVEL_SPECIAL_TOKENS,
  wordLevelTokenizerFiles,
} from './fixtures';
import { StreamingDecoder } from './streamingDecoder';
import { TextTokenizer } from './tokenizer';

function wordLevel(): TextTokenizer {
  const { tokenizerJson, tokenizerConfig } = wordLevelTokenizerFiles();
  return TextTokenizer.fromJson(tokenizerJson, tokenizerConfig);
}

function byteLevelBpe(): TextTokenizer {
  const { tokenizerJson, tokenizerConfig } = byteLevelBpeTokenizerFiles();
  return TextTokenizer.fromJson(tokenizerJson, tokenizerConfig);
}

/** Id of a word in the WordLevel fixture: the special tokens come first, then SHAPES_WORDS. */
const wordId = (word: string) => WORD_LEVEL_SPECIAL_TOKENS.length + SHAPES_WORDS.indexOf(word);

describe('WordLevel fixture', () => {
  it('encodes words to their vocabulary ids after a [BOS], and decodes back', () => {
    const tokenizer = wordLevel();
    const text = 'there is a red circle left of two blue squares.';
    const ids = tokenizer.encode(text);
    const words = ['there', 'is', 'a', 'red', 'circle', 'left', 'of', 'two', 'blue', 'squares', '.'];
    expect(ids).toEqual([2, ...words.map(wordId)]);
    expect(tokenizer.decode(ids)).toBe(`[BOS] ${text}`);
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe(text);
    expect(tokenizer.decode(ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: false })).toBe(
      'there is a red circle left of two blue squares .',
    );
  });

  it('leaves out the [BOS] when addSpecialTokens is false', () => {
    expect(wordLevel().encode('two stars', { addSpecialTokens: false })).toEqual([
      wordId('two'),
      wordId('stars'),
    ]);
  });

  it('maps unknown words to the unk id (passed to the library explicitly)', () => {
    const tokenizer = wordLevel();
    const ids = tokenizer.encode('a zebra left of a unicorn', { addSpecialTokens: false });
    expect(ids).toEqual([wordId('a'), 1, wordId('left'), wordId('of'), wordId('a'), 1]);
    expect(tokenizer.unkTokenId).toBe(1);
  });

  it('takes the unk token from the model section when the config names none', () => {
    const { tokenizerJson, tokenizerConfig } = wordLevelTokenizerFiles();
    delete tokenizerConfig.unk_token;
    const tokenizer = TextTokenizer.fromJson(tokenizerJson, tokenizerConfig);
    expect(tokenizer.encode('zebra', { addSpecialTokens: false })).toEqual([1]);
    expect(tokenizer.unkTokenId).toBe(1);
  });

  it('reads the special tokens from tokenizer_config.json', () => {
    const tokenizer = wordLevel();
    expect([tokenizer.padTokenId, tokenizer.unkTokenId, tokenizer.bosTokenId, tokenizer.eosTokenId]).toEqual([
      0, 1, 2, 3,
    ]);
    expect(tokenizer.eosTokenIds).toEqual([3]);
    expect([...tokenizer.specialTokenIds].sort()).toEqual([0, 1, 2, 3]);
    expect(tokenizer.isSpecial(2)).toBe(true);
    expect(tokenizer.isSpecial(wordId('red'))).toBe(false);
  });

  it('falls back to well-known added tokens without a tokenizer_config.json', () => {
    const tokenizer = TextTokenizer.fromJson(wordLevelTokenizerFiles().tokenizerJson, null);
    expect([tokenizer.padTokenId, tokenizer.unkTokenId, tokenizer.bosTokenId, tokenizer.eosTokenId]).toEqual([
      0, 1, 2, 3,
    ]);
  });

  it('has a vocabulary of the special tokens plus the words, both ways', () => {
    const tokenizer = wordLevel();
    expect(tokenizer.vocabSize).toBe(WORD_LEVEL_SPECIAL_TOKENS.length + SHAPES_WORDS.length);
    expect(tokenizer.modelType).toBe('WordLevel');
    expect(tokenizer.tokenToId('triangle')).toBe(wordId('triangle'));
    expect(tokenizer.idToToken(wordId('triangle'))).toBe('triangle');
    expect(tokenizer.tokenToId('zebra')).toBeUndefined();
    expect(tokenizer.idToToken(10_000)).toBeUndefined();
    expect(tokenizer.decodeToken(wordId('purple'))).toBe('purple');
  });
});

describe('byte-level BPE fixture', () => {
  const texts = [
    'héllo 🙂',
    ' the red circle',
    'Hello, World! 123',
    'tabs\tand\nnew lines  double  spaces ',
    '日本語 and Ελληνικά and 👩‍👩‍👧 (a joined emoji)',
    '',
  ];

  it.each(texts)('round-trips %j', (text) => {
    const tokenizer = byteLevelBpe();
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  it('applies the merges: " the" is one token, "é" one token, 🙂 three tokens', () => {
    const tokenizer = byteLevelBpe();
    const ids = tokenizer.encode('héllo 🙂 the');
    expect(ids.map((id) => tokenizer.idToToken(id))).toEqual(['h', 'Ã©', 'llo', 'Ġ', 'ðŁ', 'Ļ', 'Ĥ', 'Ġthe']);
    // The first 256 ids are the bytes themselves, so single-byte tokens have the byte as id.
    expect(ids[0]).toBe('h'.charCodeAt(0));
    expect(ids[5]).toBe(0x99);
    expect(ids[6]).toBe(0x82);
  });

  it('shows single tokens as text: "Ġthe" as " the", half an emoji as bytes', () => {
    const tokenizer = byteLevelBpe();
    const display = (piece: string) => tokenizer.decodeToken(tokenizer.tokenToId(piece) as number);
    expect(display('Ġthe')).toBe(' the');
    expect(display('Ġ')).toBe(' ');
    expect(display('Ã©')).toBe('é');
    expect(display('ðŁ')).toBe('<0xF0><0x9F>');
    expect(display('Ļ')).toBe('<0x99>');
    expect(display('<|im_end|>')).toBe('<|im_end|>');
  });

  it('keeps special tokens whole inside text and can skip them when decoding', () => {
    const tokenizer = byteLevelBpe();
    const imStart = tokenizer.tokenToId('<|im_start|>') as number;
    const imEnd = tokenizer.tokenToId('<|im_end|>') as number;
    const ids = tokenizer.encode('<|im_start|>user\nthe<|im_end|>');
    expect(ids[0]).toBe(imStart);
    expect(ids.at(-1)).toBe(imEnd);
    expect(tokenizer.decode(ids)).toBe('<|im_start|>user\nthe<|im_end|>');
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe('user\nthe');
  });

  it('reads bos from a {content} object and eos/pad from strings; unk stays null', () => {
    const tokenizer = byteLevelBpe();
    const endOfText = tokenizer.tokenToId('<|endoftext|>');
    expect(tokenizer.bosTokenId).toBe(endOfText);
    expect(tokenizer.padTokenId).toBe(endOfText);
    expect(tokenizer.eosTokenId).toBe(tokenizer.tokenToId('<|im_end|>'));
    expect(tokenizer.unkTokenId).toBeNull();
    // The bytes, one new token per merge (the fixture's merge results are distinct), the specials.
    const merges = (byteLevelBpeTokenizerFiles().tokenizerJson.model as { merges: string[] }).merges;
    expect(merges).toHaveLength(17);
    expect(tokenizer.vocabSize).toBe(256 + 17 + 3);
  });

  it("merges generation_config.json's eos_token_id list into eosTokenIds without duplicates", () => {
    const tokenizer = byteLevelBpe();
    const imEnd = tokenizer.tokenToId('<|im_end|>');
    const endOfText = tokenizer.tokenToId('<|endoftext|>');
    const generationIds = eosTokenIdsFromGenerationConfig(byteLevelBpeGenerationConfig());
    expect(generationIds).toEqual([imEnd, endOfText]);
    tokenizer.addEosTokenIds(generationIds);
    expect(tokenizer.eosTokenIds).toEqual([imEnd, endOfText]);
    expect(eosTokenIdsFromGenerationConfig({ eos_token_id: 7 })).toEqual([7]);
    expect(eosTokenIdsFromGenerationConfig({})).toEqual([]);
    expect(eosTokenIdsFromGenerationConfig(null)).toEqual([]);
  });

  it('decodes an empty id list to an empty string (the library itself throws)', () => {
    expect(byteLevelBpe().decode([])).toBe('');
  });
});

describe('Metaspace (SentencePiece-style) BPE', () => {
  // Small enough to write inline: "▁" marks a word start, and the decoder drops the first one.
  const pieces = ['<unk>', '▁', 't', 'h', 'e', 'r', 'd', '▁t', 'he', '▁the', '▁r', 'ed', '▁red'];
  const tokenizerJson = {
    added_tokens: [{ id: 0, content: '<unk>', special: true }],
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always' },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always' },
    model: {
      type: 'BPE',
      unk_token: '<unk>',
      vocab: Object.fromEntries(pieces.map((piece, id) => [piece, id])),
      merges: ['▁ t', 'h e', '▁t he', '▁ r', 'e d', '▁r ed'],
    },
  };

  it('round-trips, shows "▁red" as " red", and streams the space between words', () => {
    const tokenizer = TextTokenizer.fromJson(tokenizerJson, null);
    const ids = tokenizer.encode('the red');
    expect(ids).toEqual([9, 12]);
    expect(tokenizer.decode(ids)).toBe('the red');
    expect(tokenizer.decodeToken(12)).toBe(' red');
    expect(tokenizer.unkTokenId).toBe(0);
    expect(tokenizer.encode('the x')).toEqual([9, 1, 0]);
    const stream = new StreamingDecoder(tokenizer);
    expect(ids.map((id) => stream.push(id))).toEqual(['the', ' red']);
  });
});
