// Hallucination metrics for the Shapes world.
//
// POPE (Li et al., 2023), "yes" is the positive class:
//   accuracy = (TP + TN) / N, precision = TP / (TP + FP), recall = TP / (TP + FN),
//   F1 = 2PR / (P + R), yes-ratio = (answers that are "yes") / N.
//   An answer counts as "yes"/"no" by its first word (case-insensitive, so "Yes, there is" is yes);
//   anything else is `unparsed`: wrong for accuracy, and neither yes nor no. A ratio whose
//   denominator is 0 is reported as 0 (as scikit-learn's zero_division=0).
//
// CHAIR (Rohrbach et al., "Object Hallucination in Image Captioning", EMNLP 2018), per caption
// the set of distinct shapes the parser finds (parse.ts: plurals, counts and synonyms map to shapes):
//   CHAIR_i = Σ |mentioned \ present| / Σ |mentioned|    (hallucinated object mentions)
//   CHAIR_s = captions with ≥ 1 hallucinated shape / captions
//   recall  = Σ |mentioned ∩ present| / Σ |present|       (how much of the scene is described)
//   length  = mean words per caption (tokens as the Whitespace pre-tokenizer splits them)
// Level 'colour-shape' counts (colour, shape) pairs instead: "a red star" is hallucinated unless a
// red star exists; a mention without a colour ("a star") matches, and covers, a star of any colour.
import { parseCaption } from './parse';
import type { Colour, Scene, Shape } from './types';

export interface PopeMetrics {
  count: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  yesRatio: number;
  /** Answers that are neither yes nor no. */
  unparsed: number;
}

/** "yes", "no" or null from a model's answer text. */
export function readYesNo(answer: string): 'yes' | 'no' | null {
  const first = /[a-z]+/i.exec(answer)?.[0]?.toLowerCase();
  return first === 'yes' || first === 'no' ? first : null;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

export function popeMetrics(answers: readonly string[], labels: readonly ('yes' | 'no')[]): PopeMetrics {
  if (answers.length !== labels.length) {
    throw new RangeError(`popeMetrics: ${answers.length} answers for ${labels.length} labels`);
  }
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let unparsed = 0;
  answers.forEach((answer, i) => {
    const said = readYesNo(answer);
    if (said === null) unparsed++;
    if (labels[i] === 'yes') {
      if (said === 'yes') tp++;
      else fn++;
    } else if (said === 'no') tn++;
    else if (said === 'yes') fp++;
  });
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return {
    count: answers.length,
    accuracy: ratio(tp + tn, answers.length),
    precision,
    recall,
    f1: ratio(2 * precision * recall, precision + recall),
    yesRatio: ratio(tp + fp, answers.length),
    unparsed,
  };
}

export interface ChairMetrics {
  captions: number;
  chairI: number;
  chairS: number;
  recall: number;
  meanLength: number;
  /** The raw counts behind the ratios. */
  mentioned: number;
  hallucinated: number;
  hallucinatedCaptions: number;
  present: number;
  covered: number;
}

export type ChairLevel = 'shape' | 'colour-shape';

/** An object kind at the chosen level: a shape, or a shape with a colour (null: any colour). */
interface Kind {
  shape: Shape;
  colour: Colour | null;
}

const kindKey = (k: Kind) => `${k.colour ?? '*'} ${k.shape}`;
const covers = (mention: Kind, truth: Kind) =>
  mention.shape === truth.shape && (mention.colour === null || mention.colour === truth.colour);

function distinct(kinds: Kind[]): Kind[] {
  return [...new Map(kinds.map((k) => [kindKey(k), k])).values()];
}

export function chairMetrics(
  captions: readonly string[],
  scenes: readonly Scene[],
  level: ChairLevel = 'shape',
): ChairMetrics {
  if (captions.length !== scenes.length) {
    throw new RangeError(`chairMetrics: ${captions.length} captions for ${scenes.length} scenes`);
  }
  const totals = { mentioned: 0, hallucinated: 0, hallucinatedCaptions: 0, present: 0, covered: 0, words: 0 };
  captions.forEach((caption, i) => {
    const parsed = parseCaption(caption);
    const withColour = level === 'colour-shape';
    const mentions = distinct(
      parsed.mentions.map((m) => ({ shape: m.shape, colour: withColour ? m.colour : null })),
    );
    const truth = distinct(
      scenes[i].objects.map((o) => ({ shape: o.shape, colour: withColour ? o.colour : null })),
    );
    const wrong = mentions.filter((m) => !truth.some((t) => covers(m, t))).length;
    totals.words += parsed.words.length;
    totals.mentioned += mentions.length;
    totals.hallucinated += wrong;
    if (wrong > 0) totals.hallucinatedCaptions++;
    totals.present += truth.length;
    totals.covered += truth.filter((t) => mentions.some((m) => covers(m, t))).length;
  });
  return {
    captions: captions.length,
    chairI: ratio(totals.hallucinated, totals.mentioned),
    chairS: ratio(totals.hallucinatedCaptions, captions.length),
    recall: ratio(totals.covered, totals.present),
    meanLength: ratio(totals.words, captions.length),
    mentioned: totals.mentioned,
    hallucinated: totals.hallucinated,
    hallucinatedCaptions: totals.hallucinatedCaptions,
    present: totals.present,
    covered: totals.covered,
  };
}
