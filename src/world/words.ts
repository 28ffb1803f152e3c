// The Shapes world's words: what the caption grammar and question templates say, and what the
// parser reads (the same words plus a few synonyms a model from elsewhere might use).
// vocabulary.ts builds the tokenizer from these tables, so a word added here is in the vocabulary.
//
// Text is written as lowercase words and punctuation separated by single spaces ("a red circle .")
// so that splitting on spaces, the Hugging Face Whitespace pre-tokenizer (\w+|[^\w\s]+) and
// splitWords below all give the same tokens, and token spans map to character spans directly.
import {
  COLOURS,
  RELATIONS,
  SHAPES,
  SIZES,
  type Colour,
  type Relation,
  type Shape,
  type Size,
} from './types';

/** Index = the number: COUNT_WORDS[2] === 'two'. "zero" only appears as an answer. */
export const COUNT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six'] as const;

export const PLURALS: Readonly<Record<Shape, string>> = {
  circle: 'circles',
  square: 'squares',
  triangle: 'triangles',
  diamond: 'diamonds',
  star: 'stars',
  moon: 'moons',
  heart: 'hearts',
  cross: 'crosses',
};

/** What a scene with no objects is captioned as (and what the parser reads as "nothing here"). */
export const EMPTY_CAPTION = 'an empty picture .';

/** Caption openers: none, "there is/are" (agreeing with the first phrase) or "the picture shows". */
export const OPENER_WORDS = ['there', 'is', 'are', 'the', 'picture', 'shows'] as const;

/** Words of the question templates and answers (see questions.ts). */
export const QUESTION_WORDS = [
  'is',
  'there',
  'a',
  'an',
  'how',
  'many',
  'are',
  'what',
  'colour',
  'the',
] as const;
export const ANSWER_WORDS = ['yes', 'no'] as const;
export const PUNCTUATION = ['.', ',', '?'] as const;
export const CONNECTIVE_WORDS = ['and', 'empty'] as const;

/** The words of each relation phrase, as the grammar writes it. */
export const RELATION_PHRASES: Readonly<Record<Relation, readonly string[]>> = {
  'left of': ['left', 'of'],
  'right of': ['right', 'of'],
  above: ['above'],
  below: ['below'],
};

/** Every word generated text can contain, grouped (vocabulary.ts fixes the order). */
export function generatedWords(): string[] {
  return [
    ...PUNCTUATION,
    ...['a', 'an', 'and', 'the', 'of'],
    ...OPENER_WORDS,
    ...QUESTION_WORDS,
    ...CONNECTIVE_WORDS,
    ...ANSWER_WORDS,
    ...COUNT_WORDS,
    ...SIZES,
    ...COLOURS,
    ...RELATIONS.flatMap((r) => RELATION_PHRASES[r]),
    ...SHAPES,
    ...SHAPES.map((s) => PLURALS[s]),
  ];
}

/** "a" or "an" before a word. */
export function article(nextWord: string): 'a' | 'an' {
  return /^[aeiou]/.test(nextWord) ? 'an' : 'a';
}

/** The noun for n objects of a shape: "circle" for 1, "circles" otherwise. */
export function noun(shape: Shape, count: number): string {
  return count === 1 ? shape : PLURALS[shape];
}

// --- Reading ------------------------------------------------------------------------------------

export interface Word {
  /** Lowercased. */
  text: string;
  /** Character offsets [start, end) in the original string. */
  start: number;
  end: number;
}

/** Words and punctuation runs, like the Whitespace pre-tokenizer, lowercased, with offsets. */
export function splitWords(text: string): Word[] {
  const words: Word[] = [];
  for (const match of text.matchAll(/\w+|[^\w\s]+/g)) {
    words.push({ text: match[0].toLowerCase(), start: match.index, end: match.index + match[0].length });
  }
  return words;
}

/** Determiners and numbers → count. */
export const DETERMINER_COUNTS: ReadonlyMap<string, number> = new Map<string, number>([
  ['a', 1],
  ['an', 1],
  ...COUNT_WORDS.slice(1).map((w, i) => [w, i + 1] as [string, number]),
]);

/** Nouns (singular, plural and a few synonyms) → shape. */
export const NOUNS: ReadonlyMap<string, { shape: Shape; plural: boolean }> = new Map<
  string,
  { shape: Shape; plural: boolean }
>([
  ...SHAPES.map((s) => [s, { shape: s, plural: false }] as const),
  ...SHAPES.map((s) => [PLURALS[s], { shape: s, plural: true }] as const),
  ['dot', { shape: 'circle', plural: false }],
  ['dots', { shape: 'circle', plural: true }],
  ['crescent', { shape: 'moon', plural: false }],
  ['crescents', { shape: 'moon', plural: true }],
  ['plus', { shape: 'cross', plural: false }],
]);

export const SIZE_WORDS: ReadonlyMap<string, Size> = new Map<string, Size>([
  ...SIZES.map((s) => [s, s] as const),
  ['big', 'large'],
  ['little', 'small'],
  ['tiny', 'small'],
]);

export const COLOUR_WORDS: ReadonlyMap<string, Colour> = new Map<string, Colour>([
  ...COLOURS.map((c) => [c, c] as const),
  ['violet', 'purple'],
]);

/** Relation phrases the parser accepts, longest first. */
export const RELATION_READINGS: readonly { words: readonly string[]; relation: Relation }[] = [
  { words: ['to', 'the', 'left', 'of'], relation: 'left of' },
  { words: ['to', 'the', 'right', 'of'], relation: 'right of' },
  { words: ['left', 'of'], relation: 'left of' },
  { words: ['right', 'of'], relation: 'right of' },
  { words: ['above'], relation: 'above' },
  { words: ['over'], relation: 'above' },
  { words: ['below'], relation: 'below' },
  { words: ['under'], relation: 'below' },
];
