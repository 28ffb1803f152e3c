// Reading and checking the tokenizer's files (tokenizer.json, tokenizer_config.json,
// generation_config.json) before @huggingface/tokenizers sees them. The library reports a bad file
// as a TypeError from deep inside (or, for WordLevel without unk_token, not at all), so every
// structural problem is caught here and reported with the file name, the value and what to do.

export const SUPPORTED_MODEL_TYPES = ['BPE', 'WordPiece', 'Unigram', 'WordLevel'] as const;
export type ModelType = (typeof SUPPORTED_MODEL_TYPES)[number];

export type JsonObject = Record<string, unknown>;

export interface AddedTokenEntry {
  id: number;
  content: string;
  special: boolean;
}

/** tokenizer.json after checking, with the optional sections the library requires filled in. */
export interface CheckedTokenizerJson {
  json: JsonObject;
  modelType: ModelType;
  model: JsonObject;
  addedTokens: AddedTokenEntry[];
}

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A file's content as an object: accepts JSON text, its UTF-8 bytes, or the parsed value. */
export function parseJsonObject(content: unknown, fileName: string): JsonObject {
  let value = content;
  if (content instanceof ArrayBuffer || content instanceof Uint8Array) {
    try {
      value = new TextDecoder('utf-8', { fatal: true }).decode(content);
    } catch {
      throw new Error(`${fileName}: not valid JSON (the bytes are not UTF-8 text): is this the right file?`);
    }
  }
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`${fileName}: not valid JSON (${reason}): the file is truncated or not ${fileName}`);
    }
  }
  if (!isJsonObject(value)) {
    throw new Error(`${fileName}: expected a JSON object at the top level, got ${describeValue(value)}`);
  }
  return value;
}

function checkVocabObject(vocab: unknown, fileName: string, modelType: ModelType): void {
  if (!isJsonObject(vocab) || Object.keys(vocab).length === 0) {
    throw new Error(
      `${fileName}: the ${modelType} model's "vocab" must be a non-empty object mapping tokens to ids, ` +
        `got ${describeValue(vocab)}`,
    );
  }
  for (const [token, id] of Object.entries(vocab)) {
    if (!Number.isInteger(id) || (id as number) < 0) {
      throw new Error(
        `${fileName}: the vocab maps ${JSON.stringify(token)} to ${describeValue(id)}; ids must be non-negative integers`,
      );
    }
  }
}

function checkModel(model: JsonObject, fileName: string): ModelType {
  const type = model.type;
  if (type === undefined) {
    throw new Error(
      `${fileName}: the "model" section has no "type" (expected one of ${SUPPORTED_MODEL_TYPES.join(', ')})`,
    );
  }
  if (!(SUPPORTED_MODEL_TYPES as readonly unknown[]).includes(type)) {
    throw new Error(
      `${fileName}: model type ${JSON.stringify(type)} is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`,
    );
  }
  const modelType = type as ModelType;
  if (modelType === 'Unigram') {
    if (!Array.isArray(model.vocab) || model.vocab.length === 0) {
      throw new Error(
        `${fileName}: the Unigram model's "vocab" must be a non-empty list of [piece, score], got ${describeValue(model.vocab)}`,
      );
    }
    return modelType;
  }
  checkVocabObject(model.vocab, fileName, modelType);
  if (modelType === 'BPE' && !Array.isArray(model.merges)) {
    throw new Error(`${fileName}: the BPE model has no "merges" list (got ${describeValue(model.merges)})`);
  }
  return modelType;
}

function checkAddedTokens(value: unknown, fileName: string): AddedTokenEntry[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new Error(`${fileName}: "added_tokens" must be a list, got ${describeValue(value)}`);
  }
  return value.map((entry: unknown, index) => {
    if (!isJsonObject(entry) || typeof entry.content !== 'string' || !Number.isInteger(entry.id)) {
      throw new Error(
        `${fileName}: added_tokens[${index}] must be an object with a string "content" and an integer "id", ` +
          `got ${JSON.stringify(entry)}`,
      );
    }
    return { id: entry.id as number, content: entry.content, special: entry.special === true };
  });
}

