// POPE: Polling-based Object Probing Evaluation (Li et al., "Evaluating Object Hallucination in
// Large Vision-Language Models", EMNLP 2023), on the Shapes world.
//
// Per scene: k yes-questions "is there a <shape> ?" about shapes present, and k no-questions about
// shapes absent, chosen by the split:
//   random       absent shapes drawn uniformly;
//   popular      the k absent shapes most frequent in the training scenes;
//   adversarial  the k absent shapes that co-occur most with the present ones in the training
//                scenes — where a model's language prior pulls hardest. Interpretation: ranked by
//                the share of a present shape's scenes that also hold the absent one, not by raw
//                counts, which would repeat the popular split (statistics.ts, shapesByCooccurrence).
// k = min(perScene, #present shapes, #absent shapes), so every scene's questions are balanced
// (POPE uses 3 per image). Interpretation: the paper's objects are COCO categories; ours are the
// 8 shapes. A scene with no objects has no yes-question and is skipped (k = 0).
import { WorldRandom } from './random';
import { shapesIn } from './scene';
import { shapesByCooccurrence, shapesByFrequency, type WorldStatistics } from './statistics';
import { SHAPES, type Scene, type Shape } from './types';
import { objectQuestion } from './questions';

export const POPE_SPLITS = ['random', 'popular', 'adversarial'] as const;
export type PopeSplit = (typeof POPE_SPLITS)[number];

export interface PopeQuestion {
  question: string;
  answer: 'yes' | 'no';
  shape: Shape;
  split: PopeSplit;
  /** Index of the scene in the benchmark's list (0 for single-scene calls). */
  sceneIndex: number;
}

/** The k absent shapes a split asks about. */
export function popeNegatives(
  scene: Scene,
  split: PopeSplit,
  k: number,
  stats: WorldStatistics,
  rng: WorldRandom,
): Shape[] {
  const present = shapesIn(scene);
  switch (split) {
    case 'random':
      return rng.shuffle(SHAPES.filter((s) => !present.has(s))).slice(0, k);
    case 'popular':
      return shapesByFrequency(stats)
        .filter((s) => !present.has(s))
        .slice(0, k);
    case 'adversarial':
      return shapesByCooccurrence(stats, present).slice(0, k);
  }
}

/** Balanced POPE questions for one scene, yes and no interleaved in a seeded order. */
export function popeQuestions(
  scene: Scene,
  split: PopeSplit,
  stats: WorldStatistics,
  rng: WorldRandom,
  perScene = 3,
  sceneIndex = 0,
): PopeQuestion[] {
  const present = [...shapesIn(scene)];
  const k = Math.min(perScene, present.length, SHAPES.length - present.length);
  const positives = rng.shuffle(present).slice(0, k);
  const negatives = popeNegatives(scene, split, k, stats, rng);
  const questions: PopeQuestion[] = [
    ...positives.map((shape) => ({ shape, answer: 'yes' as const })),
    ...negatives.map((shape) => ({ shape, answer: 'no' as const })),
  ].map((q) => ({ ...q, question: objectQuestion(q.shape), split, sceneIndex }));
  return rng.shuffle(questions);
}

/** POPE over many scenes: scene i's questions use stream i of `seed`. */
export function popeBenchmark(
  scenes: readonly Scene[],
  split: PopeSplit,
  stats: WorldStatistics,
  seed: number,
  perScene = 3,
): PopeQuestion[] {
  return scenes.flatMap((scene, i) =>
    popeQuestions(scene, split, stats, WorldRandom.fromNumber(seed, i), perScene, i),
  );
}
