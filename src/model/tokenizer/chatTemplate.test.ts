// Chat templates rendered by @huggingface/jinja: the exact prompt text for ChatML (SmolLM2 and
// Qwen2.5 styles) and Llama 2 style templates, template selection, and the errors.
import { describe, expect, it } from 'vitest';
import { applyChatTemplate, NO_CHAT_TEMPLATE_MESSAGE, resolveChatTemplate } from './chatTemplate';
import { LLAMA2_CHAT_TEMPLATE, QWEN25_CHAT_TEMPLATE, SMOLLM2_CHAT_TEMPLATE } from './chatTemplateFixtures';
import { byteLevelBpeTokenizerFiles, wordLevelTokenizerFiles } from './fixtures';
import { TextTokenizer } from './tokenizer';

const QWEN_SYSTEM = 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.';
const SMOLLM_SYSTEM = 'You are a helpful AI assistant named SmolLM, trained by Hugging Face';
const conversation = [
  { role: 'user', content: 'How many circles?' },
  { role: 'assistant', content: 'Two.' },
  { role: 'user', content: 'And squares?' },
];

describe('ChatML templates', () => {
  it('Qwen2.5 style: adds the default system message and the generation prompt', () => {
    const prompt = applyChatTemplate(QWEN25_CHAT_TEMPLATE, conversation, { addGenerationPrompt: true });
    expect(prompt).toBe(
      `<|im_start|>system\n${QWEN_SYSTEM}<|im_end|>\n` +
        '<|im_start|>user\nHow many circles?<|im_end|>\n' +
        '<|im_start|>assistant\nTwo.<|im_end|>\n' +
        '<|im_start|>user\nAnd squares?<|im_end|>\n' +
        '<|im_start|>assistant\n',
    );
  });

  it('Qwen2.5 style: uses a given system message instead, no prompt when not asked', () => {
    const messages = [
      { role: 'system', content: 'Answer in one word.' },
      { role: 'user', content: 'Colour?' },
    ];
    expect(applyChatTemplate(QWEN25_CHAT_TEMPLATE, messages)).toBe(
      '<|im_start|>system\nAnswer in one word.<|im_end|>\n<|im_start|>user\nColour?<|im_end|>\n',
    );
  });

  it('SmolLM2 style: same ChatML layout with its own default system message', () => {
    const user = [{ role: 'user', content: 'Hi' }];
    expect(applyChatTemplate(SMOLLM2_CHAT_TEMPLATE, user, { addGenerationPrompt: true })).toBe(
      `<|im_start|>system\n${SMOLLM_SYSTEM}<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n`,
    );
    expect(applyChatTemplate(SMOLLM2_CHAT_TEMPLATE, user, { addGenerationPrompt: false })).toBe(
      `<|im_start|>system\n${SMOLLM_SYSTEM}<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n`,
    );
  });

  it('through the tokenizer: the config template, and special tokens encode as single ids', () => {
    const { tokenizerJson, tokenizerConfig } = byteLevelBpeTokenizerFiles();
    const tokenizer = TextTokenizer.fromJson(tokenizerJson, tokenizerConfig);
    const prompt = tokenizer.applyChatTemplate([{ role: 'user', content: 'the red circle' }], {
      addGenerationPrompt: true,
    });
    expect(prompt.endsWith('<|im_start|>user\nthe red circle<|im_end|>\n<|im_start|>assistant\n')).toBe(true);
    const ids = tokenizer.encode(prompt, { addSpecialTokens: false });
    const imStart = tokenizer.tokenToId('<|im_start|>');
    expect(ids.filter((id) => id === imStart)).toHaveLength(3);
    expect(tokenizer.decode(ids)).toBe(prompt);
  });
});

describe('Llama 2 style template', () => {
  const options = { bosToken: '<s>', eosToken: '</s>' };

  it('puts bos_token before each [INST], folds the system message in, closes answers with eos', () => {
    const messages = [{ role: 'system', content: 'Be brief.' }, ...conversation];
    expect(applyChatTemplate(LLAMA2_CHAT_TEMPLATE, messages, options)).toBe(
      '<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHow many circles? [/INST] Two. </s><s>[INST] And squares? [/INST]',
    );
  });

  it('reports raise_exception with the template message', () => {
    const wrongOrder = [
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: 'Hi' },
    ];
    expect(() => applyChatTemplate(LLAMA2_CHAT_TEMPLATE, wrongOrder, options)).toThrow(
      'the chat template failed: Conversation roles must alternate user/assistant/user/assistant/...',
    );
  });

  it('passes extra variables to the template', () => {
    const template = "{{ bos_token }}{{ date_string }}: {{ messages[0]['content'] }}";
    const extra = { date_string: '26 Jul 2024' };
    expect(applyChatTemplate(template, [{ role: 'user', content: 'x' }], { ...options, extra })).toBe(
      '<s>26 Jul 2024: x',
    );
  });
});

describe('choosing the template', () => {
  it('takes a string as it is, and from a list the one named "default", else the first', () => {
    expect(resolveChatTemplate('{{ 1 }}')).toBe('{{ 1 }}');
    const named = [
      { name: 'tool_use', template: 'T' },
      { name: 'default', template: 'D' },
    ];
    expect(resolveChatTemplate(named)).toBe('D');
    expect(resolveChatTemplate([{ name: 'rag', template: 'R' }, named[0]])).toBe('R');
    expect(resolveChatTemplate(undefined)).toBeNull();
    expect(resolveChatTemplate([])).toBeNull();
  });

  it('rejects a chat_template of the wrong shape, naming the file', () => {
    expect(() => resolveChatTemplate(42)).toThrow(
      'tokenizer_config.json: "chat_template" must be a string or a list of { name, template }, got number 42',
    );
    expect(() => resolveChatTemplate([{ name: 'default' }])).toThrow(
      'tokenizer_config.json: chat_template[0] must be an object with a string "template", got an object',
    );
  });
});

describe('chat template errors', () => {
  it('says so when the tokenizer has no template', () => {
    const { tokenizerJson, tokenizerConfig } = wordLevelTokenizerFiles();
    const tokenizer = TextTokenizer.fromJson(tokenizerJson, tokenizerConfig);
    expect(tokenizer.chatTemplate).toBeNull();
    expect(() => tokenizer.applyChatTemplate([{ role: 'user', content: 'hi' }])).toThrow(
      'this tokenizer has no chat template; use plain text prompts',
    );
    expect(NO_CHAT_TEMPLATE_MESSAGE).toBe('this tokenizer has no chat template; use plain text prompts');
  });

  it('reports a template that does not parse, with the parser message', () => {
    expect(() =>
      applyChatTemplate('{% for m in messages %}{{ m.content }}', [{ role: 'user', content: 'x' }]),
    ).toThrow(/^the chat template could not be parsed: .+/);
  });

  it('reports a template that fails while rendering, with the runtime message', () => {
    expect(() =>
      applyChatTemplate('{{ messages[0].content.nope() }}', [{ role: 'user', content: 'x' }]),
    ).toThrow(/^the chat template failed: .+/);
  });

  it('rejects messages without a string role and content', () => {
    expect(() => applyChatTemplate(QWEN25_CHAT_TEMPLATE, [])).toThrow(
      'applyChatTemplate: there are no messages to render',
    );
    const bad = [{ role: 'user', content: 3 }] as unknown as { role: string; content: string }[];
    expect(() => applyChatTemplate(QWEN25_CHAT_TEMPLATE, bad)).toThrow(
      'applyChatTemplate: message 0 must have a string "role" and "content", got {"role":"user","content":3}',
    );
  });
});
