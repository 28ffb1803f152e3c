// The caption grammar, the parser and the truth check: every generated caption parses back to
// exactly the scene's objects with true counts and relations; the parser reads plurals, numbers
// and synonyms; an empty scene has a defined caption.
import { describe, expect, it } from 'vitest';
import { captionFor } from './caption';
import { DEFAULT_WORLD, sampleScenes } from './distribution';
import { mentionedShapes, parseCaption } from './parse';
import { WorldRandom } from './random';
import { groupObjects } from './scene';
import { EXPECTED_FINGERPRINT, fnv1a } from './testing';
import type { Scene, SceneObject } from './types';
import { falseClaims, isCaptionTrue } from './verify';
import { EMPTY_CAPTION } from './words';

const place = (o: Partial<SceneObject> & Pick<SceneObject, 'shape' | 'colour'>): SceneObject => ({
  size: 'small',
  column: 0,
  row: 0,
  offsetX: 0,
  offsetY: 0,
  ...o,
});

/** Two red circles (top left, top centre) and a blue star (bottom right). */
const SCENE: Scene = {
  objects: [
    place({ shape: 'circle', colour: 'red', column: 0, row: 0 }),
    place({ shape: 'circle', colour: 'red', column: 1, row: 0, size: 'large', offsetX: 1 }),
    place({ shape: 'star', colour: 'blue', column: 2, row: 2 }),
  ],
};

describe('captionFor', () => {
  const scenes = [
    ...sampleScenes(DEFAULT_WORLD, 21, 300),
    ...sampleScenes(DEFAULT_WORLD, 22, 100, 'anti-prior'),
  ];
  const rng = WorldRandom.fromNumber(21, 99);
  const captions = scenes.map((s) => captionFor(s, rng));

  it('parses back to exactly the scene objects: one mention per (colour, shape) group, exact counts', () => {
    scenes.forEach((scene, i) => {
      const parsed = parseCaption(captions[i]);
      const mentioned = parsed.mentions.map((m) => `${m.count} ${m.colour} ${m.shape}`).sort();
      const truth = groupObjects(scene)
        .map((g) => `${g.objects.length} ${g.colour} ${g.shape}`)
        .sort();
      expect(mentioned, captions[i]).toEqual(truth);
      for (const m of parsed.mentions) {
        if (m.size !== null) {
          const group = groupObjects(scene).find((g) => g.shape === m.shape && g.colour === m.colour);
          expect(group?.size, captions[i]).toBe(m.size);
        }
      }
    });
  });

  it('states only true counts and relations, and uses every relation', () => {
    const relations = new Set<string>();
    scenes.forEach((scene, i) => {
      expect(falseClaims(scene, captions[i]), captions[i]).toEqual([]);
      for (const r of parseCaption(captions[i]).relations) relations.add(r.relation);
    });
    expect([...relations].sort()).toEqual(['above', 'below', 'left of', 'right of']);
  });

  it('is grammatical in form: lowercase words and spaced punctuation, ending with " ."', () => {
    for (const caption of captions) {
      expect(caption).toMatch(/^[a-z]+( [a-z]+| ,)* \.$/);
      expect(caption).not.toMatch(/ a (orange)|there is (two|three|four|five|six)|there are (a|an|one) /);
    }
  });

  it('varies with the seed and repeats with it (pinned hash)', () => {
    const again = scenes.map((s) => captionFor(s, WorldRandom.fromNumber(21, 99)));
    const first = scenes.map((s) => captionFor(s, WorldRandom.fromNumber(21, 99)));
    expect(again).toEqual(first);
    const variants = new Set(
      Array.from({ length: 30 }, (_, k) => captionFor(SCENE, WorldRandom.fromNumber(k))),
    );
    expect(variants.size).toBeGreaterThan(5);
    const pinned = WorldRandom.fromNumber(2024, 1_000_000);
    const fixed = sampleScenes(DEFAULT_WORLD, 2024, 20).map((s) => captionFor(s, pinned));
    expect(fnv1a(fixed.join('\n'))).toBe(EXPECTED_FINGERPRINT.captions);
  });

  it('captions an empty scene as "an empty picture ." (true only of an empty scene)', () => {
    const empty: Scene = { objects: [] };
    expect(captionFor(empty, WorldRandom.fromNumber(0))).toBe(EMPTY_CAPTION);
    expect(parseCaption(EMPTY_CAPTION)).toMatchObject({ mentions: [], saysEmpty: true });
    expect(isCaptionTrue(empty, EMPTY_CAPTION)).toBe(true);
    expect(falseClaims(SCENE, EMPTY_CAPTION).map((c) => c.reason)).toEqual([
      'says the picture is empty, the scene has 3 objects',
    ]);
  });
});

describe('parseCaption', () => {
  it('reads counts, plurals, sizes, colours and synonyms', () => {
    const parsed = parseCaption(
      'Circles, two circles, a red circle and Big violet dots to the left of one star.',
    );
    expect(parsed.mentions.map(({ shape, colour, size, count }) => ({ shape, colour, size, count }))).toEqual(
      [
        { shape: 'circle', colour: null, size: null, count: null },
        { shape: 'circle', colour: null, size: null, count: 2 },
        { shape: 'circle', colour: 'red', size: null, count: 1 },
        { shape: 'circle', colour: 'purple', size: 'large', count: null },
        { shape: 'star', colour: null, size: null, count: 1 },
      ],
    );
    expect(parsed.relations).toEqual([
      { subject: 3, object: 4, relation: 'left of', wordStart: 12, wordEnd: 16 },
    ]);
    const dots = parsed.mentions[3];
    expect('Circles, two circles, a red circle and Big violet dots'.slice(dots.charStart, dots.charEnd)).toBe(
      'Big violet dots',
    );
    expect(mentionedShapes('a moon under two crescents and a plus')).toEqual(['moon', 'cross']);
  });

  it('skips words it does not know and text without shapes', () => {
    expect(parseCaption('a lovely sunny day .').mentions).toEqual([]);
    expect(parseCaption('').mentions).toEqual([]);
    expect(mentionedShapes('i think there might be a shiny green star near the circle')).toEqual([
      'star',
      'circle',
    ]);
  });
});

describe('falseClaims', () => {
  it('checks exact counts, bare plurals, attributes and relations (hand-made cases)', () => {
    const reasons = (text: string) => falseClaims(SCENE, text).map((c) => c.reason);
    expect(reasons('two red circles left of a blue star .')).toEqual([]);
    expect(reasons('circles and a star above nothing')).toEqual([]);
    expect(reasons('a red circle .')).toEqual(['says "a red circle", the scene has 2 such objects']);
    expect(reasons('a small red circle and a large red circle .')).toEqual([]);
    expect(reasons('a green star .')).toEqual(['says "a green star", the scene has 0 such objects']);
    expect(reasons('stars .')).toEqual(['says "stars", the scene has 1 such objects']);
    expect(reasons('a blue star above two red circles .')).toEqual([
      'says "a blue star" is above "two red circles", which is not so',
    ]);
    expect(reasons('a blue star below two red circles .')).toEqual([]);
  });
});
