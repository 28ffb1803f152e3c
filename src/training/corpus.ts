// Training text: the built-in corpus or a user's text file, tokenized once, and a seeded sampler
// that cuts random windows out of it. Engine code (no DOM): the worker and the tests use it alike.
//
// A window is T + 1 consecutive tokens w_0..w_T; the batch row is tokens = w_0..w_{T-1}, targets =
// w_1..w_T, mask = 1 everywhere (next-token prediction on every position, as in nanoGPT's
// get_batch). Window starts are uniform over 0..N-T-1 and drawn from Philox at (seed, stream =
// micro-batch index, counter = step * B + row), so batch (step, micro) is a pure function of the
// seed: a resumed or repeated run sees exactly the same data.
import type { TokenBatch } from './types';
import { BUILTIN_CORPUS_NAME, BUILTIN_CORPUS_TEXT } from './corpus-text';
import { seedFromNumber, uniformIndex, type Seed } from './random';

export interface Corpus {
  name: string;
  text: string;
}

/** Largest text file accepted (characters): a few MB keeps tokenizing and the id array small. */
export const MAX_CORPUS_CHARACTERS = 16 * 2 ** 20;

export class CorpusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorpusError';
  }
}

export function builtinCorpus(): Corpus {
  return { name: BUILTIN_CORPUS_NAME, text: BUILTIN_CORPUS_TEXT };
}

/** A user's text (e.g. a .txt file's contents): line endings normalised to \n, size checked. */
export function textCorpus(name: string, text: string): Corpus {
  if (text.length > MAX_CORPUS_CHARACTERS) {
    throw new CorpusError(
      `${name} has ${text.length.toLocaleString('en-US')} characters; the Train workbench reads at most ` +
        `${MAX_CORPUS_CHARACTERS.toLocaleString('en-US')}: use a shorter excerpt`,
    );
  }
  const normalised = text.replace(/\r\n?/g, '\n');
  if (normalised.trim().length === 0)
    throw new CorpusError(`${name} is empty: choose a file with some text in it`);
  return { name, text: normalised };
}

/** Anything with `encode(text) → ids` (TextTokenizer). */
export interface Encoder {
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
}

/** The corpus as one id sequence (no special tokens added: windows are cut from running text). */
export function tokenizeCorpus(corpus: Corpus, tokenizer: Encoder, vocabSize: number): Uint32Array {
  const ids = tokenizer.encode(corpus.text, { addSpecialTokens: false });
  const tokens = Uint32Array.from(ids);
  const bad = ids.findIndex((id) => !(id >= 0 && id < vocabSize));
  if (bad !== -1) {
    throw new CorpusError(
      `${corpus.name}: token ${bad} has id ${ids[bad]}, outside the model's vocabulary of ${vocabSize}: ` +
        'the tokenizer and the model do not belong together',
    );
  }
  return tokens;
}

export interface SamplerOptions {
  /** B: sequences per micro-batch. */
  batchSize: number;
  /** T: tokens per sequence. */
  contextLength: number;
  seed: number;
}

/** Refuses a corpus that cannot fill one window of T + 1 tokens, naming both lengths. */
export function checkCorpusLength(name: string, tokenCount: number, contextLength: number): void {
  if (tokenCount < contextLength + 1) {
    throw new CorpusError(
      `${name} has ${tokenCount} tokens, but a context length of ${contextLength} needs at least ` +
        `${contextLength + 1} (one window of T + 1 tokens): use a longer text or a shorter context length`,
    );
  }
}

export class BatchSampler {
  private readonly tokens: Uint32Array;
  private readonly options: SamplerOptions;
  private readonly seed: Seed;

  constructor(name: string, tokens: Uint32Array, options: SamplerOptions) {
    checkCorpusLength(name, tokens.length, options.contextLength);
    this.tokens = tokens;
    this.options = options;
    this.seed = seedFromNumber(options.seed);
  }

  /** Distinct window starts: N - T (a start s reads tokens s..s+T). */
  get windows(): number {
    return this.tokens.length - this.options.contextLength;
  }

  /** Micro-batch `micro` of optimizer step `step` (both 0-based): [B * T] tokens, targets, mask. */
  batch(step: number, micro = 0): TokenBatch {
    const { batchSize: B, contextLength: T } = this.options;
    const tokens = new Uint32Array(B * T);
    const targets = new Uint32Array(B * T);
    for (let row = 0; row < B; row++) {
      const start = uniformIndex(this.windows, this.seed, micro, step * B + row);
      tokens.set(this.tokens.subarray(start, start + T), row * T);
      targets.set(this.tokens.subarray(start + 1, start + T + 1), row * T);
    }
    return { batchSize: B, length: T, tokens, targets, mask: new Float32Array(B * T).fill(1) };
  }

  /** The micro-batches of one optimizer step (gradient accumulation). */
  step(step: number, microBatches: number): TokenBatch[] {
    return Array.from({ length: microBatches }, (_, micro) => this.batch(step, micro));
  }
}
