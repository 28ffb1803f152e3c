// Chat templates: tokenizer_config.json's `chat_template` (a Jinja string, or a list of named
// templates) rendered with @huggingface/jinja 0.5.11, the engine transformers.js uses. The
// variables follow transformers' apply_chat_template: `messages`, `add_generation_prompt`,
// `bos_token`, `eos_token`, plus anything in `extra`; `raise_exception` is a jinja global.
// The rendered prompt already holds the template's special tokens, so encode it with
// `addSpecialTokens: false` or the BOS appears twice.
import { Template } from '@huggingface/jinja';
import { describeValue, isJsonObject } from './files';

export interface ChatMessage {
  role: string;
  content: string;
}

export interface ApplyChatTemplateOptions {
  /** End with the opening of an assistant turn, so the model writes the reply. */
  addGenerationPrompt?: boolean;
  bosToken?: string;
  eosToken?: string;
  extra?: Record<string, unknown>;
}

export const NO_CHAT_TEMPLATE_MESSAGE = 'this tokenizer has no chat template; use plain text prompts';

/**
 * The template string from tokenizer_config.json's `chat_template`: the string itself, or from a
 * list of { name, template } the one named "default", else the first. Null when there is none.
 */
export function resolveChatTemplate(value: unknown, fileName = 'tokenizer_config.json'): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    if (value.length === 0) return null;
    const entries = value.map((entry: unknown, index) => {
      if (!isJsonObject(entry) || typeof entry.template !== 'string') {
        throw new Error(
          `${fileName}: chat_template[${index}] must be an object with a string "template", got ${describeValue(entry)}`,
        );
      }
      return { name: entry.name, template: entry.template };
    });
    return (entries.find((entry) => entry.name === 'default') ?? entries[0]).template;
  }
  throw new Error(
    `${fileName}: "chat_template" must be a string or a list of { name, template }, got ${describeValue(value)}`,
  );
}

// Parsing a template costs more than rendering it, and a chat UI renders the same one per message.
const parsedTemplates = new Map<string, Template>();
const MAX_CACHED_TEMPLATES = 8;

function parseTemplate(source: string): Template {
  const cached = parsedTemplates.get(source);
  if (cached) return cached;
  let template: Template;
  try {
    template = new Template(source);
  } catch (error) {
    throw new Error(
      `the chat template could not be parsed: ${error instanceof Error ? error.message : error}`,
    );
  }
  if (parsedTemplates.size >= MAX_CACHED_TEMPLATES) parsedTemplates.clear();
  parsedTemplates.set(source, template);
  return template;
}

function checkMessages(messages: readonly ChatMessage[]): void {
  if (messages.length === 0) throw new Error('applyChatTemplate: there are no messages to render');
  messages.forEach((message, index) => {
    if (typeof message?.role !== 'string' || typeof message.content !== 'string') {
      throw new Error(
        `applyChatTemplate: message ${index} must have a string "role" and "content", got ${JSON.stringify(message)}`,
      );
    }
  });
}

/** Renders `messages` with the template; `template` is a resolved string or null (no template). */
export function applyChatTemplate(
  template: string | null,
  messages: readonly ChatMessage[],
  options: ApplyChatTemplateOptions = {},
): string {
  if (template === null || template.trim() === '') throw new Error(NO_CHAT_TEMPLATE_MESSAGE);
  checkMessages(messages);
  const variables: Record<string, unknown> = {
    ...options.extra,
    // Copies, so a template that mutates its input cannot change the caller's conversation.
    messages: messages.map((message) => ({ ...message })),
    add_generation_prompt: options.addGenerationPrompt ?? false,
  };
  if (options.bosToken !== undefined) variables.bos_token = options.bosToken;
  if (options.eosToken !== undefined) variables.eos_token = options.eosToken;
  const parsed = parseTemplate(template);
  try {
    return parsed.render(variables);
  } catch (error) {
    throw new Error(`the chat template failed: ${error instanceof Error ? error.message : error}`);
  }
}
