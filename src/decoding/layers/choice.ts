// How DoLa and LOL turn their combined score into a token: the fused logit pipeline's parameters
// from a lane's sampling settings, and the bytes that pipeline maps back per step.
import type { StepParams } from '../../kernels/logits/fused';
import { NO_FILTER } from '../../kernels/logits/filter';
import { DECISION_WORDS, SUMMARY_WORDS } from '../../kernels/logits/layout';
import type { Seed } from '../../kernels/random/philox';
import type { SamplingConfig } from '../../share/experiment';

/** A lane's sampling settings and where it is in its Philox stream. */
export interface TokenChoice {
  sampling: SamplingConfig;
  seed: Seed;
  /** Philox stream of the lane (row 0 of the pipeline). */
  stream: number;
  /** Philox counter: the decoding step. */
  counter: number;
}

/**
 * Pipeline parameters for a combination `weights` with the plausibility mask of input 0 at `beta`.
 * Greedy takes the argmax of the combined score: temperature and filters do not apply (as in
 * src/decoding/generate.ts).
 */
export function stepParams(weights: readonly number[], beta: number, choice: TokenChoice): StepParams {
  const { sampling } = choice;
  const filter = sampling.greedy
    ? NO_FILTER
    : { topK: sampling.topK, topP: sampling.topP, minP: sampling.minP };
  return {
    weights,
    baseInput: 0,
    beta,
    temperature: sampling.greedy ? 1 : sampling.temperature,
    ...filter,
    greedy: sampling.greedy,
    seed: choice.seed,
    streamBase: choice.stream,
    counter: choice.counter,
    draws: 1,
  };
}

/** Bytes one LogitPipeline step of one row and one draw maps back (see fused.ts). */
export function pipelineReadbackBytes(inputs: number): number {
  return ((inputs + 1) * SUMMARY_WORDS + DECISION_WORDS + 2) * 4;
}
