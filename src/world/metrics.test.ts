// POPE and CHAIR metrics against hand-computed cases.
import { describe, expect, it } from 'vitest';
import { chairMetrics, popeMetrics, readYesNo } from './metrics';
import type { Colour, Scene, SceneObject, Shape } from './types';

const scene = (...objects: [Colour, Shape][]): Scene => ({
  objects: objects.map(([colour, shape], i): SceneObject => ({
    shape,
    colour,
    size: 'small',
    column: i % 3,
    row: Math.floor(i / 3),
    offsetX: 0,
    offsetY: 0,
  })),
});

describe('popeMetrics', () => {
  it('computes accuracy, precision, recall, F1 and yes-ratio (hand-computed)', () => {
    // TP = 2 (answers 0, 1), FN = 1 (2), FP = 1 (3), TN = 1 (4); answer 5 is neither yes nor no.
    const m = popeMetrics(
      ['yes', 'Yes, there is.', 'no', 'yes', 'No.', 'maybe'],
      ['yes', 'yes', 'yes', 'no', 'no', 'no'],
    );
    expect(m).toEqual({
      count: 6,
      accuracy: 3 / 6,
      precision: 2 / 3,
      recall: 2 / 3,
      f1: 2 / 3,
      yesRatio: 3 / 6,
      unparsed: 1,
    });
  });

  it('reports 0 for a ratio with nothing to divide by, and a perfect score as 1', () => {
    expect(popeMetrics(['no', 'no'], ['yes', 'no'])).toMatchObject({
      accuracy: 0.5,
      precision: 0,
      recall: 0,
      f1: 0,
      yesRatio: 0,
    });
    expect(popeMetrics(['yes', 'no'], ['yes', 'no'])).toMatchObject({
      accuracy: 1,
      precision: 1,
      recall: 1,
      f1: 1,
    });
    expect(popeMetrics([], [])).toMatchObject({ count: 0, accuracy: 0 });
    // precision 1/2, recall 1 → F1 = 2·(1/2)·1 / (3/2) = 2/3.
    expect(popeMetrics(['yes', 'yes'], ['yes', 'no']).f1).toBeCloseTo(2 / 3, 12);
  });

  it('reads yes/no from the first word and refuses mismatched lengths', () => {
    expect(readYesNo('  YES')).toBe('yes');
    expect(readYesNo('no, there is not')).toBe('no');
    expect(readYesNo('yesterday')).toBeNull();
    expect(readYesNo('')).toBeNull();
    expect(() => popeMetrics(['yes'], [])).toThrow('1 answers for 0 labels');
  });
});

describe('chairMetrics', () => {
  const scenes = [
    scene(['red', 'circle'], ['blue', 'star']),
    scene(['green', 'square']),
    scene(['white', 'moon'], ['white', 'moon'], ['yellow', 'star']),
  ];
  const captions = [
    'a red circle and a green star and a moon .', // 11 words; moon hallucinated (and the colour of the star)
    'two green squares .', // 4 words; the count is wrong but CHAIR only asks which objects
    'a yellow star , a heart and crosses .', // 9 words; heart and cross hallucinated, moons missed
  ];

  it('CHAIR_i, CHAIR_s, recall and length at the shape level (hand-computed)', () => {
    expect(chairMetrics(captions, scenes)).toEqual({
      captions: 3,
      mentioned: 3 + 1 + 3,
      hallucinated: 1 + 0 + 2,
      hallucinatedCaptions: 2,
      present: 2 + 1 + 2,
      covered: 2 + 1 + 1,
      chairI: 3 / 7,
      chairS: 2 / 3,
      recall: 4 / 5,
      meanLength: 24 / 3,
    });
  });

  it('counts a wrong colour as a hallucination at the colour-shape level', () => {
    expect(chairMetrics(captions, scenes, 'colour-shape')).toMatchObject({
      mentioned: 7,
      hallucinated: 2 + 0 + 2, // green star, moon (no colour: any moon would do, there is none)
      chairI: 4 / 7,
      chairS: 2 / 3,
      covered: 1 + 1 + 1, // the blue star is not covered by "a green star"
      recall: 3 / 5,
    });
  });

  it('counts each shape once per caption, whatever its wording', () => {
    const m = chairMetrics(
      ['circles , two circles , a red circle and big dots .'],
      [scene(['red', 'circle'])],
    );
    expect(m).toMatchObject({ mentioned: 1, hallucinated: 0, chairI: 0, chairS: 0, recall: 1 });
  });

  it('handles empty captions and scenes, and refuses mismatched lengths', () => {
    expect(chairMetrics(['an empty picture .'], [{ objects: [] }])).toMatchObject({
      mentioned: 0,
      chairI: 0,
      chairS: 0,
      recall: 0,
      meanLength: 4,
    });
    expect(chairMetrics([], [])).toMatchObject({ captions: 0, chairS: 0, meanLength: 0 });
    expect(() => chairMetrics(['a star .'], [])).toThrow('1 captions for 0 scenes');
  });
});
