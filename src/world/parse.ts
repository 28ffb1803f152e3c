// Reading Shapes-world text back: the object mentions in a caption (for CHAIR), the relations
// between them (for checking captions against scenes) and the words of each (for ViCrit spans).
//
// A mention is  [count] [size] [colour] noun  where count is a/an/one..six, the noun a shape in
// the singular or plural or a synonym (words.ts): "circles", "two circles", "a red circle",
// "big violet dots". Words that do not fit are skipped, so free text from any model parses as
// far as it talks about shapes. A relation is recorded when a relation phrase ("left of",
// "to the right of", "above", "under", ...) sits directly between two mentions.
// Count semantics: a number or article gives the count; a bare singular noun means one; a bare
// plural ("circles") means "two or more", recorded as count null.
import type { Colour, Relation, Shape, Size } from './types';
import {
  COLOUR_WORDS,
  DETERMINER_COUNTS,
  NOUNS,
  RELATION_READINGS,
  SIZE_WORDS,
  splitWords,
  type Word,
} from './words';

export interface Mention {
  shape: Shape;
  colour: Colour | null;
  size: Size | null;
  /** The stated count (1 for a bare singular), null for a bare plural ("circles": two or more). */
  count: number | null;
  plural: boolean;
  /** Words [wordStart, wordEnd) of the mention, and its characters [charStart, charEnd). */
  wordStart: number;
  wordEnd: number;
  charStart: number;
  charEnd: number;
}

export interface ParsedRelation {
  /** Indices into `mentions`. */
  subject: number;
  object: number;
  relation: Relation;
  wordStart: number;
  wordEnd: number;
}

export interface ParsedCaption {
  words: Word[];
  mentions: Mention[];
  relations: ParsedRelation[];
  /** The text says the picture is empty ("an empty picture ."). */
  saysEmpty: boolean;
}

/** The mention starting at word i, or null. */
function mentionAt(words: readonly Word[], i: number): Mention | null {
  let j = i;
  const count = DETERMINER_COUNTS.get(words[j]?.text ?? '');
  if (count !== undefined) j++;
  const size = SIZE_WORDS.get(words[j]?.text ?? '') ?? null;
  if (size !== null) j++;
  const colour = COLOUR_WORDS.get(words[j]?.text ?? '') ?? null;
  if (colour !== null) j++;
  const noun = NOUNS.get(words[j]?.text ?? '');
  if (noun === undefined) return null;
  return {
    shape: noun.shape,
    colour,
    size,
    count: count ?? (noun.plural ? null : 1),
    plural: noun.plural,
    wordStart: i,
    wordEnd: j + 1,
    charStart: words[i].start,
    charEnd: words[j].end,
  };
}

/** The relation phrase starting at word i: its relation and length, or null. */
function relationAt(words: readonly Word[], i: number): { relation: Relation; length: number } | null {
  for (const reading of RELATION_READINGS) {
    if (reading.words.every((w, k) => words[i + k]?.text === w)) {
      return { relation: reading.relation, length: reading.words.length };
    }
  }
  return null;
}

export function parseCaption(text: string): ParsedCaption {
  const words = splitWords(text);
  const mentions: Mention[] = [];
  const relations: ParsedRelation[] = [];
  let pending: { subject: number; relation: Relation; wordStart: number; next: number } | null = null;
  let i = 0;
  while (i < words.length) {
    const mention = mentionAt(words, i);
    if (mention === null) {
      i++;
      continue;
    }
    const index = mentions.push(mention) - 1;
    if (pending !== null && pending.next === i) {
      relations.push({
        subject: pending.subject,
        object: index,
        relation: pending.relation,
        wordStart: pending.wordStart,
        wordEnd: i,
      });
    }
    pending = null;
    i = mention.wordEnd;
    const phrase = relationAt(words, i);
    if (phrase !== null) {
      pending = { subject: index, relation: phrase.relation, wordStart: i, next: i + phrase.length };
      i += phrase.length;
    }
  }
  return { words, mentions, relations, saysEmpty: words.some((w) => w.text === 'empty') };
}

/** Distinct shapes a text mentions, in order of first mention (what CHAIR counts). */
export function mentionedShapes(text: string): Shape[] {
  return [...new Set(parseCaption(text).mentions.map((m) => m.shape))];
}
