// One model's view of a lane's text: a sequence (KV cache) that always holds a prefix of the text.
// A forward feeds whatever the cache lacks (text.slice(length)) plus any drafted tokens after it,
// and a rollback truncates the cache back to a prefix the text still agrees with. Keeping "the
// cache is a prefix of the text" as the only invariant lets every method catch a model up lazily:
// a model that sat out a few tokens (Entropy Adaptive Decoding, FoReaL) reads them in one forward.
import type { ForwardCapture, ForwardResult, LanguageModel, SequenceId } from '../model/interface';

/**
 * What a cursor needs of a model once its sequence exists: no createSequence, so a caller's view
 * of a model (the Decode workbench's counting StepModel) serves as well as the model itself.
 */
export type CursorModel = Pick<
  LanguageModel,
  'info' | 'capabilities' | 'fork' | 'truncate' | 'releaseSequence' | 'sequenceLength' | 'forward'
>;

export class SequenceCursor {
  private released = false;

  constructor(
    readonly model: CursorModel,
    public sequence: SequenceId,
  ) {}

  static create(model: LanguageModel): SequenceCursor {
    return new SequenceCursor(model, model.createSequence());
  }

  /** Tokens of the text in the cache. */
  get length(): number {
    return this.model.sequenceLength(this.sequence);
  }

  /** The text's tokens the cache lacks, then `extra` (drafts). At least one token. */
  feed(text: readonly number[], extra: readonly number[] = []): number[] {
    const tokens = [...text.slice(this.length), ...extra];
    if (tokens.length === 0)
      throw new Error(`${this.model.info.name}: nothing to feed (the cache already holds the whole text)`);
    return tokens;
  }

  /** One forward over feed(text, extra); its logits rows are the last `rows` of 'all' or the last. */
  async forward(
    text: readonly number[],
    extra: readonly number[],
    logits: 'last' | 'all',
    capture?: ForwardCapture,
  ): Promise<{ result: ForwardResult; fed: number }> {
    const tokens = this.feed(text, extra);
    const result = await this.model.forward({
      sequences: [{ sequence: this.sequence, tokens }],
      logits,
      ...(capture ? { capture } : {}),
    });
    return { result, fed: tokens.length };
  }

  /** Keeps at most the first `length` tokens (a prefix the text still agrees with). */
  rollback(length: number): void {
    if (length < this.length) this.model.truncate(this.sequence, length);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.model.releaseSequence(this.sequence);
  }
}
