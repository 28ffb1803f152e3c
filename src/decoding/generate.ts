// Autoregressive generation over any LanguageModel: prompt → tokens → prefill → choose a token →
// forward that token → … until the token budget, an end-of-sequence id, the model's context, or
// cancellation. Engine code (no React, no store): the GPU worker and tests run it alike.
//
// Choosing a token is the fused logit pipeline (src/kernels/logits/fused.ts), which reads back only
// the chosen id and small summaries:
//   greedy:   y_t = argmax_y l(y | y_<t)                      (temperature is not applied)
//   sampling: p(y) = softmax(l / T)(y), truncated by
//             top-k  (Fan et al., "Hierarchical Neural Story Generation"): the k most likely tokens,
//             top-p  (Holtzman et al., "The Curious Case of Neural Text Degeneration"): the smallest
//                    set with cumulative probability >= p,
//             min-p  (Nguyen et al., "Turning Up the Heat: Min-p Sampling for Creative and Coherent
//                    LLM Outputs"): p(y) >= min_p * max_w p(w),
//             applied in Hugging Face's order (top-k, top-p, min-p; see src/kernels/logits/filter.ts),
//             renormalised, and sampled with Philox4x32-10 at (seed, stream 0, counter = step index),
//             so a run is a pure function of (model, prompt, settings, seed).
// Interpretation: `probability` is the chosen token's probability under the distribution it was
// drawn from: the full softmax for greedy, the truncated renormalised one for sampling.
import type { LogitPipeline } from '../kernels/logits/fused';
import { NO_FILTER } from '../kernels/logits/filter';
import { seedFromNumber } from '../kernels/random/philox';
import type { LanguageModel } from '../model/interface';
import { StreamingDecoder, type TextTokenizer } from '../model/tokenizer';

export interface SamplingSettings {
  greedy: boolean;
  temperature: number;
  /** 0 turns top-k off. */
  topK: number;
  /** 1 turns top-p off. */
  topP: number;
  /** 0 turns min-p off. */
  minP: number;
  /** A non-negative integer; the same seed gives the same tokens. */
  seed: number;
}

export interface ChosenToken {
  id: number;
  probability: number;
}

/** Picks the next token from a [1, vocab] logits buffer at decoding step `step` (0-based). */
export type TokenChooser = (logits: GPUBuffer, step: number) => Promise<ChosenToken>;

/** The fused logit pipeline (built for rows 1 and the model's vocabulary) as a TokenChooser. */
export function pipelineChooser(pipeline: LogitPipeline, settings: SamplingSettings): TokenChooser {
  const seed = seedFromNumber(settings.seed);
  const filter = settings.greedy
    ? NO_FILTER
    : { topK: settings.topK, topP: settings.topP, minP: settings.minP };
  return async (logits, step) => {
    const result = await pipeline.step([{ buffer: logits }], {
      weights: [1],
      baseInput: 0,
      beta: 0,
      temperature: settings.greedy ? 1 : settings.temperature,
      ...filter,
      greedy: settings.greedy,
      seed,
      streamBase: 0,
      counter: step,
      draws: 1,
    });
    const row = result.rows[0];
    return { id: row.tokens[0], probability: row.tokenProbs[0] };
  };
}

export interface GeneratedToken {
  /** 0-based index among the generated tokens. */
  index: number;
  id: number;
  /** Text that became final with this token (may be '' while a character is unfinished). */
  text: string;
  /** The token on its own, as a UI shows it (" the", "<0xF0>", "</s>"). */
  piece: string;
  probability: number;
}

export type StopReason = 'max-tokens' | 'eos' | 'context' | 'cancelled';

export interface GenerationResult {
  promptTokens: number[];
  tokens: GeneratedToken[];
  /** The generated text (without the prompt), complete: held-back bytes are flushed. */
  text: string;
  stopReason: StopReason;
}

