// The tokenizer libraries in the page: both fixtures load in real Chromium from JSON text (as a
// fetch or file picker delivers them) and round-trip, and a chat template renders. No WebGPU is
// needed; this lives in the browser project to prove @huggingface/tokenizers and
// @huggingface/jinja bundle and run there (the Node tests cannot show that).
import { describe, expect, it } from 'vitest';
import { byteLevelBpeTokenizerFiles, wordLevelTokenizerFiles } from './fixtures';
import { StreamingDecoder } from './streamingDecoder';
import { TextTokenizer } from './tokenizer';

describe('tokenizers in Chromium', () => {
  it('runs in a browser page, not Node', () => {
    expect(typeof window).toBe('object');
    expect(navigator.userAgent).toMatch(/Chrome/);
  });

  it('loads the WordLevel fixture from JSON text and round-trips', () => {
    const { tokenizerJson, tokenizerConfig } = wordLevelTokenizerFiles();
    const tokenizer = TextTokenizer.fromJson(JSON.stringify(tokenizerJson), JSON.stringify(tokenizerConfig));
    const ids = tokenizer.encode('two red circles above a blue star.');
    expect(ids[0]).toBe(tokenizer.bosTokenId);
    expect(ids).not.toContain(tokenizer.unkTokenId);
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe('two red circles above a blue star.');
    expect(tokenizer.encode('a zebra', { addSpecialTokens: false })[1]).toBe(tokenizer.unkTokenId);
  });

  it('loads the byte-level BPE fixture from UTF-8 bytes and round-trips unicode', () => {
    const { tokenizerJson, tokenizerConfig } = byteLevelBpeTokenizerFiles();
    const bytes = new TextEncoder().encode(JSON.stringify(tokenizerJson));
    const tokenizer = TextTokenizer.fromJson(bytes, tokenizerConfig);
    for (const text of ['héllo 🙂', ' the red circle', '日本語\tΕλληνικά 👩‍👩‍👧']) {
      expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    }
    const ids = tokenizer.encode('a🙂');
    const stream = new StreamingDecoder(tokenizer);
    expect(ids.map((id) => stream.push(id))).toEqual(['a', '', '', '🙂']);
    expect(tokenizer.decodeToken(tokenizer.tokenToId('Ġthe') as number)).toBe(' the');
  });

  it('renders the fixture chat template with @huggingface/jinja', () => {
    const { tokenizerJson, tokenizerConfig } = byteLevelBpeTokenizerFiles();
    const tokenizer = TextTokenizer.fromJson(tokenizerJson, tokenizerConfig);
    const prompt = tokenizer.applyChatTemplate(
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'the red circle' },
      ],
      { addGenerationPrompt: true },
    );
    expect(prompt).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nthe red circle<|im_end|>\n<|im_start|>assistant\n',
    );
  });
});
