// A generated caption read back against the scene it describes, for the Shapes tab: the caption's
// words, each object mention marked correct, wrong (the shape is there, but not with that colour,
// size or count) or hallucinated (no such shape in the scene: CHAIR's notion), and every false
// claim with its reason (src/world/verify.ts decides what is true). Pure: no React.
import {
  denotation,
  describeObject,
  falseClaims,
  parseCaption,
  PLURALS,
  SPECIAL_TOKENS,
  type FalseClaim,
  type Scene,
  type Word,
} from '../../world';

export type MentionVerdict = 'correct' | 'wrong' | 'hallucinated';

export interface CheckedMention {
  wordStart: number;
  wordEnd: number;
  text: string;
  verdict: MentionVerdict;
  /** Why it is not correct (null when it is). */
  reason: string | null;
}

export interface CheckedCaption {
  words: Word[];
  mentions: CheckedMention[];
  /** False claims that are not about one mention: relations, "an empty picture". */
  otherClaims: FalseClaim[];
  /** True when every claim holds. */
  allTrue: boolean;
  /** Indices of the scene's objects that a correct mention refers to (the rest were left out). */
  mentioned: Set<number>;
}

const HIDDEN_PIECES: ReadonlySet<string> = new Set(SPECIAL_TOKENS.filter((t) => t !== '<unk>'));

/** The caption as text: the generated pieces without <eos>, <pad> and the like (<unk> stays visible). */
export function captionText(pieces: readonly string[]): string {
  return pieces
    .map((p) => p.trim())
    .filter((p) => p !== '' && !HIDDEN_PIECES.has(p))
    .join(' ');
}

export function checkCaption(scene: Scene, text: string): CheckedCaption {
  const parsed = parseCaption(text);
  const claims = falseClaims(scene, parsed);
  const mentions = parsed.mentions.map((m): CheckedMention => {
    const claim = claims.find(
      (c) => c.kind === 'count' && c.wordStart === m.wordStart && c.wordEnd === m.wordEnd,
    );
    const sameShape = denotation(scene, { shape: m.shape });
    let reason: string | null = null;
    if (claim !== undefined && sameShape.length === 0) reason = `no ${m.shape} in the scene`;
    else if (claim !== undefined) {
      const matching = denotation(scene, m).length;
      // "large green moon, top left" -> "large green moon": the place is in the ground truth list.
      const there = sameShape.map((o) => describeObject(o).split(',')[0]).join(', ');
      const shapes = sameShape.length === 1 ? m.shape : PLURALS[m.shape];
      reason = `${matching === 0 ? 'none' : matching} in the scene; the scene's ${shapes}: ${there}`;
    }
    return {
      wordStart: m.wordStart,
      wordEnd: m.wordEnd,
      text: text.slice(m.charStart, m.charEnd),
      verdict: claim === undefined ? 'correct' : sameShape.length > 0 ? 'wrong' : 'hallucinated',
      reason,
    };
  });
  const mentioned = new Set<number>();
  parsed.mentions.forEach((m, i) => {
    if (mentions[i].verdict !== 'correct') return;
    for (const o of denotation(scene, m)) mentioned.add(scene.objects.indexOf(o));
  });
  return {
    words: parsed.words,
    mentions,
    otherClaims: claims.filter((c) => c.kind !== 'count'),
    allTrue: claims.length === 0,
    mentioned,
  };
}
