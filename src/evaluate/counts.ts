// The hallucination metrics as functions of summed per-scene counts, so a bootstrap resample is a
// weighted sum of scene rows (./bootstrap.ts) instead of a pass over every answer. The per-scene
// counts come from the world's own scorers (readYesNo, chairMetrics: src/world/metrics.ts, where
// the formulas and papers are), and the sums over all scenes reproduce popeMetrics / chairMetrics
// exactly (tested), including their conventions: an answer that is neither yes nor no is wrong,
// counts as a false negative for a "yes" label and as neither FP nor TN for a "no" label, and a
// ratio with a zero denominator is 0.
import { chairMetrics, readYesNo, type Scene } from '../world';
import type { SumStatistic } from './bootstrap';

export const POPE_METRICS = ['accuracy', 'precision', 'recall', 'f1', 'yesRatio'] as const;
export type PopeMetricName = (typeof POPE_METRICS)[number];

export const CHAIR_METRICS = ['chairI', 'chairS', 'recall', 'meanLength'] as const;
export type ChairMetricName = (typeof CHAIR_METRICS)[number];

/** Fields of a POPE count row, in order. */
export const POPE_COUNTS = [
  'truePositives',
  'falsePositives',
  'trueNegatives',
  'falseNegatives',
  'unparsed',
  'questions',
] as const;
const [TP, FP, TN, FN, UNPARSED, QUESTIONS] = [0, 1, 2, 3, 4, 5];

/** Fields of a CHAIR count row, in order. */
export const CHAIR_COUNTS = [
  'captions',
  'mentioned',
  'hallucinated',
  'hallucinatedCaptions',
  'present',
  'covered',
  'words',
] as const;
const [CAPTIONS, MENTIONED, HALLUCINATED, HALLUCINATED_CAPTIONS, PRESENT, COVERED, WORDS] = [
  0, 1, 2, 3, 4, 5, 6,
];

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** One POPE answer's contribution (a scene's row is the sum of its answers'). */
export function popeAnswerCounts(answer: string, label: 'yes' | 'no'): Float64Array {
  const row = new Float64Array(POPE_COUNTS.length);
  const said = readYesNo(answer);
  row[QUESTIONS] = 1;
  if (said === null) row[UNPARSED] = 1;
  if (label === 'yes') row[said === 'yes' ? TP : FN] = 1;
  else if (said === 'no') row[TN] = 1;
  else if (said === 'yes') row[FP] = 1;
  return row;
}

const precision = (c: Float64Array) => ratio(c[TP], c[TP] + c[FP]);
const recall = (c: Float64Array) => ratio(c[TP], c[TP] + c[FN]);

export const POPE_STATISTICS: Record<PopeMetricName, SumStatistic> = {
  accuracy: (c) => ratio(c[TP] + c[TN], c[QUESTIONS]),
  precision,
  recall,
  f1: (c) => {
    const p = precision(c);
    const r = recall(c);
    return ratio(2 * p * r, p + r);
  },
  yesRatio: (c) => ratio(c[TP] + c[FP], c[QUESTIONS]),
};

/** Questions and unparsed answers of a summed POPE row. */
export function popeTotals(c: Float64Array): { questions: number; unparsed: number } {
  return { questions: c[QUESTIONS], unparsed: c[UNPARSED] };
}

/** One caption's CHAIR row, at the shape level (chairMetrics of the caption alone). */
export function chairCaptionCounts(caption: string, scene: Scene): Float64Array {
  const m = chairMetrics([caption], [scene]);
  const row = new Float64Array(CHAIR_COUNTS.length);
  row[CAPTIONS] = 1;
  row[MENTIONED] = m.mentioned;
  row[HALLUCINATED] = m.hallucinated;
  row[HALLUCINATED_CAPTIONS] = m.hallucinatedCaptions;
  row[PRESENT] = m.present;
  row[COVERED] = m.covered;
  row[WORDS] = m.meanLength;
  return row;
}

export const CHAIR_STATISTICS: Record<ChairMetricName, SumStatistic> = {
  chairI: (c) => ratio(c[HALLUCINATED], c[MENTIONED]),
  chairS: (c) => ratio(c[HALLUCINATED_CAPTIONS], c[CAPTIONS]),
  recall: (c) => ratio(c[COVERED], c[PRESENT]),
  meanLength: (c) => ratio(c[WORDS], c[CAPTIONS]),
};

/** The raw CHAIR counts of a summed row, by name. */
export function chairTotals(c: Float64Array): Record<(typeof CHAIR_COUNTS)[number], number> {
  return Object.fromEntries(CHAIR_COUNTS.map((name, k) => [name, c[k]])) as Record<
    (typeof CHAIR_COUNTS)[number],
    number
  >;
}

/** Adds `row` into `into` (same width). */
export function addInto(into: Float64Array, row: ArrayLike<number>): void {
  for (let k = 0; k < into.length; k++) into[k] += row[k];
}
