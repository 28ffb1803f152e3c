// Is a caption true of a scene? Every claim a parsed caption makes is checked exactly, which is
// what makes the Shapes world's rewards verifiable (ViCrit corruptions, caption rewards).
//
// Claims (see parse.ts for how text becomes mentions and relations):
//   count     a mention with count n says exactly n objects match its attributes ("two red
//             circles": exactly two red circles); a bare plural says two or more.
//   relation  "A left of B": both exist and every A is left of every B (scene.ts).
//   empty     "an empty picture" says the scene has no objects.
// Omissions are not errors: "a red circle" is true of a scene that also has a blue star.
import { parseCaption, type Mention, type ParsedCaption } from './parse';
import { denotation, relationHolds } from './scene';
import type { Scene } from './types';

export interface FalseClaim {
  kind: 'count' | 'relation' | 'empty';
  /** Words [wordStart, wordEnd) of the text the claim comes from. */
  wordStart: number;
  wordEnd: number;
  /** What is wrong, for people: "says two red circles, the scene has one". */
  reason: string;
}

function mentionText(parsed: ParsedCaption, m: Mention): string {
  return parsed.words
    .slice(m.wordStart, m.wordEnd)
    .map((w) => w.text)
    .join(' ');
}

function countClaimHolds(scene: Scene, m: Mention): { holds: boolean; actual: number } {
  const actual = denotation(scene, m).length;
  return { holds: m.count === null ? actual >= 2 : actual === m.count, actual };
}

/** The false claims of a caption about a scene (empty when the caption is true). */
export function falseClaims(scene: Scene, caption: string | ParsedCaption): FalseClaim[] {
  const parsed = typeof caption === 'string' ? parseCaption(caption) : caption;
  const problems: FalseClaim[] = [];
  if (parsed.saysEmpty && scene.objects.length > 0) {
    const at = parsed.words.findIndex((w) => w.text === 'empty');
    problems.push({
      kind: 'empty',
      wordStart: at,
      wordEnd: at + 1,
      reason: `says the picture is empty, the scene has ${scene.objects.length} objects`,
    });
  }
  for (const m of parsed.mentions) {
    const { holds, actual } = countClaimHolds(scene, m);
    if (!holds) {
      problems.push({
        kind: 'count',
        wordStart: m.wordStart,
        wordEnd: m.wordEnd,
        reason: `says "${mentionText(parsed, m)}", the scene has ${actual} such objects`,
      });
    }
  }
  for (const r of parsed.relations) {
    const subject = parsed.mentions[r.subject];
    const object = parsed.mentions[r.object];
    if (!relationHolds(denotation(scene, subject), denotation(scene, object), r.relation)) {
      problems.push({
        kind: 'relation',
        wordStart: subject.wordStart,
        wordEnd: object.wordEnd,
        reason: `says "${mentionText(parsed, subject)}" is ${r.relation} "${mentionText(parsed, object)}", which is not so`,
      });
    }
  }
  return problems;
}

/** True when every claim of the caption holds for the scene. */
export function isCaptionTrue(scene: Scene, caption: string | ParsedCaption): boolean {
  return falseClaims(scene, caption).length === 0;
}
