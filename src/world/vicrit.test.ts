// ViCrit corruptions: exactly one changed span, the smallest that differs, with exact character
// and word (= token) offsets; the corrupted caption is false for the scene and the original true.
import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../model/tokenizer';
import { captionFor } from './caption';
import { DEFAULT_WORLD, sampleScenes } from './distribution';
import { WorldRandom } from './random';
import type { Scene, SceneObject } from './types';
import { isCaptionTrue } from './verify';
import { CORRUPTION_KINDS, corruptCaption, type CorruptionKind } from './vicrit';
import { shapesTokenizerConfig, shapesTokenizerJson } from './vocabulary';
import { splitWords } from './words';

const place = (o: Pick<SceneObject, 'shape' | 'colour' | 'column' | 'row'>): SceneObject => ({
  size: 'small',
  offsetX: 0,
  offsetY: 0,
  ...o,
});

/** Two red circles on the top row, a blue star bottom right, an orange square bottom left. */
const SCENE: Scene = {
  objects: [
    place({ shape: 'circle', colour: 'red', column: 0, row: 0 }),
    place({ shape: 'circle', colour: 'red', column: 1, row: 0 }),
    place({ shape: 'star', colour: 'blue', column: 2, row: 2 }),
    place({ shape: 'square', colour: 'orange', column: 0, row: 2 }),
  ],
};

/** Every distinct (originalWords → replacement) a caption can get for some seed. */
function outcomes(caption: string, kinds: readonly CorruptionKind[]): string[] {
  const seen = new Set<string>();
  for (let seed = 0; seed < 200; seed++) {
    const c = corruptCaption(SCENE, caption, WorldRandom.fromNumber(seed), kinds);
    if (c !== null) seen.add(`${c.originalWords} → ${c.replacement}`);
  }
  return [...seen].sort();
}

describe('corruptCaption (hand-made cases)', () => {
  it('relation: only relations that are false, the span the one changed word', () => {
    expect(outcomes('two red circles left of a blue star .', ['relation'])).toEqual([
      'left of → below',
      'left → right',
    ]);
  });

  it('count: the noun and "there is/are" agree, and the span covers them', () => {
    const found = outcomes('there is a blue star .', ['count']);
    expect(found).toContain('is a blue star → are two blue stars');
    expect(found).toHaveLength(5);
    expect(outcomes('two red circles .', ['count'])).toEqual([
      'two red circles → a red circle',
      'two → five',
      'two → four',
      'two → six',
      'two → three',
    ]);
  });

  it('colour and object: articles agree; replacements make the caption false', () => {
    const colours = outcomes('an orange square .', ['colour']);
    expect(colours).toContain('an orange → a red');
    expect(colours).toHaveLength(7);
    const objects = outcomes('a blue star .', ['object']);
    expect(objects).toContain('star → circle');
    expect(objects).toHaveLength(7);
  });

  it('returns null for a caption with nothing to change, and refuses a false caption', () => {
    expect(corruptCaption({ objects: [] }, 'an empty picture .', WorldRandom.fromNumber(0))).toBeNull();
    expect(() => corruptCaption(SCENE, 'a green star .', WorldRandom.fromNumber(0))).toThrow(
      'corruptCaption: the caption is already false for the scene (says "a green star", the scene has 0 such objects)',
    );
  });

  it('keeps the text outside the span byte for byte', () => {
    const c = corruptCaption(SCENE, 'Two red circles  left of a blue star.', WorldRandom.fromNumber(3), [
      'colour',
    ]);
    expect(c).not.toBeNull();
    const { text, original, span, originalSpan } = c!;
    expect(text.slice(0, span.charStart)).toBe(original.slice(0, originalSpan.charStart));
    expect(text.slice(span.charEnd)).toBe(original.slice(originalSpan.charEnd));
  });
});

describe('corruptCaption (generated captions)', () => {
  const scenes = sampleScenes(DEFAULT_WORLD, 51, 400);
  const rng = WorldRandom.fromNumber(51, 5);
  const tokenizer = TextTokenizer.fromJson(shapesTokenizerJson(), shapesTokenizerConfig());

  it('injects one error: false corrupted caption, exact minimal spans, all kinds', () => {
    const kinds = new Map<CorruptionKind, number>();
    for (const scene of scenes) {
      const original = captionFor(scene, rng);
      const c = corruptCaption(scene, original, rng);
      if (c === null) throw new Error(`no corruption for ${original}`);
      kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
      expect(isCaptionTrue(scene, original)).toBe(true);
      expect(isCaptionTrue(scene, c.text), c.text).toBe(false);
      // Character spans.
      expect(c.text.slice(c.span.charStart, c.span.charEnd)).toBe(c.replacement);
      expect(original.slice(c.originalSpan.charStart, c.originalSpan.charEnd)).toBe(c.originalWords);
      expect(c.text.slice(0, c.span.charStart) + c.originalWords + c.text.slice(c.span.charEnd)).toBe(
        original,
      );
      // Word spans: the same words outside, different words at both ends inside.
      const before = splitWords(original).map((w) => w.text);
      const after = splitWords(c.text).map((w) => w.text);
      expect(after.slice(0, c.span.wordStart)).toEqual(before.slice(0, c.originalSpan.wordStart));
      expect(after.slice(c.span.wordEnd)).toEqual(before.slice(c.originalSpan.wordEnd));
      expect(after[c.span.wordStart]).not.toBe(before[c.originalSpan.wordStart]);
      expect(after[c.span.wordEnd - 1]).not.toBe(before[c.originalSpan.wordEnd - 1]);
      // Token spans: word offsets are token offsets of the shared tokenizer (no special tokens).
      const ids = tokenizer.encode(c.text, { addSpecialTokens: false });
      const spanTokens = ids.slice(c.span.wordStart, c.span.wordEnd).map((id) => tokenizer.idToToken(id));
      expect(spanTokens.join(' ')).toBe(c.replacement);
    }
    for (const kind of CORRUPTION_KINDS) expect(kinds.get(kind) ?? 0, kind).toBeGreaterThan(40);
  });

  it('is reproducible for a seed', () => {
    const caption = captionFor(scenes[0], WorldRandom.fromNumber(1));
    const a = corruptCaption(scenes[0], caption, WorldRandom.fromNumber(77));
    expect(corruptCaption(scenes[0], caption, WorldRandom.fromNumber(77))).toEqual(a);
  });
});
