// Per-lane metrics with bootstrap intervals over scenes (./bootstrap.ts), and each lane's paired
// difference to the baseline (lane 0). The units are the benchmark's scenes: for POPE the scenes
// with at least one question (every split resamples the same units), for CHAIR every captioned
// scene. One set of B resamples per benchmark serves every lane, so differences are paired.
import type { Scene } from '../world';
import {
  bootstrapEstimate,
  pairedDifference,
  resampleCounts,
  resampledSums,
  type Estimate,
  type ResampledSums,
} from './bootstrap';
import type { BootstrapConfig } from './config';
import {
  CHAIR_COUNTS,
  CHAIR_METRICS,
  CHAIR_STATISTICS,
  chairCaptionCounts,
  chairTotals,
  POPE_COUNTS,
  POPE_METRICS,
  POPE_STATISTICS,
  popeAnswerCounts,
  popeTotals,
  addInto,
} from './counts';
import type {
  ChairAnswer,
  ChairExample,
  ChairSummary,
  PopeAnswer,
  PopeExample,
  PopeSplitSummary,
} from './result';
import type { PopeSplit } from '../world/pope';

function metricEstimates<M extends string>(
  names: readonly M[],
  statistics: Record<M, (sums: Float64Array) => number>,
  sums: ResampledSums,
  confidence: number,
): Record<M, Estimate> {
  return Object.fromEntries(
    names.map((m) => [m, bootstrapEstimate(sums, statistics[m], confidence)]),
  ) as Record<M, Estimate>;
}

function differences<M extends string>(
  names: readonly M[],
  statistics: Record<M, (sums: Float64Array) => number>,
  lane: ResampledSums,
  baseline: ResampledSums,
  confidence: number,
): Record<M, Estimate> {
  return Object.fromEntries(
    names.map((m) => [m, pairedDifference(lane, baseline, statistics[m], confidence)]),
  ) as Record<M, Estimate>;
}

/** POPE summaries of every lane: [lane][split], in the config's split order. */
export function summarisePope(
  examples: readonly PopeExample[],
  answers: readonly (readonly PopeAnswer[])[],
  splits: readonly PopeSplit[],
  bootstrap: BootstrapConfig,
): PopeSplitSummary[][] {
  const units = [...new Set(examples.map((e) => e.sceneIndex))].sort((a, b) => a - b);
  const unitOf = new Map(units.map((scene, u) => [scene, u]));
  const resamples = units.length > 0 ? resampleCounts(units.length, bootstrap.resamples, bootstrap.seed) : [];
  const perLane = answers.map((laneAnswers) =>
    splits.map((split) => {
      const rows = units.map(() => new Float64Array(POPE_COUNTS.length));
      let errors = 0;
      examples.forEach((example, i) => {
        if (example.split !== split) return;
        const answer = laneAnswers[i];
        if (answer.error !== undefined) errors++;
        addInto(rows[unitOf.get(example.sceneIndex)!], popeAnswerCounts(answer.text, example.label));
      });
      const scenes = new Set(examples.filter((e) => e.split === split).map((e) => e.sceneIndex)).size;
      return { split, rows, errors, scenes };
    }),
  );
  const sums = perLane.map((lane) => lane.map((s) => resampledSums(s.rows, POPE_COUNTS.length, resamples)));
  return perLane.map((lane, l) =>
    lane.map((s, k): PopeSplitSummary => {
      const totals = popeTotals(sums[l][k].full);
      return {
        split: s.split,
        questions: totals.questions,
        scenes: s.scenes,
        unparsed: totals.unparsed,
        errors: s.errors,
        metrics: metricEstimates(POPE_METRICS, POPE_STATISTICS, sums[l][k], bootstrap.confidence),
        difference:
          l === 0
            ? null
            : differences(POPE_METRICS, POPE_STATISTICS, sums[l][k], sums[0][k], bootstrap.confidence),
      };
    }),
  );
}

/** CHAIR summaries of every lane; scenes[i] is example i's scene. */
export function summariseChair(
  examples: readonly ChairExample[],
  answers: readonly (readonly ChairAnswer[])[],
  scenes: readonly Scene[],
  bootstrap: BootstrapConfig,
): ChairSummary[] {
  const resamples =
    examples.length > 0 ? resampleCounts(examples.length, bootstrap.resamples, bootstrap.seed) : [];
  const sums = answers.map((laneAnswers) =>
    resampledSums(
      examples.map((example, i) => chairCaptionCounts(laneAnswers[i].text, scenes[example.sceneIndex])),
      CHAIR_COUNTS.length,
      resamples,
    ),
  );
  return answers.map((laneAnswers, l): ChairSummary => {
    const { captions, mentioned, hallucinated, hallucinatedCaptions, present, covered, words } = chairTotals(
      sums[l].full,
    );
    return {
      captions,
      errors: laneAnswers.filter((a) => a.error !== undefined).length,
      counts: { mentioned, hallucinated, hallucinatedCaptions, present, covered, words },
      metrics: metricEstimates(CHAIR_METRICS, CHAIR_STATISTICS, sums[l], bootstrap.confidence),
      difference:
        l === 0 ? null : differences(CHAIR_METRICS, CHAIR_STATISTICS, sums[l], sums[0], bootstrap.confidence),
    };
  });
}
