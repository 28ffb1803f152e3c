// The corpus, the character tokenizer built from it, and the seeded batch sampler.
import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../model/tokenizer';
import {
  BatchSampler,
  CorpusError,
  builtinCorpus,
  checkCorpusLength,
  textCorpus,
  tokenizeCorpus,
} from './corpus';
import { UNK_TOKEN, characterTokenizerFiles } from './corpus-tokenizer';

function tokenizerFor(text: string) {
  const files = characterTokenizerFiles(text, 64);
  return { files, tokenizer: TextTokenizer.fromJson(files.tokenizerJson, files.tokenizerConfig) };
}

describe('character tokenizer', () => {
  it('round-trips the built-in corpus exactly, one id per character', () => {
    const corpus = builtinCorpus();
    const { files, tokenizer } = tokenizerFor(corpus.text);
    const ids = tokenizer.encode(corpus.text, { addSpecialTokens: false });
    expect(ids.length).toBe([...corpus.text].length);
    expect(tokenizer.decode(ids)).toBe(corpus.text);
    expect(files.vocabSize).toBe(new Set(corpus.text).size + 1);
    expect(tokenizer.vocabSize).toBe(files.vocabSize);
    expect(tokenizer.unkTokenId).toBe(0);
  });

  it('keeps spaces before punctuation, newlines, tabs and characters outside the BMP', () => {
    const text = 'a . b ,\n\tc 🙂 é';
    const { tokenizer } = tokenizerFor(text);
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  it('maps characters the corpus does not have to <unk> (what is lost)', () => {
    const { tokenizer } = tokenizerFor('abc');
    expect(tokenizer.encode('abz')).toEqual([1, 2, 0]);
    expect(tokenizer.decode(tokenizer.encode('abz'))).toBe(`ab${UNK_TOKEN}`);
  });

  it('refuses an empty corpus', () => {
    expect(() => characterTokenizerFiles('', 8)).toThrow('The corpus is empty');
  });
});

describe('corpus', () => {
  it('a user text: \\r\\n becomes \\n; an empty one is refused with its name', () => {
    expect(textCorpus('notes.txt', 'a\r\nb\rc').text).toBe('a\nb\nc');
    expect(() => textCorpus('empty.txt', ' \n ')).toThrow('empty.txt is empty');
  });

  it('a corpus shorter than one window is refused naming both lengths', () => {
    expect(() => checkCorpusLength('tiny.txt', 40, 64)).toThrow(
      'tiny.txt has 40 tokens, but a context length of 64 needs at least 65 (one window of T + 1 tokens)',
    );
    expect(() => checkCorpusLength('ok.txt', 65, 64)).not.toThrow();
  });

  it('ids outside the model vocabulary are refused', () => {
    const encoder = { encode: () => [1, 2, 70] };
    expect(() => tokenizeCorpus({ name: 'x', text: 'abc' }, encoder, 64)).toThrow(CorpusError);
    expect(() => tokenizeCorpus({ name: 'x', text: 'abc' }, encoder, 64)).toThrow('token 2 has id 70');
  });
});

describe('BatchSampler', () => {
  const tokens = Uint32Array.from({ length: 200 }, (_, i) => i);
  const sampler = new BatchSampler('counting', tokens, { batchSize: 3, contextLength: 8, seed: 5 });

  it('cuts windows of T + 1: targets are tokens shifted by one, mask all ones', () => {
    const batch = sampler.batch(0);
    expect(batch.batchSize).toBe(3);
    expect(batch.length).toBe(8);
    for (let row = 0; row < 3; row++) {
      const start = batch.tokens[row * 8];
      expect(start).toBeLessThanOrEqual(200 - 9);
      for (let t = 0; t < 8; t++) {
        expect(batch.tokens[row * 8 + t]).toBe(start + t);
        expect(batch.targets[row * 8 + t]).toBe(start + t + 1);
      }
    }
    expect(batch.mask.every((m) => m === 1)).toBe(true);
  });

  it('is deterministic for a seed, and different for another seed, step or micro-batch', () => {
    const again = new BatchSampler('counting', tokens, { batchSize: 3, contextLength: 8, seed: 5 });
    const other = new BatchSampler('counting', tokens, { batchSize: 3, contextLength: 8, seed: 6 });
    expect(again.batch(4, 1).tokens).toEqual(sampler.batch(4, 1).tokens);
    expect(other.batch(4, 1).tokens).not.toEqual(sampler.batch(4, 1).tokens);
    expect(sampler.batch(5, 1).tokens).not.toEqual(sampler.batch(4, 1).tokens);
    expect(sampler.batch(4, 0).tokens).not.toEqual(sampler.batch(4, 1).tokens);
    expect(sampler.step(4, 2).map((b) => b.tokens)).toEqual([
      sampler.batch(4, 0).tokens,
      sampler.batch(4, 1).tokens,
    ]);
  });

  it('covers the corpus: over many draws every start appears, including the last one', () => {
    const small = new BatchSampler('short', Uint32Array.from({ length: 12 }, (_, i) => i), { batchSize: 4, contextLength: 8, seed: 1 }); // prettier-ignore
    const starts = new Set<number>();
    for (let step = 0; step < 50; step++) {
      const b = small.batch(step);
      for (let row = 0; row < 4; row++) starts.add(b.tokens[row * 8]);
    }
    expect([...starts].sort((a, b) => a - b)).toEqual([0, 1, 2, 3]);
  });
});
