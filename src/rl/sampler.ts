// Seeded batched sampling of rollouts on the GPU: y_t ~ softmax(l(y | prompt, y_<t) / T) for many
// prompts (each with its own image) per forward, through the fused logit pipeline's Philox sampler
// (src/kernels/logits/sample.ts), so only token ids are read back. The shape follows
// src/defaults/evaluate-generate.ts (GreedyDecoder): a sequence leaves the batch when it writes the
// stop id. Token t of row r of a forward uses Philox (seed, stream = streamBase + r, counter =
// counterBase + t): the same prompts, model and settings give the same rollouts. Rows are renumbered
// as sequences leave, so a rollout's draws depend on which rows are still active; that is still a
// pure function of the inputs, which is what reproducibility needs.
// The model is passed per call: the RL runner rebuilds it from the policy's weights every step,
// while the pipelines (one per row count) are kept.
import type { Gpu } from '../gpu/runtime';
import { NO_FILTER } from '../kernels/logits/filter';
import { LogitPipeline, type StepParams } from '../kernels/logits/fused';
import { MAX_ROWS } from '../kernels/logits/layout';
import { seedFromNumber } from '../kernels/random/philox';
import type { ForwardSequence, LanguageModel } from '../model/interface';
import { imageToFloat32, rasterize } from '../world';
import { ObjectiveInputError } from './errors';
import { taskPromptIds } from './sequences';
import type { ShapesTask } from './tasks';

export interface SamplePrompt {
  tokens: readonly number[];
  /** The image of a vision-language prompt (its placeholders are among `tokens`). */
  image?: Float32Array;
}

export interface SamplingSettings {
  /** T > 0: the logits are divided by T before sampling (1: the policy's own distribution). */
  temperature: number;
  /** At most this many tokens per response (the stop id included). */
  maxTokens: number;
  stopId: number;
  /** Philox seed: a whole number in 0..2^53-1. */
  seed: number;
  /** Counter of each response's first token; give disjoint ranges to draws that must be independent. */
  counterBase: number;
}

/** A task's prompt ids and image, as the sampler takes them. */
export function samplePrompt(task: ShapesTask, numPatches: number): SamplePrompt {
  const tokens = taskPromptIds(task, numPatches);
  return numPatches > 0 ? { tokens, image: imageToFloat32(rasterize(task.scene)) } : { tokens };
}

/** Prompts per forward: the fused pipeline's row limit. */
export const SAMPLE_BATCH = MAX_ROWS;

export class RolloutSampler {
  private readonly pipelines = new Map<number, LogitPipeline>();

  constructor(private readonly gpu: Gpu) {}

  private async pipeline(rows: number, vocab: number): Promise<LogitPipeline> {
    const key = rows * 1_000_000 + vocab;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = await LogitPipeline.create(this.gpu, { rows, vocab }, 1);
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /** One sampled continuation per prompt (ids, without the prompt; never empty). */
  async sample(
    model: LanguageModel,
    prompts: readonly SamplePrompt[],
    settings: SamplingSettings,
  ): Promise<number[][]> {
    const { temperature, maxTokens } = settings;
    if (!(temperature > 0) || !Number.isFinite(temperature)) {
      throw new ObjectiveInputError(`sampler: temperature must be a finite number > 0, got ${temperature}`);
    }
    if (!Number.isInteger(maxTokens) || maxTokens < 1) {
      throw new ObjectiveInputError(`sampler: maxTokens must be a whole number >= 1, got ${maxTokens}`);
    }
    const context = model.info.config.maxPositions;
    prompts.forEach((p, i) => {
      if (p.tokens.length === 0 || p.tokens.length >= context) {
        throw new ObjectiveInputError(
          `sampler: prompt ${i} has ${p.tokens.length} tokens; ${model.info.name} needs 1..${context - 1} to write one token`,
        );
      }
    });
    const outputs = prompts.map((): number[] => []);
    for (let start = 0; start < prompts.length; start += SAMPLE_BATCH) {
      const end = Math.min(prompts.length, start + SAMPLE_BATCH);
      await this.sampleBatch(model, prompts.slice(start, end), outputs.slice(start, end), settings, start);
    }
    return outputs;
  }

  private async sampleBatch(
    model: LanguageModel,
    prompts: readonly SamplePrompt[],
    outputs: number[][],
    settings: SamplingSettings,
    streamBase: number,
  ): Promise<void> {
    const context = model.info.config.maxPositions;
    const vocab = model.info.config.vocabSize;
    const seed = seedFromNumber(settings.seed);
    const sequences = prompts.map(() => model.createSequence());
    try {
      const inputs = prompts.map((p) => p.tokens);
      let active = prompts.map((_, k) => k);
      for (let t = 0; active.length > 0; t++) {
        const request = active.map((k): ForwardSequence => {
          const image = t === 0 ? prompts[k].image : undefined;
          return image
            ? { sequence: sequences[k], tokens: inputs[k], image }
            : { sequence: sequences[k], tokens: inputs[k] };
        });
        const { logits } = await model.forward({ sequences: request, logits: 'last' });
        const params: StepParams = {
          weights: [1],
          baseInput: 0,
          beta: 0,
          temperature: settings.temperature,
          ...NO_FILTER,
          greedy: false,
          seed,
          streamBase,
          counter: settings.counterBase + t,
          draws: 1,
        };
        const pipeline = await this.pipeline(active.length, vocab);
        const result = await pipeline.step([{ buffer: logits }], params);
        active = active.filter((k, row) => {
          const id = result.rows[row].tokens[0];
          outputs[k].push(id);
          inputs[k] = [id];
          const length = prompts[k].tokens.length + outputs[k].length;
          return id !== settings.stopId && outputs[k].length < settings.maxTokens && length < context;
        });
      }
    } finally {
      for (const sequence of sequences) model.releaseSequence(sequence);
    }
  }

  destroy(): void {
    for (const pipeline of this.pipelines.values()) pipeline.destroy();
    this.pipelines.clear();
  }
}
