// The shared word-level tokenizer: it loads in @huggingface/tokenizers (through TextTokenizer),
// covers every caption, question and answer the world generates with no <unk>, round-trips them,
// maps words outside the vocabulary to <unk>, and unknownWords points at exactly those words.
import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../model/tokenizer';
import { captionFor } from './caption';
import { DEFAULT_WORLD, sampleScenes } from './distribution';
import { POPE_SPLITS, popeBenchmark } from './pope';
import { questionsFor } from './questions';
import { WorldRandom } from './random';
import { worldStatistics } from './statistics';
import { corruptCaption } from './vicrit';
import {
  SHAPES_VOCABULARY,
  SPECIAL_TOKENS,
  shapesTokenizerConfig,
  shapesTokenizerJson,
  unknownWords,
} from './vocabulary';
import { EMPTY_CAPTION } from './words';

const tokenizer = TextTokenizer.fromJson(shapesTokenizerJson(), shapesTokenizerConfig());

/** Everything the world writes: captions (all samplers), questions, answers, POPE, ViCrit. */
function generatedTexts(): string[] {
  const rng = WorldRandom.fromNumber(61, 3);
  const scenes = [
    ...sampleScenes(DEFAULT_WORLD, 61, 150),
    ...sampleScenes(DEFAULT_WORLD, 62, 100, 'uniform'),
    ...sampleScenes(DEFAULT_WORLD, 63, 100, 'anti-prior'),
  ];
  const texts = [EMPTY_CAPTION];
  const stats = worldStatistics(scenes);
  for (const split of POPE_SPLITS)
    texts.push(...popeBenchmark(scenes, split, stats, 1).map((q) => q.question));
  for (const scene of scenes) {
    const caption = captionFor(scene, rng);
    texts.push(caption, corruptCaption(scene, caption, rng)?.text ?? '');
    for (const qa of questionsFor(scene, rng, 6)) texts.push(qa.question, qa.answer);
  }
  return texts;
}

describe('Shapes tokenizer', () => {
  it('has a fixed, ordered vocabulary: special tokens first, no duplicates', () => {
    expect(SHAPES_VOCABULARY.slice(0, 5)).toEqual(['<pad>', '<unk>', '<bos>', '<eos>', '<image>']);
    expect(new Set(SHAPES_VOCABULARY).size).toBe(SHAPES_VOCABULARY.length);
    expect(SHAPES_VOCABULARY.length).toBe(62);
    expect(tokenizer.vocabSize).toBe(62);
    expect([tokenizer.padTokenId, tokenizer.unkTokenId, tokenizer.bosTokenId, tokenizer.eosTokenId]).toEqual([
      0, 1, 2, 3,
    ]);
    for (const special of SPECIAL_TOKENS)
      expect(tokenizer.isSpecial(tokenizer.tokenToId(special)!)).toBe(true);
  });

  it('encodes every generated text with no <unk>, one token per word, and decodes it back', () => {
    const used = new Set<number>();
    for (const text of generatedTexts()) {
      const ids = tokenizer.encode(text, { addSpecialTokens: false });
      expect(ids, text).not.toContain(tokenizer.unkTokenId);
      expect(ids.length).toBe(text.split(' ').filter((w) => w !== '').length);
      if (ids.length > 0) expect(tokenizer.decode(ids)).toBe(text);
      ids.forEach((id) => used.add(id));
    }
    // Every word of the vocabulary is produced by something (no dead ids besides the specials).
    const unused = SHAPES_VOCABULARY.filter(
      (t, id) => !used.has(id) && !(SPECIAL_TOKENS as readonly string[]).includes(t),
    );
    expect(unused).toEqual([]);
  });

  it('reads special tokens and capitals, and maps unknown words to <unk>', () => {
    const ids = tokenizer.encode('<bos><image> Is there a RED zebra?<eos>');
    expect(ids.map((id) => tokenizer.idToToken(id))).toEqual([
      '<bos>',
      '<image>',
      'is',
      'there',
      'a',
      'red',
      '<unk>',
      '?',
      '<eos>',
    ]);
    expect(tokenizer.encode('3 circles!', { addSpecialTokens: false })).toEqual([
      tokenizer.unkTokenId,
      tokenizer.tokenToId('circles'),
      tokenizer.unkTokenId,
    ]);
  });
});

describe('unknownWords', () => {
  it('reports exactly the pieces the tokenizer maps to <unk>, with offsets into the prompt', () => {
    const prompt = '<image> Is there a shiny Zebra near 2 circles?!';
    const unknown = unknownWords(prompt);
    expect(unknown).toEqual([
      { word: 'shiny', start: 19, end: 24 },
      { word: 'Zebra', start: 25, end: 30 },
      { word: 'near', start: 31, end: 35 },
      { word: '2', start: 36, end: 37 },
      { word: '?!', start: 45, end: 47 },
    ]);
    for (const u of unknown) expect(prompt.slice(u.start, u.end)).toBe(u.word);
    const unkCount = tokenizer
      .encode(prompt, { addSpecialTokens: false })
      .filter((id) => id === tokenizer.unkTokenId);
    expect(unkCount.length).toBe(unknown.length);
  });

  it('finds nothing unknown in generated text', () => {
    expect(unknownWords('there are two red circles left of a blue star .')).toEqual([]);
    expect(unknownWords('')).toEqual([]);
  });
});
