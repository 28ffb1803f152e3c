// TextTokenizer: the engine's one tokenizer type, a thin checked wrapper over
// @huggingface/tokenizers 0.2.0 (pure JS: it runs in the worker, the page and Node alike).
// Why a wrapper: the library accepts malformed files and fails later with TypeErrors, gives
// WordLevel models an undefined id for unknown words unless told the unk token, throws on an empty
// id list and maps an out-of-range id to undefined. Here every file problem is reported when the
// tokenizer is built, and every id going in or out is checked. Special tokens come from
// tokenizer_config.json (strings or {content} objects), else from well-known added tokens.
import { Tokenizer } from '@huggingface/tokenizers';
import { byteLevelTokenToBytes, bytesToDisplayText } from './byteLevel';
import { applyChatTemplate, resolveChatTemplate, type ChatMessage } from './chatTemplate';
import {
  checkTokenizerJson,
  isJsonObject,
  readTokenizerConfig,
  type AddedTokenEntry,
  type JsonObject,
  type ModelType,
} from './files';

export interface EncodeOptions {
  /** Add the post-processor's special tokens (e.g. a leading BOS). Default true, as in transformers. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
  /** Undo " ." → "." style spacing; default: tokenizer_config.json's setting, else true. */
  cleanUpTokenizationSpaces?: boolean;
}

export interface ChatTemplateOptions {
  addGenerationPrompt?: boolean;
  /** More variables for the template (tools, date_string, enable_thinking, …). */
  extra?: Record<string, unknown>;
}

// Names used for special tokens by the common model families, tried when the config names none.
const WELL_KNOWN: Record<'bos' | 'eos' | 'pad' | 'unk', readonly string[]> = {
  bos: ['<s>', '<|begin_of_text|>', '<bos>', '[BOS]'],
  eos: ['</s>', '<|endoftext|>', '<|end_of_text|>', '<eos>', '[EOS]'],
  pad: ['<pad>', '<|pad|>', '[PAD]'],
  unk: ['<unk>', '[UNK]'],
};

/** Whether the decoder, or any decoder in its Sequence, has this type. */
function decoderUses(decoder: unknown, type: string): boolean {
  if (!isJsonObject(decoder)) return false;
  if (decoder.type === type) return true;
  return (
    decoder.type === 'Sequence' &&
    Array.isArray(decoder.decoders) &&
    decoder.decoders.some((d) => decoderUses(d, type))
  );
}

type SpecialKind = keyof typeof WELL_KNOWN;

/** The named special token (or the first well-known added token of its kind) and its id. */
function resolveSpecialToken(
  kind: SpecialKind,
  configured: string | null,
  addedContents: ReadonlySet<string>,
  vocab: ReadonlyMap<string, number>,
  fileName: string,
): { name: string | null; id: number | null } {
  const name = configured ?? WELL_KNOWN[kind].find((n) => addedContents.has(n)) ?? null;
  if (name === null) return { name: null, id: null };
  const id = vocab.get(name);
  if (id === undefined) {
    throw new Error(
      `tokenizer_config.json: ${kind}_token ${JSON.stringify(name)} is not in the vocabulary of ${fileName}: ` +
        `the two files do not belong to the same tokenizer`,
    );
  }
  return { name, id };
}

interface TokenizerParts {
  inner: Tokenizer;
  fileName: string;
  modelType: ModelType;
  vocab: ReadonlyMap<string, number>;
  addedTokens: readonly AddedTokenEntry[];
  byteLevel: boolean;
  metaspace: boolean;
  special: Record<SpecialKind, { name: string | null; id: number | null }>;
  chatTemplate: string | null;
}

export class TextTokenizer {
  readonly modelType: ModelType;
  /** Highest id + 1 (the model's embedding may have more rows: padding to a multiple of 64/128). */
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  readonly unkTokenId: number | null;
  /** Ids of tokens flagged special in added_tokens (never shown as ordinary text). */
  readonly specialTokenIds: ReadonlySet<number>;
  /** The template string chosen from tokenizer_config.json's `chat_template`, or null. */
  readonly chatTemplate: string | null;

  private readonly inner: Tokenizer;
  private readonly fileName: string;
  private readonly vocab: ReadonlyMap<string, number>;
  private readonly idToTokenTable: readonly (string | undefined)[];
  private readonly addedIds: ReadonlySet<number>;
  private readonly byteLevel: boolean;
  private readonly metaspace: boolean;
  private readonly bosToken: string | null;
  private readonly eosToken: string | null;
  private readonly extraEosTokenIds = new Set<number>();

  private constructor(parts: TokenizerParts) {
    this.inner = parts.inner;
    this.fileName = parts.fileName;
    this.modelType = parts.modelType;
    this.vocab = parts.vocab;
    const table: (string | undefined)[] = [];
    for (const [token, id] of parts.vocab) table[id] = token;
    this.idToTokenTable = table;
    this.vocabSize = table.length;
    this.addedIds = new Set(parts.addedTokens.map((t) => t.id));
    this.specialTokenIds = new Set(parts.addedTokens.filter((t) => t.special).map((t) => t.id));
    this.byteLevel = parts.byteLevel;
    this.metaspace = parts.metaspace;
    this.bosTokenId = parts.special.bos.id;
    this.eosTokenId = parts.special.eos.id;
    this.padTokenId = parts.special.pad.id;
    this.unkTokenId = parts.special.unk.id;
    this.bosToken = parts.special.bos.name;
    this.eosToken = parts.special.eos.name;
    this.chatTemplate = parts.chatTemplate;
  }

