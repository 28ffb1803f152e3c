// StreamingDecoder: the text emitted token by token must equal the full decode, and a character
// split across tokens must appear only once it is complete, never as "�".
import { describe, expect, it } from 'vitest';
import { byteLevelBpeTokenizerFiles, wordLevelTokenizerFiles } from './fixtures';
import { StreamingDecoder } from './streamingDecoder';
import { TextTokenizer } from './tokenizer';

function byteLevelBpe(): TextTokenizer {
  const { tokenizerJson, tokenizerConfig } = byteLevelBpeTokenizerFiles();
  return TextTokenizer.fromJson(tokenizerJson, tokenizerConfig);
}

describe('StreamingDecoder', () => {
  it('holds back a 4-byte emoji split over three tokens until its last byte arrives', () => {
    const tokenizer = byteLevelBpe();
    const ids = tokenizer.encode('a🙂b', { addSpecialTokens: false });
    expect(ids).toHaveLength(5); // a, F0 9F, 99, 82, b
    const stream = new StreamingDecoder(tokenizer);
    const pieces = ids.map((id) => stream.push(id));
    expect(pieces).toEqual(['a', '', '', '🙂', 'b']);
    expect(stream.text).toBe('a🙂b');
    expect(stream.pendingTokenCount).toBe(0);
  });

  it('reports the held-back tokens while a character is unfinished', () => {
    const tokenizer = byteLevelBpe();
    const [first, second] = tokenizer.encode('🙂', { addSpecialTokens: false });
    const stream = new StreamingDecoder(tokenizer);
    stream.push(first);
    stream.push(second);
    expect(stream.pendingTokenCount).toBe(2);
    expect(stream.text).toBe('');
  });

  it.each(['héllo 🙂 the red circle', '日本語 👩‍👩‍👧 mixed\ntext', '  leading and trailing  '])(
    'emits exactly the full decode of %j, piece by piece',
    (text) => {
      const tokenizer = byteLevelBpe();
      const ids = tokenizer.encode(text);
      const stream = new StreamingDecoder(tokenizer);
      const pieces = ids.map((id) => stream.push(id));
      expect(pieces.join('') + stream.flush()).toBe(tokenizer.decode(ids));
      expect(pieces.join('')).not.toContain('\uFFFD');
    },
  );

  it('flushes an unfinished character as U+FFFD at the end of generation', () => {
    const tokenizer = byteLevelBpe();
    const [halfEmoji] = tokenizer.encode('🙂', { addSpecialTokens: false });
    const stream = new StreamingDecoder(tokenizer);
    expect(stream.pushAll([tokenizer.tokenToId('h') as number, halfEmoji])).toBe('h');
    expect(stream.flush()).toBe('\uFFFD');
    expect(stream.flush()).toBe('');
  });

  it('does not wait forever on bytes that can never complete a character', () => {
    const tokenizer = byteLevelBpe();
    const stream = new StreamingDecoder(tokenizer);
    // Four lead bytes of 4-byte sequences in a row: each one breaks the one before it.
    const leadByte = tokenizer.tokenToId('ð') as number;
    const pieces = [leadByte, leadByte, leadByte, leadByte].map((id) => stream.push(id));
    expect(pieces.slice(0, 3)).toEqual(['', '', '']);
    expect(pieces[3]).toBe('\uFFFD'.repeat(4));
  });

  it('adds the spaces a WordLevel decoder puts between words', () => {
    const { tokenizerJson, tokenizerConfig } = wordLevelTokenizerFiles();
    const tokenizer = TextTokenizer.fromJson(tokenizerJson, tokenizerConfig);
    const stream = new StreamingDecoder(tokenizer, { skipSpecialTokens: true });
    const pieces = tokenizer.encode('two red stars .').map((id) => stream.push(id));
    expect(pieces).toEqual(['', 'two', ' red', ' stars', ' .']);
  });

  it('skips special tokens when asked', () => {
    const tokenizer = byteLevelBpe();
    const stream = new StreamingDecoder(tokenizer, { skipSpecialTokens: true });
    const text = stream.pushAll(tokenizer.encode('<|im_start|>assistant\nthe red<|im_end|>'));
    expect(text).toBe('assistant\nthe red');
  });
});
