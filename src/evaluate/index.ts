// The Evaluate engine (issue 10): hallucination benchmarks (POPE, CHAIR) for any set of Decode
// lanes, with bootstrap intervals over scenes, paired differences to a baseline lane, sweeps, links,
// JSON/CSV export, storage and folder datasets for real VLMs.
// This entry point is pure (zod, fflate, the world): it loads where there is no WebGPU (the page's
// main thread, Node scripts). The runner, which decodes on the GPU, is imported from './runner'.
export * from './config';
export * from './schema';
export * from './sweep';
export * from './link';
export * from './experiments';
export * from './result';
export * from './result-schema';
export * from './records';
export * from './csv';
export * from './storage';
export * from './folder';
export * from './category-pope';
export type { EvaluationProgress } from './progress';
export { planEvaluation, EvaluationPlanError, type EvaluationJob, type EvaluationPlan } from './plan';
export {
  bootstrapEstimate,
  pairedDifference,
  percentileEstimate,
  quantileSorted,
  resampleCounts,
  resampledSums,
  type Estimate,
} from './bootstrap';
export { CHAIR_METRICS, POPE_METRICS, type ChairMetricName, type PopeMetricName } from './counts';