export interface GenerateOptions {
  model: LanguageModel;
  tokenizer: TextTokenizer;
  choose: TokenChooser;
  /** Text (tokenized with special tokens, as transformers does) or token ids. */
  prompt: string | readonly number[];
  /**
   * Vision-language models: the image the prompt's placeholder tokens stand for (see
   * ForwardSequence.image), sent with the prompt's forward.
   */
  image?: Float32Array;
  maxTokens: number;
  /** Ids that end generation; default the tokenizer's (tokenizer_config + generation_config). */
  eosTokenIds?: readonly number[];
  signal?: AbortSignal;
  /** Called once with the prompt's ids, before the first forward. */
  onPrompt?: (ids: readonly number[]) => void;
  onToken?: (token: GeneratedToken) => void;
}

/** How a token the tokenizer does not know is shown (model heads are often padded past the vocabulary). */
export function unknownTokenPiece(id: number): string {
  return `⟨${id}⟩`;
}

/** The token alone for display; ids past the tokenizer's vocabulary get a placeholder instead of throwing. */
export function tokenPiece(tokenizer: TextTokenizer, id: number): string {
  return tokenizer.idToToken(id) === undefined ? unknownTokenPiece(id) : tokenizer.decodeToken(id);
}

/** The prompt's token ids; an empty prompt starts from BOS when the tokenizer has one. */
export function promptTokens(tokenizer: TextTokenizer, prompt: string | readonly number[]): number[] {
  const ids = typeof prompt === 'string' ? tokenizer.encode(prompt) : [...prompt];
  if (ids.length > 0) return ids;
  if (tokenizer.bosTokenId !== null) return [tokenizer.bosTokenId];
  throw new Error('the prompt is empty and the tokenizer has no BOS token to start from: type a prompt');
}

function checkMaxTokens(maxTokens: number): void {
  if (!Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new Error(`max tokens must be a whole number >= 1, got ${maxTokens}`);
  }
}

export async function generate(options: GenerateOptions): Promise<GenerationResult> {
  const { model, tokenizer, choose, signal } = options;
  checkMaxTokens(options.maxTokens);
  const prompt = promptTokens(tokenizer, options.prompt);
  const context = model.info.config.maxPositions;
  if (prompt.length >= context) {
    throw new Error(
      `the prompt has ${prompt.length} tokens but ${model.info.name} reads at most ${context} ` +
        '(max_position_embeddings): shorten the prompt',
    );
  }
  options.onPrompt?.(prompt);
  const eos = new Set(options.eosTokenIds ?? tokenizer.eosTokenIds);
  const decoder = new StreamingDecoder(tokenizer);
  const tokens: GeneratedToken[] = [];
  let text = '';
  let stopReason: StopReason = 'max-tokens';
  const sequence = model.createSequence();
  try {
    let input: readonly number[] = prompt;
    for (let step = 0; ; step++) {
      if (signal?.aborted) {
        stopReason = 'cancelled';
        break;
      }
      const image = step === 0 ? options.image : undefined;
      const { logits } = await model.forward({ sequences: [{ sequence, tokens: input, image }] });
      const { id, probability } = await choose(logits, step);
      const known = tokenizer.idToToken(id) !== undefined;
      // An id the tokenizer cannot decode is shown as a placeholder; the stream continues around it.
      const piece = known ? tokenizer.decodeToken(id) : unknownTokenPiece(id);
      const tokenText = known ? decoder.push(id) : decoder.flush() + piece;
      text += tokenText;
      const token: GeneratedToken = { index: step, id, text: tokenText, piece, probability };
      tokens.push(token);
      options.onToken?.(token);
      if (eos.has(id)) {
        stopReason = 'eos';
        break;
      }
      if (tokens.length >= options.maxTokens) break;
      if (prompt.length + tokens.length >= context) {
        stopReason = 'context';
        break;
      }
      input = [id];
    }
  } finally {
    model.releaseSequence(sequence);
  }
  text += decoder.flush();
  return { promptTokens: prompt, tokens, text, stopReason };
}
