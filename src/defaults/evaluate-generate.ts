// Batched greedy generation for evaluation: y_t = argmax_y l(y | prompt, y_<t), for several
// prompts (each with its own image) per forward. The argmax is taken on the GPU by the fused logit
// pipeline (src/kernels/logits/fused.ts, greedy), so only token ids and its small summaries are
// read back. decoding/generate.ts runs one sequence as a text stream for the UI; evaluation wants
// many sequences and their ids, so it batches instead: a sequence leaves the batch when it ends.
import type { Gpu } from '../gpu/runtime';
import { NO_FILTER } from '../kernels/logits/filter';
import { LogitPipeline, type StepParams } from '../kernels/logits/fused';
import { MAX_ROWS } from '../kernels/logits/layout';
import { seedFromNumber } from '../kernels/random/philox';
import type { ForwardSequence, LanguageModel } from '../model/interface';

/** Prompts per forward: the fused pipeline's row limit. */
export const GREEDY_BATCH = MAX_ROWS;

export interface GreedyPrompt {
  tokens: readonly number[];
  /** The image of a vision-language prompt (its placeholders are among `tokens`). */
  image?: Float32Array;
}

const GREEDY: StepParams = {
  weights: [1],
  baseInput: 0,
  beta: 0,
  temperature: 1,
  ...NO_FILTER,
  greedy: true,
  // Unused by greedy steps; the type wants them.
  seed: seedFromNumber(0),
  streamBase: 0,
  counter: 0,
  draws: 1,
};

export class GreedyDecoder {
  /** One pipeline per row count: a batch shrinks as its sequences end. */
  private readonly pipelines = new Map<number, LogitPipeline>();

  constructor(
    private readonly gpu: Gpu,
    private readonly model: LanguageModel,
  ) {}

  /** The argmax of each of the first `rows` rows of `logits` [rows, vocab]. */
  private async argmax(logits: GPUBuffer, rows: number): Promise<number[]> {
    let pipeline = this.pipelines.get(rows);
    if (!pipeline) {
      pipeline = await LogitPipeline.create(this.gpu, { rows, vocab: this.model.info.config.vocabSize }, 1);
      this.pipelines.set(rows, pipeline);
    }
    const result = await pipeline.step([{ buffer: logits }], GREEDY);
    return result.rows.map((row) => row.tokens[0]);
  }

  /**
   * Greedy continuations of `prompts` (ids, without the prompt): at most `maxTokens` each, ending
   * with `stopId` when the model writes it, or earlier when the model's context is full.
   */
  async generate(prompts: readonly GreedyPrompt[], maxTokens: number, stopId: number): Promise<number[][]> {
    const context = this.model.info.config.maxPositions;
    prompts.forEach((prompt, i) => {
      if (prompt.tokens.length === 0 || prompt.tokens.length >= context) {
        throw new RangeError(
          `greedy evaluation: prompt ${i} has ${prompt.tokens.length} tokens; ${this.model.info.name} ` +
            `needs 1..${context - 1} (max_position_embeddings ${context}) to write at least one token`,
        );
      }
    });
    const outputs = prompts.map((): number[] => []);
    for (let start = 0; start < prompts.length; start += GREEDY_BATCH) {
      const batch = prompts.slice(start, start + GREEDY_BATCH);
      await this.generateBatch(batch, outputs.slice(start, start + GREEDY_BATCH), maxTokens, stopId);
    }
    return outputs;
  }

  private async generateBatch(
    prompts: readonly GreedyPrompt[],
    outputs: number[][],
    maxTokens: number,
    stopId: number,
  ): Promise<void> {
    const context = this.model.info.config.maxPositions;
    const sequences = prompts.map(() => this.model.createSequence());
    try {
      const inputs = prompts.map((p) => p.tokens);
      let active = prompts.map((_, k) => k);
      for (let step = 0; active.length > 0; step++) {
        const request = active.map((k): ForwardSequence => {
          const image = step === 0 ? prompts[k].image : undefined;
          return image
            ? { sequence: sequences[k], tokens: inputs[k], image }
            : { sequence: sequences[k], tokens: inputs[k] };
        });
        const { logits } = await this.model.forward({ sequences: request, logits: 'last' });
        const ids = await this.argmax(logits, active.length);
        active = active.filter((k, row) => {
          const id = ids[row];
          outputs[k].push(id);
          inputs[k] = [id];
          const length = prompts[k].tokens.length + outputs[k].length;
          return id !== stopId && outputs[k].length < maxTokens && length < context;
        });
      }
    } finally {
      for (const sequence of sequences) this.model.releaseSequence(sequence);
    }
  }

  destroy(): void {
    for (const pipeline of this.pipelines.values()) pipeline.destroy();
    this.pipelines.clear();
  }
}
