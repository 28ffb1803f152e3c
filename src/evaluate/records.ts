// Per-example records of one lane (an example joined with that lane's answer), and the worst cases
// a view lists first, and a sweep's points for its line chart. Each record carries what
// exampleLink needs, so a row opens in Decode.
import type { PopeSplit } from '../world/pope';
import type { Estimate } from './bootstrap';
import type { ChairMetricName, PopeMetricName } from './counts';
import type { ChairAnswer, ChairExample, EvaluationResult, PopeAnswer, PopeExample } from './result';

export interface PopeRecord extends PopeExample, PopeAnswer {
  /** Index into result.pope.examples. */
  exampleIndex: number;
  laneIndex: number;
  correct: boolean;
}

export interface ChairRecord extends ChairExample, ChairAnswer {
  exampleIndex: number;
  laneIndex: number;
}

function laneAnswers<T>(answers: readonly T[][], laneIndex: number): readonly T[] {
  const lane = answers[laneIndex];
  if (!lane) throw new RangeError(`lane ${laneIndex} does not exist (the result has ${answers.length})`);
  return lane;
}

/** Lane `laneIndex`'s POPE records (of one split, or all). */
export function popeRecords(result: EvaluationResult, laneIndex: number, split?: PopeSplit): PopeRecord[] {
  if (!result.pope) return [];
  const answers = laneAnswers(result.pope.answers, laneIndex);
  return result.pope.examples.flatMap((example, exampleIndex): PopeRecord[] =>
    split !== undefined && example.split !== split
      ? []
      : [
          {
            ...example,
            ...answers[exampleIndex],
            exampleIndex,
            laneIndex,
            correct: answers[exampleIndex].said === example.label,
          },
        ],
  );
}

export function chairRecords(result: EvaluationResult, laneIndex: number): ChairRecord[] {
  if (!result.chair) return [];
  const answers = laneAnswers(result.chair.answers, laneIndex);
  return result.chair.examples.map((example, exampleIndex) => ({
    ...example,
    ...answers[exampleIndex],
    exampleIndex,
    laneIndex,
  }));
}

/** How bad a wrong POPE answer is: a "yes" about an absent object (a hallucination) first. */
function popeSeverity(record: PopeRecord): number {
  if (record.correct) return 0;
  if (record.label === 'no' && record.said === 'yes') return 3;
  if (record.said === null) return 2;
  return 1;
}

/** The lane's wrong POPE answers, hallucinated "yes" first, then unreadable, then missed objects. */
export function worstPopeRecords(
  result: EvaluationResult,
  laneIndex: number,
  split?: PopeSplit,
  limit = 20,
): PopeRecord[] {
  return popeRecords(result, laneIndex, split)
    .filter((r) => !r.correct)
    .sort((a, b) => popeSeverity(b) - popeSeverity(a) || a.sceneIndex - b.sceneIndex)
    .slice(0, limit);
}

/** The lane's captions with hallucinated shapes, most hallucinated shapes first. */
export function worstChairRecords(result: EvaluationResult, laneIndex: number, limit = 20): ChairRecord[] {
  return chairRecords(result, laneIndex)
    .filter((r) => r.hallucinated.length > 0)
    .sort(
      (a, b) =>
        b.hallucinated.length - a.hallucinated.length ||
        b.hallucinated.length / b.mentioned.length - a.hallucinated.length / a.mentioned.length ||
        a.sceneIndex - b.sceneIndex,
    )
    .slice(0, limit);
}

/** One point of a sweep's line chart: the swept value and the lane's estimate. */
export interface SweepPoint {
  laneIndex: number;
  value: number;
  estimate: Estimate;
}

/**
 * The swept lanes' estimates of one metric, in sweep order: POPE metrics by split, CHAIR metrics
 * without one. Empty when the result has no sweep or not that benchmark.
 */
export function sweepSeries(
  result: EvaluationResult,
  metric:
    | { benchmark: 'pope'; split: PopeSplit; name: PopeMetricName }
    | { benchmark: 'chair'; name: ChairMetricName },
): SweepPoint[] {
  return result.lanes.flatMap((lane, laneIndex): SweepPoint[] => {
    if (lane.sweepValue === null) return [];
    if (metric.benchmark === 'chair') {
      return lane.chair
        ? [{ laneIndex, value: lane.sweepValue, estimate: lane.chair.metrics[metric.name] }]
        : [];
    }
    const split = lane.pope?.find((s) => s.split === metric.split);
    return split ? [{ laneIndex, value: lane.sweepValue, estimate: split.metrics[metric.name] }] : [];
  });
}
