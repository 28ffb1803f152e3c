// The caption grammar: varied, grammatical, always true captions of a scene, as training text for
// the text-only LMs and targets for the captioning VLM.
//
//   caption  := [opener] clauses "."            (a scene without objects: "an empty picture .")
//   opener   := "there is" | "there are" | "the picture shows"    (is/are agrees with the first phrase)
//   clauses  := clause | clause "and" clause | clause "," clause ... "and" clause
//   clause   := phrase | phrase relation phrase
//   phrase   := count [size] colour noun        ("two red circles", "a small blue star", "one moon"…)
//   relation := "left of" | "right of" | "above" | "below"
//
// One phrase per (colour, shape) group, with the exact count, so every caption mentions every
// object once and parses back to exactly the scene's objects (tested). The size is named only when
// all members of a group share it. A relation is written only when it holds for every pair of the
// two groups (scene.ts), picked at random among those that do. Choices are seeded: the same rng
// state gives the same caption.
import type { WorldRandom } from './random';
import { groupObjects, relationHolds, type ObjectGroup } from './scene';
import { RELATIONS, type Scene } from './types';
import { COUNT_WORDS, EMPTY_CAPTION, RELATION_PHRASES, article, noun } from './words';

export interface CaptionOptions {
  /** Chance of joining a phrase to the next by a relation that holds (default 0.5). */
  relationProbability?: number;
  /** Chance of naming a group's size when its members share one (default 0.5). */
  sizeProbability?: number;
  /** Chance of "one" instead of "a"/"an" for a single object (default 0.2). */
  oneProbability?: number;
  /** Chance of an opener ("there is", "the picture shows"; default 0.5). */
  openerProbability?: number;
}

function phraseWords(group: ObjectGroup, rng: WorldRandom, options: Required<CaptionOptions>): string[] {
  const count = group.objects.length;
  const described: string[] = [];
  if (group.size !== null && rng.chance(options.sizeProbability)) described.push(group.size);
  described.push(group.colour, noun(group.shape, count));
  let determiner: string;
  if (count === 1) determiner = rng.chance(options.oneProbability) ? 'one' : article(described[0]);
  else determiner = COUNT_WORDS[count];
  return [determiner, ...described];
}

function joinClauses(clauses: readonly string[][]): string[] {
  const out: string[] = [];
  clauses.forEach((clause, i) => {
    if (i > 0) out.push(i === clauses.length - 1 ? 'and' : ',');
    out.push(...clause);
  });
  return out;
}

/** A true caption of the scene ("there are two red circles left of a blue star ."). */
export function captionFor(scene: Scene, rng: WorldRandom, options: CaptionOptions = {}): string {
  if (scene.objects.length === 0) return EMPTY_CAPTION;
  const settings: Required<CaptionOptions> = {
    relationProbability: options.relationProbability ?? 0.5,
    sizeProbability: options.sizeProbability ?? 0.5,
    oneProbability: options.oneProbability ?? 0.2,
    openerProbability: options.openerProbability ?? 0.5,
  };
  const groups = rng.shuffle(groupObjects(scene));
  const phrases = groups.map((g) => phraseWords(g, rng, settings));
  const clauses: string[][] = [];
  for (let i = 0; i < groups.length; i++) {
    if (i + 1 < groups.length && rng.chance(settings.relationProbability)) {
      const holding = RELATIONS.filter((r) => relationHolds(groups[i].objects, groups[i + 1].objects, r));
      if (holding.length > 0) {
        const relation = rng.pick(holding);
        clauses.push([...phrases[i], ...RELATION_PHRASES[relation], ...phrases[i + 1]]);
        i++;
        continue;
      }
    }
    clauses.push(phrases[i]);
  }
  const words = joinClauses(clauses);
  if (rng.chance(settings.openerProbability)) {
    const firstIsSingle = groups[0].objects.length === 1;
    words.unshift(
      ...(rng.chance(0.5) ? ['there', firstIsSingle ? 'is' : 'are'] : ['the', 'picture', 'shows']),
    );
  }
  words.push('.');
  return words.join(' ');
}
