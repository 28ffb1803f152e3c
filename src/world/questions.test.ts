// Question templates and the answer key: hand-made cases, answers that agree with the scene for
// generated pairs, balanced yes/no, and seeded reproducibility.
import { describe, expect, it } from 'vitest';
import { DEFAULT_WORLD, sampleScenes } from './distribution';
import {
  answerQuestion,
  attributeQuestion,
  colourQuestion,
  countQuestion,
  objectQuestion,
  questionsFor,
} from './questions';
import { WorldRandom } from './random';
import type { Scene, SceneObject } from './types';

const place = (o: Pick<SceneObject, 'shape' | 'colour' | 'column' | 'row'>): SceneObject => ({
  size: 'small',
  offsetX: 0,
  offsetY: 0,
  ...o,
});

const SCENE: Scene = {
  objects: [
    place({ shape: 'circle', colour: 'red', column: 0, row: 0 }),
    place({ shape: 'circle', colour: 'red', column: 1, row: 0 }),
    place({ shape: 'square', colour: 'orange', column: 2, row: 2 }),
  ],
};

describe('question templates', () => {
  it('write the documented forms with a/an agreement', () => {
    expect(objectQuestion('star')).toBe('is there a star ?');
    expect(attributeQuestion('orange', 'star')).toBe('is there an orange star ?');
    expect(countQuestion('cross')).toBe('how many crosses are there ?');
    expect(countQuestion('circle', 'red')).toBe('how many red circles are there ?');
    expect(colourQuestion('square')).toBe('what colour is the square ?');
  });

  it('are answered from the scene (hand-made cases)', () => {
    const answer = (q: string) => answerQuestion(SCENE, q);
    expect(answer('is there a circle ?')).toBe('yes');
    expect(answer('is there a star ?')).toBe('no');
    expect(answer('is there an orange square ?')).toBe('yes');
    expect(answer('is there a red square ?')).toBe('no');
    expect(answer('how many circles are there ?')).toBe('two');
    expect(answer('how many blue circles are there ?')).toBe('zero');
    expect(answer('what colour is the square ?')).toBe('orange');
    expect(answer('What color is the square?')).toBe('orange');
    expect(answer('what colour is the circle ?')).toBeNull(); // two circles: no single answer
    expect(answer('why is the sky blue ?')).toBeNull();
    expect(answer('is there a circle or a star ?')).toBeNull();
  });
});

describe('questionsFor', () => {
  const scenes = sampleScenes(DEFAULT_WORLD, 31, 300);
  const rng = WorldRandom.fromNumber(31, 7);
  const pairs = scenes.map((s) => questionsFor(s, rng, 6));

  it('gives answers that match the answer key, of every kind', () => {
    const kinds = new Set<string>();
    scenes.forEach((scene, i) => {
      for (const qa of pairs[i]) {
        kinds.add(qa.kind);
        expect(qa.answer, qa.question).toBe(answerQuestion(scene, qa.question));
        expect(qa.answer).not.toBeNull();
      }
    });
    expect([...kinds].sort()).toEqual(['attribute', 'colour', 'count', 'object']);
  });

  it('balances yes and no', () => {
    const yesNo = pairs.flat().filter((qa) => qa.answer === 'yes' || qa.answer === 'no');
    const yes = yesNo.filter((qa) => qa.answer === 'yes').length / yesNo.length;
    expect(yes).toBeGreaterThan(0.42);
    expect(yes).toBeLessThan(0.58);
  });

  it('handles an empty scene (everything absent, counts zero)', () => {
    const qas = questionsFor({ objects: [] }, WorldRandom.fromNumber(3), 20);
    for (const qa of qas) expect(['no', 'zero']).toContain(qa.answer);
    expect(qas.some((qa) => qa.kind === 'colour')).toBe(false);
  });

  it('is reproducible: the same seed gives the same pairs', () => {
    const again = WorldRandom.fromNumber(31, 7);
    expect(scenes.map((s) => questionsFor(s, again, 6))).toEqual(pairs);
  });
});
