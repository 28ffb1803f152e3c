// The generation loop over a fake LanguageModel (no GPU): what is forwarded when, stopping rules,
// streamed text, unknown ids and cancellation. The GPU path is generate.gpu.test.ts.
import { describe, expect, test } from 'vitest';
import type { ForwardRequest, LanguageModel } from '../model/interface';
import { TINY_VOCAB, tinyTokenizerJson } from '../model/loading/fixtures/tinyModels';
import { TextTokenizer } from '../model/tokenizer';
import { generate, promptTokens, type TokenChooser } from './generate';

const tokenizer = TextTokenizer.fromJson(tinyTokenizerJson(), { eos_token: '</s>' });
const id = (token: string) => TINY_VOCAB.indexOf(token);

/** Records every forward; its "logits" buffer is a stand-in carrying the forwarded tokens. */
function fakeModel(maxPositions = 64) {
  const forwards: number[][] = [];
  const live = new Set<number>();
  let next = 1;
  const model = {
    info: { name: 'fake', config: { maxPositions } },
    createSequence: () => {
      live.add(next);
      return next++;
    },
    releaseSequence: (s: number) => live.delete(s),
    forward: async (request: ForwardRequest) => {
      forwards.push([...request.sequences[0].tokens]);
      return { logits: { label: `after ${forwards.length}` } as unknown as GPUBuffer, rows: [] };
    },
  } as unknown as LanguageModel;
  return { model, forwards, live };
}

/** Emits the given ids in order, with probability 1/(step+2). */
const script =
  (ids: number[]): TokenChooser =>
  async (_logits, step) => ({ id: ids[step], probability: 1 / (step + 2) });

describe('generate', () => {
  test('prefills the prompt once, then forwards one token per step, until max tokens', async () => {
    const { model, forwards, live } = fakeModel();
    const seen: string[] = [];
    const result = await generate({
      model,
      tokenizer,
      choose: script([id('cat'), id('sat'), id('a'), id('b')]),
      prompt: 'the cat',
      maxTokens: 3,
      onToken: (t) => seen.push(t.piece),
    });
    expect(forwards).toEqual([[id('the'), id('cat')], [id('cat')], [id('sat')]]);
    expect(result.promptTokens).toEqual([id('the'), id('cat')]);
    expect(result.tokens.map((t) => t.id)).toEqual([id('cat'), id('sat'), id('a')]);
    expect(result.tokens.map((t) => t.probability)).toEqual([1 / 2, 1 / 3, 1 / 4]);
    expect(seen).toEqual(['cat', 'sat', 'a']);
    expect(result.stopReason).toBe('max-tokens');
    expect(result.text).toBe(result.tokens.map((t) => t.text).join(''));
    expect(result.text.trim()).toBe('cat sat a');
    expect(live.size).toBe(0); // the sequence (KV cache) is released
  });

  test('stops at an end-of-sequence id and reports it', async () => {
    const { model } = fakeModel();
    const result = await generate({
      model,
      tokenizer,
      choose: script([id('a'), id('</s>'), id('b')]),
      prompt: 'the',
      maxTokens: 10,
    });
    expect(result.tokens.map((t) => t.piece)).toEqual(['a', '</s>']);
    expect(result.stopReason).toBe('eos');
  });

  test('stops at the model context and refuses a prompt that fills it', async () => {
    const { model } = fakeModel(4);
    const result = await generate({
      model,
      tokenizer,
      choose: script([3, 4, 5, 6, 7]),
      prompt: 'the cat',
      maxTokens: 10,
    });
    expect(result.tokens).toHaveLength(2);
    expect(result.stopReason).toBe('context');
    await expect(
      generate({ model, tokenizer, choose: script([3]), prompt: 'a b c d', maxTokens: 1 }),
    ).rejects.toThrow('the prompt has 4 tokens but fake reads at most 4');
  });

  test('ids past the tokenizer vocabulary become placeholders instead of errors', async () => {
    const { model } = fakeModel();
    const result = await generate({
      model,
      tokenizer,
      choose: script([40, id('a')]),
      prompt: 'the',
      maxTokens: 2,
    });
    expect(result.tokens.map((t) => t.piece)).toEqual(['⟨40⟩', 'a']);
    expect(result.text).toContain('⟨40⟩');
  });

  test('an abort signal ends generation between steps with stopReason "cancelled"', async () => {
    const { model, live } = fakeModel();
    const controller = new AbortController();
    const result = await generate({
      model,
      tokenizer,
      choose: script([3, 4, 5, 6]),
      prompt: 'the',
      maxTokens: 4,
      signal: controller.signal,
      onToken: (t) => {
        if (t.index === 1) controller.abort();
      },
    });
    expect(result.tokens).toHaveLength(2);
    expect(result.stopReason).toBe('cancelled');
    expect(live.size).toBe(0);
  });

  test('an empty prompt starts from BOS, or says what to do without one', () => {
    const withBos = TextTokenizer.fromJson(tinyTokenizerJson(), { bos_token: '<s>' });
    expect(promptTokens(withBos, '')).toEqual([id('<s>')]);
    const plain = TextTokenizer.fromJson(tinyTokenizerJson(), null);
    expect(() => promptTokens(plain, '')).toThrow('the prompt is empty');
  });

  test('max tokens must be a whole number >= 1', async () => {
    const { model } = fakeModel();
    await expect(
      generate({ model, tokenizer, choose: script([]), prompt: 'a', maxTokens: 0 }),
    ).rejects.toThrow('max tokens must be a whole number >= 1, got 0');
  });
});