/** Checks tokenizer.json's structure; throws an error naming the file on the first problem. */
export function checkTokenizerJson(content: unknown, fileName: string): CheckedTokenizerJson {
  const json = parseJsonObject(content, fileName);
  if (!isJsonObject(json.model)) {
    throw new Error(
      `${fileName}: has no "model" section (got ${describeValue(json.model)}); ` +
        `a Hugging Face tokenizer.json always has one: is this the right file?`,
    );
  }
  const model = json.model;
  const modelType = checkModel(model, fileName);
  const addedTokens = checkAddedTokens(json.added_tokens, fileName);
  const unk = model.unk_token;
  if (typeof unk === 'string' && isJsonObject(model.vocab)) {
    if (!(unk in model.vocab) && !addedTokens.some((t) => t.content === unk)) {
      throw new Error(`${fileName}: the model's unk_token ${JSON.stringify(unk)} is not in its vocab`);
    }
  }
  // The library requires these keys to exist and reads `.type` of anything that is not null.
  const filled: JsonObject = { ...json, added_tokens: json.added_tokens ?? [] };
  for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder']) filled[key] ??= null;
  return { json: filled, modelType, model, addedTokens };
}

/** A special-token setting, which tokenizer_config.json writes as "<s>" or { "content": "<s>", … }. */
export function specialTokenContent(value: unknown, key: string, fileName: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (isJsonObject(value) && typeof value.content === 'string') return value.content;
  throw new Error(
    `${fileName}: "${key}" must be a string or an object with a string "content", got ${JSON.stringify(value)}`,
  );
}

export interface TokenizerSettings {
  bosToken: string | null;
  eosToken: string | null;
  padToken: string | null;
  unkToken: string | null;
  additionalSpecialTokens: string[];
  chatTemplate: unknown;
  /** The config in the form the library reads: special tokens as plain strings. */
  libraryConfig: JsonObject;
}

/** Reads tokenizer_config.json (null when the model folder has none). */
export function readTokenizerConfig(
  content: unknown | null,
  fileName = 'tokenizer_config.json',
): TokenizerSettings {
  const config = content === null || content === undefined ? {} : parseJsonObject(content, fileName);
  const token = (key: string) => specialTokenContent(config[key], key, fileName);
  const additional = config.additional_special_tokens ?? [];
  if (!Array.isArray(additional)) {
    throw new Error(
      `${fileName}: "additional_special_tokens" must be a list, got ${describeValue(additional)}`,
    );
  }
  const additionalSpecialTokens = additional.map(
    (entry, index) => specialTokenContent(entry, `additional_special_tokens[${index}]`, fileName) ?? '',
  );
  const settings = {
    bosToken: token('bos_token'),
    eosToken: token('eos_token'),
    padToken: token('pad_token'),
    unkToken: token('unk_token'),
  };
  const libraryConfig: JsonObject = {
    ...config,
    bos_token: settings.bosToken ?? undefined,
    eos_token: settings.eosToken ?? undefined,
    pad_token: settings.padToken ?? undefined,
    unk_token: settings.unkToken ?? undefined,
    additional_special_tokens: additionalSpecialTokens,
  };
  return { ...settings, additionalSpecialTokens, chatTemplate: config.chat_template, libraryConfig };
}

/**
 * The end-of-sequence ids generation_config.json declares (`eos_token_id`: a number or a list;
 * Qwen2.5-Instruct lists both <|im_end|> and <|endoftext|>). Empty when the file has none.
 */
export function eosTokenIdsFromGenerationConfig(
  content: unknown | null,
  fileName = 'generation_config.json',
): number[] {
  if (content === null || content === undefined) return [];
  const value = parseJsonObject(content, fileName).eos_token_id;
  if (value === undefined || value === null) return [];
  const ids = Array.isArray(value) ? value : [value];
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0) {
      throw new Error(
        `${fileName}: "eos_token_id" must be a non-negative integer or a list of them, got ${JSON.stringify(value)}`,
      );
    }
  }
  return ids as number[];
}
