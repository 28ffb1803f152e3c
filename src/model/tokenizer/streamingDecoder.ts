// Incremental detokenization for a generate box: push one id at a time, get back the text that is
// now final. Two things make "decode the new token alone" wrong: a byte-level token can hold part
// of a UTF-8 character (🙂 is 4 bytes, often 2–4 tokens), and decoders such as Metaspace or a
// WordLevel join change how a token reads depending on what precedes it. So, as text-generation-
// inference does, we decode a short window twice, with and without the pending tokens, emit the
// difference, and hold it back while the window's text ends in U+FFFD (an unfinished character).
import type { TextTokenizer } from './tokenizer';

export interface StreamingDecoderOptions {
  skipSpecialTokens?: boolean;
}

const REPLACEMENT_CHARACTER = '\uFFFD';
// A UTF-8 character has at most 4 bytes, so 4 held-back tokens that still end in U+FFFD hold
// bytes that will never form a character: emit them as they are instead of waiting forever.
const MAX_HELD_TOKENS = 4;

export class StreamingDecoder {
  private readonly ids: number[] = [];
  /** Start of the window decoded for context (its text has already been emitted). */
  private prefixOffset = 0;
  /** End of what has been emitted; ids after it are pending. */
  private readOffset = 0;
  private emitted = '';

  constructor(
    private readonly tokenizer: TextTokenizer,
    private readonly options: StreamingDecoderOptions = {},
  ) {}

  /** Adds one token; returns the text that became complete with it ('' while a character is unfinished). */
  push(id: number): string {
    this.ids.push(id);
    return this.advance(false);
  }

  /** Adds several tokens; returns the text that became complete. */
  pushAll(ids: readonly number[]): string {
    let text = '';
    for (const id of ids) text += this.push(id);
    return text;
  }

  /** At the end of generation: returns whatever is still held back, unfinished bytes as U+FFFD. */
  flush(): string {
    return this.advance(true);
  }

  /** Everything emitted so far. */
  get text(): string {
    return this.emitted;
  }

  /** Ids waiting for the rest of a character. */
  get pendingTokenCount(): number {
    return this.ids.length - this.readOffset;
  }

  private decode(start: number, end: number): string {
    // Cleanup (" ." → ".") would rewrite text already emitted, so the stream never applies it.
    return this.tokenizer.decode(this.ids.slice(start, end), {
      skipSpecialTokens: this.options.skipSpecialTokens ?? false,
      cleanUpTokenizationSpaces: false,
    });
  }

  private advance(force: boolean): string {
    if (this.readOffset === this.ids.length) return '';
    const before = this.decode(this.prefixOffset, this.readOffset);
    const after = this.decode(this.prefixOffset, this.ids.length);
    const unfinished = after.endsWith(REPLACEMENT_CHARACTER) && this.pendingTokenCount < MAX_HELD_TOKENS;
    if (unfinished && !force) return '';
    // The window's decoded text only grows at its end; anything else would mean the decoder
    // rewrote text already emitted, which the byte-level, Metaspace and WordLevel decoders never do.
    const text = after.startsWith(before)
      ? after.slice(before.length)
      : after.slice(Math.min(before.length, after.length));
    this.prefixOffset = this.readOffset;
    this.readOffset = this.ids.length;
    this.emitted += text;
    return text;
  }
}
