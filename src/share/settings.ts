// The sampling settings and experiment-wide numbers as parameter specs, plus the size limits of a
// shared experiment. Read by the UI (controls) and schema.ts (validation); re-exported by methods.ts.
import type { SamplingConfig } from './experiment';
import { MAX_TOKENS_LIMIT } from './experiment';
import type { NumberParameter } from './parameters';
import { number } from './parameters';

/**
 * Upper bound of top-k. The catalog cannot know the vocabulary, so this is larger than any we load
 * (GPT-2 50,257; Qwen 151,936; Gemma 262,144); the lane runner treats k >= vocab as "off".
 */
export const MAX_TOP_K = 1_048_576;

export const SAMPLING_PARAMETERS: { [K in Exclude<keyof SamplingConfig, 'greedy'>]: NumberParameter } = {
  temperature: number(
    'temperature',
    'temperature T',
    'Divide the logits by T before sampling (ignored when greedy).',
    { default: 1, min: 0, minExclusive: true, max: 5, step: 0.05 },
  ),
  topK: number('topK', 'top-k', 'Keep the k most likely tokens (0 = off).', {
    default: 0,
    min: 0,
    max: MAX_TOP_K,
    step: 1,
    integer: true,
  }),
  topP: number('topP', 'top-p', 'Keep the smallest set with cumulative probability >= p (1 = off).', {
    default: 1,
    min: 0,
    minExclusive: true,
    max: 1,
    step: 0.01,
  }),
  minP: number('minP', 'min-p', 'Keep tokens with p >= min-p · max p (0 = off).', {
    default: 0,
    min: 0,
    max: 1,
    maxExclusive: true,
    step: 0.01,
  }),
};

export const EXPERIMENT_PARAMETERS = {
  seed: number('seed', 'seed', 'Seeds sampling, image noise and random transforms.', {
    default: 0,
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    step: 1,
    integer: true,
  }),
  maxTokens: number('maxTokens', 'max tokens', 'Tokens per lane at most.', {
    default: 24,
    min: 1,
    max: MAX_TOKENS_LIMIT,
    step: 1,
    integer: true,
  }),
  sceneSeed: number('seed', 'scene seed', 'Seed of the generated Shapes scene.', {
    default: 1,
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    step: 1,
    integer: true,
  }),
  sceneIndex: number('index', 'scene index', 'Which scene of the seeded sequence.', {
    default: 0,
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    step: 1,
    integer: true,
  }),
} satisfies Record<string, NumberParameter>;

/** Sizes a shared experiment may not exceed (they keep links short and decoding cheap). */
export const EXPERIMENT_LIMITS = {
  promptChars: 4000,
  modelIdChars: 500,
  revisionChars: 200,
  /** Files pinned per model (config.json, tokenizer.json, shards, ...). */
  modelFiles: 64,
  fileNameChars: 200,
  uploadNameChars: 200,
  /** Lane ids: a letter or digit, then letters, digits, '-' or '_'; 32 characters at most. */
  laneIdPattern: /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/,
} as const;

/** Greedy, with every filter off: the same tokens on every run. */
export function defaultSampling(): SamplingConfig {
  return {
    greedy: true,
    temperature: SAMPLING_PARAMETERS.temperature.default,
    topK: SAMPLING_PARAMETERS.topK.default,
    topP: SAMPLING_PARAMETERS.topP.default,
    minP: SAMPLING_PARAMETERS.minP.default,
  };
}
