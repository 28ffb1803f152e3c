// POPE on the Shapes world: negatives are absent, positives present, questions balanced; the
// popular split asks about the most frequent absent shapes and the adversarial split about the
// absent shapes that co-occur most with present ones (hand-made statistics and the default world).
import { describe, expect, it } from 'vitest';
import { DEFAULT_WORLD, sampleScenes } from './distribution';
import { POPE_SPLITS, popeBenchmark, popeNegatives, popeQuestions } from './pope';
import { WorldRandom } from './random';
import { shapesIn } from './scene';
import { worldStatistics, type WorldStatistics } from './statistics';
import type { Scene, SceneObject, Shape } from './types';

const place = (shape: Shape, column: number, row = 0): SceneObject => ({
  shape,
  colour: 'red',
  size: 'small',
  column,
  row,
  offsetX: 0,
  offsetY: 0,
});

/** Training scenes: circle everywhere; star with moon; heart with cross once. */
function handMadeStatistics(): WorldStatistics {
  const scene = (...shapes: Shape[]): Scene => ({
    objects: shapes.map((s, i) => place(s, i % 3, Math.floor(i / 3))),
  });
  return worldStatistics([
    scene('circle', 'star', 'moon'),
    scene('circle', 'star', 'moon'),
    scene('circle', 'square'),
    scene('circle', 'square'),
    scene('circle', 'heart', 'cross'),
    scene('circle', 'triangle'),
  ]);
}

describe('popeNegatives', () => {
  const stats = handMadeStatistics();
  const scene: Scene = { objects: [place('star', 0), place('diamond', 1)] };
  const rng = WorldRandom.fromNumber(0);

  it('popular: the most frequent absent shapes (circle 6, square 2, moon 2, …)', () => {
    expect(stats.shapeCounts).toMatchObject({ circle: 6, star: 2, moon: 2, square: 2, heart: 1 });
    expect(popeNegatives(scene, 'popular', 3, stats, rng)).toEqual(['circle', 'square', 'moon']);
  });

  it('adversarial: the absent shapes that co-occur most with the present ones', () => {
    expect(stats.cooccurrence.star).toMatchObject({ moon: 2, circle: 2, square: 0 });
    // Every star scene holds a moon and a circle (share 1 each); circle is more frequent.
    expect(popeNegatives(scene, 'adversarial', 2, stats, rng)).toEqual(['circle', 'moon']);
    const withCircle: Scene = { objects: [place('star', 0), place('circle', 1)] };
    expect(popeNegatives(withCircle, 'adversarial', 1, stats, rng)).toEqual(['moon']);
  });

  it('random: absent shapes only', () => {
    for (let i = 0; i < 50; i++) {
      for (const s of popeNegatives(scene, 'random', 3, stats, rng))
        expect(shapesIn(scene).has(s)).toBe(false);
    }
  });
});

describe('popeQuestions', () => {
  const train = worldStatistics(sampleScenes(DEFAULT_WORLD, 41, 2000));
  const evaluation = sampleScenes(DEFAULT_WORLD, 42, 200, 'anti-prior');

  it('asks balanced questions: yes about present shapes, no about absent ones', () => {
    for (const split of POPE_SPLITS) {
      const questions = popeBenchmark(evaluation, split, train, 5);
      questions.forEach((q) => {
        const present = shapesIn(evaluation[q.sceneIndex]).has(q.shape);
        expect(q.answer).toBe(present ? 'yes' : 'no');
        expect(q.question).toBe(`is there a ${q.shape} ?`);
      });
      evaluation.forEach((scene, i) => {
        const mine = questions.filter((q) => q.sceneIndex === i);
        const k = Math.min(3, shapesIn(scene).size, 8 - shapesIn(scene).size);
        expect(mine.filter((q) => q.answer === 'yes').length).toBe(k);
        expect(mine.filter((q) => q.answer === 'no').length).toBe(k);
        expect(new Set(mine.map((q) => q.shape)).size).toBe(2 * k);
      });
    }
  });

  it('adversarial negatives are the prior partners of present shapes in the default world', () => {
    const starAlone = evaluation.filter((s) => shapesIn(s).has('star'));
    expect(starAlone.length).toBeGreaterThan(10);
    for (const scene of starAlone) {
      const negatives = popeQuestions(scene, 'adversarial', train, WorldRandom.fromNumber(1), 3)
        .filter((q) => q.answer === 'no')
        .map((q) => q.shape);
      if (negatives.length > 0) expect(negatives).toContain('moon');
    }
  });

  it('asks nothing about an empty scene (no yes-question to balance)', () => {
    expect(popeQuestions({ objects: [] }, 'random', train, WorldRandom.fromNumber(0))).toEqual([]);
  });
});
