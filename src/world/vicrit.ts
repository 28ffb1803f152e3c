// ViCrit-style corrupted captions ("ViCrit: A Verifiable Reinforcement Learning Proxy Task for
// Visual Perception in VLMs", 2025): one small error injected into a true caption, with its exact
// span, so a critic's answer (the span it points at) gets a binary exact-match reward.
//
// Kinds, as in the paper: object (a noun → another shape), colour (a colour → another), count
// (a number → another, with the noun's number and any "there is/are" or "a/an" agreeing), relation
// ("left of" → "above", ...). Only changes that make the caption false for the scene are used
// (verify.ts checks each candidate), so the corrupted caption is false and the original true.
// The kind is drawn uniformly among kinds that have a valid change, then the change uniformly.
//
// Spans are the smallest run of words that differs ("a red circle" → "two red circles" gives
// "two red circles"), in words (= Whitespace pre-tokenizer tokens, no special tokens) and in
// characters [start, end) of each text. Text outside the span is kept byte for byte.
import { parseCaption, type Mention, type ParsedCaption } from './parse';
import type { WorldRandom } from './random';
import { COLOURS, RELATIONS, SHAPES, type Colour, type Scene, type Shape } from './types';
import { falseClaims, isCaptionTrue } from './verify';
import { COUNT_WORDS, DETERMINER_COUNTS, RELATION_PHRASES, article, noun } from './words';

export const CORRUPTION_KINDS = ['object', 'colour', 'count', 'relation'] as const;
export type CorruptionKind = (typeof CORRUPTION_KINDS)[number];

export interface TextSpan {
  wordStart: number;
  wordEnd: number;
  charStart: number;
  charEnd: number;
}

export interface CorruptedCaption {
  kind: CorruptionKind;
  original: string;
  /** The corrupted caption. */
  text: string;
  /** The changed words in `text`, and the words they replaced in `original`. */
  span: TextSpan;
  originalSpan: TextSpan;
  /** original.slice(originalSpan) and text.slice(span): "red" → "blue". */
  originalWords: string;
  replacement: string;
}

/** A candidate edit: words [start, end) of the original become `words`. */
interface Edit {
  kind: CorruptionKind;
  start: number;
  end: number;
  words: string[];
}

/**
 * One mention with a new shape, colour or count; other words are kept as written. Articles and a
 * preceding "there is/are" are made to agree ("there is a red circle" → "there are two red circles").
 */
function rewriteMention(
  parsed: ParsedCaption,
  m: Mention,
  change: { shape?: Shape; colour?: Colour; count?: number },
): Omit<Edit, 'kind'> {
  const words = parsed.words.slice(m.wordStart, m.wordEnd).map((w) => w.text);
  const hasDeterminer = DETERMINER_COUNTS.has(words[0]);
  const nounAt = words.length - 1;
  const count = change.count ?? m.count;
  if (change.colour !== undefined) words[nounAt - 1] = change.colour; // the colour precedes the noun
  if (change.shape !== undefined || change.count !== undefined) {
    words[nounAt] = noun(change.shape ?? m.shape, count ?? 2);
  }
  if (change.count !== undefined && hasDeterminer) {
    words[0] = change.count === 1 ? 'a' : COUNT_WORDS[change.count];
  }
  if (words[0] === 'a' || words[0] === 'an') words[0] = article(words[1]);
  let start = m.wordStart;
  const before = parsed.words[m.wordStart - 1]?.text;
  if ((before === 'is' || before === 'are') && parsed.words[m.wordStart - 2]?.text === 'there') {
    start--;
    words.unshift(count === 1 ? 'is' : 'are');
  }
  return { start, end: m.wordEnd, words };
}

function candidateEdits(parsed: ParsedCaption): Edit[] {
  const edits: Edit[] = [];
  for (const m of parsed.mentions) {
    for (const shape of SHAPES) {
      if (shape !== m.shape) edits.push({ kind: 'object', ...rewriteMention(parsed, m, { shape }) });
    }
    if (m.colour !== null) {
      for (const colour of COLOURS) {
        if (colour !== m.colour) edits.push({ kind: 'colour', ...rewriteMention(parsed, m, { colour }) });
      }
    }
    if (m.count !== null && DETERMINER_COUNTS.has(parsed.words[m.wordStart].text)) {
      for (let count = 1; count < COUNT_WORDS.length; count++) {
        if (count !== m.count) edits.push({ kind: 'count', ...rewriteMention(parsed, m, { count }) });
      }
    }
  }
  for (const r of parsed.relations) {
    for (const relation of RELATIONS) {
      if (relation !== r.relation) {
        edits.push({
          kind: 'relation',
          start: r.wordStart,
          end: r.wordEnd,
          words: [...RELATION_PHRASES[relation]],
        });
      }
    }
  }
  return edits;
}

/** Applies an edit, trimmed to the words that actually change (at least one on each side). */
function applyEdit(original: string, parsed: ParsedCaption, edit: Edit): CorruptedCaption {
  const old = parsed.words.slice(edit.start, edit.end).map((w) => w.text);
  const fresh = [...edit.words];
  let start = edit.start;
  while (old.length > 1 && fresh.length > 1 && old[0] === fresh[0]) {
    old.shift();
    fresh.shift();
    start++;
  }
  while (old.length > 1 && fresh.length > 1 && old[old.length - 1] === fresh[fresh.length - 1]) {
    old.pop();
    fresh.pop();
  }
  const charStart = parsed.words[start].start;
  const oldCharEnd = parsed.words[start + old.length - 1].end;
  const replacement = fresh.join(' ');
  return {
    kind: edit.kind,
    original,
    text: original.slice(0, charStart) + replacement + original.slice(oldCharEnd),
    span: {
      wordStart: start,
      wordEnd: start + fresh.length,
      charStart,
      charEnd: charStart + replacement.length,
    },
    originalSpan: { wordStart: start, wordEnd: start + old.length, charStart, charEnd: oldCharEnd },
    originalWords: original.slice(charStart, oldCharEnd),
    replacement,
  };
}

/**
 * The caption with one injected error that makes it false for the scene, or null when it mentions
 * nothing that can be changed ("an empty picture ."). Throws if the caption is already false.
 */
export function corruptCaption(
  scene: Scene,
  caption: string,
  rng: WorldRandom,
  kinds: readonly CorruptionKind[] = CORRUPTION_KINDS,
): CorruptedCaption | null {
  const parsed = parseCaption(caption);
  const problems = falseClaims(scene, parsed);
  if (problems.length > 0) {
    throw new Error(
      `corruptCaption: the caption is already false for the scene (${problems[0].reason}); ` +
        'corrupt a true caption, e.g. one from captionFor',
    );
  }
  const byKind = new Map<CorruptionKind, CorruptedCaption[]>();
  for (const edit of candidateEdits(parsed)) {
    if (!kinds.includes(edit.kind)) continue;
    const corrupted = applyEdit(caption, parsed, edit);
    if (isCaptionTrue(scene, corrupted.text)) continue;
    byKind.set(edit.kind, [...(byKind.get(edit.kind) ?? []), corrupted]);
  }
  const available = CORRUPTION_KINDS.filter((k) => byKind.has(k));
  if (available.length === 0) return null;
  return rng.pick(byKind.get(rng.pick(available)) as CorruptedCaption[]);
}
