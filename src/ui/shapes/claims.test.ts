// Caption verdicts for the Shapes tab: correct, wrong (shape there, not as said), hallucinated
// (shape absent), relation and "empty" claims, and the caption text without special tokens.
import { describe, expect, it } from 'vitest';
import type { Scene, SceneObject } from '../../world';
import { captionText, checkCaption } from './claims';

const object = (o: Partial<SceneObject> & Pick<SceneObject, 'shape' | 'colour'>): SceneObject => ({
  size: 'small',
  column: 0,
  row: 0,
  offsetX: 0,
  offsetY: 0,
  ...o,
});

// A red circle top left, a yellow star top right.
const scene: Scene = {
  objects: [
    object({ shape: 'circle', colour: 'red' }),
    object({ shape: 'star', colour: 'yellow', column: 2 }),
  ],
};

describe('checkCaption', () => {
  it('marks each mention correct, wrong or hallucinated, with reasons', () => {
    const checked = checkCaption(scene, 'a red circle , a blue star and a white moon .');
    expect(checked.mentions.map((m) => [m.text, m.verdict])).toEqual([
      ['a red circle', 'correct'],
      ['a blue star', 'wrong'],
      ['a white moon', 'hallucinated'],
    ]);
    expect(checked.mentions[0].reason).toBeNull();
    expect(checked.mentions[1].reason).toBe("none in the scene; the scene's star: small yellow star");
    expect(checked.mentions[2].reason).toBe('no moon in the scene');
    expect(checked.allTrue).toBe(false);
    expect([...checked.mentioned]).toEqual([0]); // the red circle; the star was described wrongly
    const count = checkCaption(scene, 'two circles .').mentions[0];
    expect(count).toMatchObject({
      verdict: 'wrong',
      reason: "1 in the scene; the scene's circle: small red circle",
    });
  });

  it('reports false relations and "empty" apart from mentions; a true caption is all true', () => {
    const relation = checkCaption(scene, 'a red circle right of a yellow star .');
    expect(relation.mentions.every((m) => m.verdict === 'correct')).toBe(true);
    expect(relation.otherClaims.map((c) => c.kind)).toEqual(['relation']);
    expect(checkCaption(scene, 'an empty picture .').otherClaims.map((c) => c.kind)).toEqual(['empty']);
    expect(checkCaption({ objects: [] }, 'an empty picture .').allTrue).toBe(true);
    expect(checkCaption(scene, 'a red circle left of a yellow star .').allTrue).toBe(true);
  });
});

describe('captionText', () => {
  it('joins the pieces, leaving out <eos>, <pad>, <bos> and <image> but keeping <unk>', () => {
    expect(captionText(['a', 'red', '<unk>', '.', '<eos>'])).toBe('a red <unk> .');
    expect(captionText([' a', '<pad>', ''])).toBe('a');
  });
});
