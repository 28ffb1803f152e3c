// What the evaluation of the Shapes default models reads: held-out scenes and captions, the
// training statistics POPE ranks its negatives by, and option checks.
//
// Seeds. Training (./train.ts) builds example e from scene sampleSceneAt(world, T, e) and words it
// with stream e of key T + 1, T = TRAIN_SEED. Evaluation builds its held-out material the same way
// from its own seed E (EVAL_SEED in ./recipes.ts, T + 1,000,000):
//   held-out scene i        sampleSceneAt(world, E, i)   (the world's prior sampler)
//   its caption's wording   stream i of key E + 1
//   POPE question draws     popeBenchmark(..., E + 2): scene i's questions on stream i
//   POPE statistics         the first 10,000 training scenes, sampleSceneAt(world, T, e)
// Keys E .. E + 2 must differ from T and T + 1 (checked: E - T outside -2..1), so no evaluation
// draw replays a training draw. Held out means fresh draws from the training distribution, not
// unseen scenes: in a finite world a small scene can recur by chance.
import {
  DEFAULT_WORLD,
  sampleSceneAt,
  sampleScenes,
  SHAPES_VOCABULARY,
  tokenId,
  worldStatistics,
  WorldRandom,
  type Scene,
  type WorldDistribution,
  type WorldStatistics,
} from '../world';
import type { LanguageModel } from '../model/interface';
import { captionExample, type Example } from './data';
import { TRAIN_SEED } from './recipes';

/** Offsets from the evaluation seed of the keys it uses (scenes use the seed itself). */
export const WORDING_KEY_OFFSET = 1;
export const POPE_KEY_OFFSET = 2;
/** Training-distribution scenes counted for POPE's popular / adversarial rankings. */
export const POPE_STATISTICS_SCENES = 10_000;

export const EOS_ID = tokenId('<eos>')!;
export const IMAGE_ID = tokenId('<image>')!;

/** Throws a RangeError naming `what` unless `value` is an integer >= 1. */
export function checkCount(where: string, what: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${where}: ${what} must be a whole number >= 1, got ${String(value)}`);
  }
}

export interface SeedOptions {
  /** The evaluation seed E (EVAL_SEED for the default models). */
  seed: number;
  /** The training seed T the models were trained with; default TRAIN_SEED. */
  trainingSeed?: number;
}

/** The training seed, after checking that the evaluation keys stay clear of the training keys. */
export function checkSeeds(where: string, options: SeedOptions): number {
  const trainingSeed = options.trainingSeed ?? TRAIN_SEED;
  const largest = Number.MAX_SAFE_INTEGER - POPE_KEY_OFFSET;
  for (const [name, value] of [
    ['seed', options.seed],
    ['trainingSeed', trainingSeed],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0 || value > largest) {
      throw new RangeError(`${where}: ${name} must be a whole number in 0..${largest}, got ${String(value)}`);
    }
  }
  const gap = options.seed - trainingSeed;
  if (gap >= -POPE_KEY_OFFSET && gap <= WORDING_KEY_OFFSET) {
    throw new RangeError(
      `${where}: evaluation seed ${options.seed} would draw from the keys training seed ${trainingSeed} uses ` +
        `(${trainingSeed} and ${trainingSeed + WORDING_KEY_OFFSET}); evaluate with a seed far from it, such as EVAL_SEED`,
    );
  }
  return trainingSeed;
}

/** Throws unless the model reads the Shapes vocabulary (ids 0..61; a padded head is fine). */
export function checkShapesVocabulary(where: string, model: LanguageModel): void {
  const { vocabSize } = model.info.config;
  if (vocabSize < SHAPES_VOCABULARY.length) {
    throw new RangeError(
      `${where}: ${model.info.name} has vocab_size ${vocabSize}, but the Shapes vocabulary has ` +
        `${SHAPES_VOCABULARY.length} tokens: evaluate a model trained on the Shapes tokenizer`,
    );
  }
}

/** `count` held-out scenes of evaluation seed `seed`, from the world's prior sampler. */
export function heldOutScenes(world: WorldDistribution, seed: number, count: number): Scene[] {
  return sampleScenes(world, seed, count);
}

/** `count` held-out text-LM examples (<bos> caption <eos>, data.ts) of evaluation seed `seed`. */
export function heldOutCaptions(seed: number, count: number, world = DEFAULT_WORLD): Example[] {
  return Array.from({ length: count }, (_, i) =>
    captionExample(sampleSceneAt(world, seed, i), WorldRandom.fromNumber(seed + WORDING_KEY_OFFSET, i)),
  );
}

/** Object statistics of the first POPE_STATISTICS_SCENES training scenes of training seed `trainingSeed`. */
export function trainingStatistics(world: WorldDistribution, trainingSeed: number): WorldStatistics {
  return worldStatistics(sampleScenes(world, trainingSeed, POPE_STATISTICS_SCENES));
}

/** Generated ids as text, words joined by spaces (how the world writes captions); <eos> ends it. */
export function idsToText(ids: readonly number[]): string {
  const words: string[] = [];
  for (const id of ids) {
    if (id === EOS_ID) break;
    words.push(SHAPES_VOCABULARY[id] ?? `<${id}>`);
  }
  return words.join(' ');
}
