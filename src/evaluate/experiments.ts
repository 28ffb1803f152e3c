// From an evaluation example to the Decode experiment that produces its tokens. The runner builds
// these for its sessions and exampleLink encodes one, so the Decode workbench opened from a result
// row runs exactly what the evaluation ran (same models, prompt, image, seed, budget and lane).
import type { Experiment, ExperimentImage, LaneConfig } from '../share/experiment';
import { MAX_LANES } from '../share/experiment';
import type { EvaluationConfig } from './config';

/** What makes an example's Decode input (every lane answers the same one). */
export interface ExampleInput {
  sceneIndex: number;
  prompt: string;
  image: ExperimentImage;
  maxTokens: number;
}

/** Example i's decode seed: its own noise and sampling draws, reproducible from the config. */
export const exampleDecodeSeed = (config: Pick<EvaluationConfig, 'decodeSeed'>, sceneIndex: number) =>
  config.decodeSeed + sceneIndex;

export function exampleExperiment(
  config: Pick<EvaluationConfig, 'models' | 'decodeSeed'>,
  lanes: readonly LaneConfig[],
  input: ExampleInput,
): Experiment {
  return {
    version: 1,
    models: config.models,
    prompt: input.prompt,
    image: input.image,
    seed: exampleDecodeSeed(config, input.sceneIndex),
    maxTokens: input.maxTokens,
    lanes: [...lanes],
  };
}

/** Lanes in groups of at most MAX_LANES: one Decode session each. */
export function laneChunks<T>(lanes: readonly T[]): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < lanes.length; start += MAX_LANES)
    chunks.push(lanes.slice(start, start + MAX_LANES));
  return chunks;
}