  /**
   * Builds a tokenizer from tokenizer.json and tokenizer_config.json (null when absent). Each may be
   * JSON text, its bytes, or the parsed object. Throws an error naming the file on bad input.
   */
  static fromJson(
    tokenizerJson: unknown,
    tokenizerConfig: unknown | null,
    fileName = 'tokenizer.json',
  ): TextTokenizer {
    const checked = checkTokenizerJson(tokenizerJson, fileName);
    const settings = readTokenizerConfig(tokenizerConfig);
    const libraryConfig: JsonObject = { ...settings.libraryConfig };
    const modelUnk = typeof checked.model.unk_token === 'string' ? checked.model.unk_token : null;
    if (checked.modelType === 'WordLevel') {
      // The library's WordLevel path reads unk_token from the config argument only; without it an
      // unknown word silently becomes an undefined id.
      libraryConfig.unk_token = modelUnk ?? settings.unkToken ?? undefined;
    }
    let inner: Tokenizer;
    try {
      inner = new Tokenizer(checked.json, libraryConfig);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `${fileName}: @huggingface/tokenizers 0.2.0 could not build a tokenizer from it: ${reason}`,
      );
    }
    // Our own token → id map: the library's get_vocab() also lists holes in its id table.
    const vocab = new Map([...inner.get_vocab(true)].filter(([token]) => typeof token === 'string'));
    const addedContents = new Set(checked.addedTokens.map((t) => t.content));
    const resolve = (kind: SpecialKind, configured: string | null, fallback: string | null = null) =>
      resolveSpecialToken(kind, configured ?? fallback, addedContents, vocab, fileName);
    return new TextTokenizer({
      inner,
      fileName,
      modelType: checked.modelType,
      vocab,
      addedTokens: checked.addedTokens,
      byteLevel: decoderUses(checked.json.decoder, 'ByteLevel'),
      metaspace: decoderUses(checked.json.decoder, 'Metaspace'),
      special: {
        bos: resolve('bos', settings.bosToken),
        eos: resolve('eos', settings.eosToken),
        pad: resolve('pad', settings.padToken),
        unk: resolve('unk', settings.unkToken, modelUnk),
      },
      chatTemplate: resolveChatTemplate(settings.chatTemplate),
    });
  }

  /** All ids that end generation: the tokenizer's EOS plus any added (generation_config.json). */
  get eosTokenIds(): number[] {
    const ids = this.eosTokenId === null ? [] : [this.eosTokenId];
    for (const id of this.extraEosTokenIds) if (!ids.includes(id)) ids.push(id);
    return ids;
  }

  /** Adds end-of-sequence ids, e.g. from `eosTokenIdsFromGenerationConfig(generationConfig)`. */
  addEosTokenIds(ids: readonly number[]): void {
    for (const id of ids) {
      this.checkId(id, 'generation_config.json: eos_token_id');
      this.extraEosTokenIds.add(id);
    }
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const { ids, tokens } = this.inner.encode(text, { add_special_tokens: options.addSpecialTokens ?? true });
    ids.forEach((id, i) => {
      if (id === undefined || !Number.isInteger(id)) {
        throw new Error(
          `${this.fileName}: the piece ${JSON.stringify(tokens[i])} of ${JSON.stringify(text.slice(0, 80))} ` +
            `has no id: it is not in the vocabulary and the model defines no unk_token`,
        );
      }
    });
    return ids;
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    if (ids.length === 0) return ''; // the library throws on an empty list
    for (const id of ids) this.checkId(id, 'decode');
    return this.inner.decode([...ids], {
      skip_special_tokens: options.skipSpecialTokens ?? false,
      clean_up_tokenization_spaces: options.cleanUpTokenizationSpaces,
    });
  }

  /**
   * One token as a UI should show it: " the" for byte-level "Ġthe" or Metaspace "▁the", special
   * tokens verbatim, and bytes that are only part of a character as <0xF0> rather than "�".
   */
  decodeToken(id: number): string {
    this.checkId(id, 'decodeToken');
    const token = this.idToTokenTable[id] as string;
    if (this.addedIds.has(id)) return token;
    if (this.byteLevel) {
      const bytes = byteLevelTokenToBytes(token);
      if (bytes !== null) return bytesToDisplayText(bytes);
    }
    if (this.metaspace) return token.replaceAll('\u2581', ' ');
    return this.inner.decode([id], { clean_up_tokenization_spaces: false });
  }

  idToToken(id: number): string | undefined {
    return Number.isInteger(id) && id >= 0 ? this.idToTokenTable[id] : undefined;
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  isSpecial(id: number): boolean {
    return this.specialTokenIds.has(id);
  }

  /** Renders the chat template for these messages (see chatTemplate.ts), with this tokenizer's BOS/EOS. */
  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    return applyChatTemplate(this.chatTemplate, messages, {
      addGenerationPrompt: options.addGenerationPrompt ?? false,
      bosToken: this.bosToken ?? undefined,
      eosToken: this.eosToken ?? undefined,
      extra: options.extra,
    });
  }

  private checkId(id: number, where: string): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize || this.idToTokenTable[id] === undefined) {
      throw new Error(
        `${where}: token id ${id} is not in the vocabulary of ${this.fileName} (size ${this.vocabSize}): ` +
          `the ids come from a different model or the model's head is larger than its tokenizer`,
      );
    }
  }
}
