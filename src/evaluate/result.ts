// What an evaluation produces: per lane, POPE per split and CHAIR with bootstrap intervals and the
// paired difference to the baseline lane, plus every example and every lane's answer to it, so a
// view can list the worst cases and rebuild any number. Plain JSON (./result-schema.ts validates an
// imported file). Pure types.
import type { ExperimentImage, LaneConfig } from '../share/experiment';
import type { LaneStopReason } from '../share/trace';
import type { PopeSplit } from '../world/pope';
import type { Estimate } from './bootstrap';
import type { EvaluationConfig } from './config';
import type { ChairMetricName, PopeMetricName } from './counts';

/** One POPE question about one scene (a question asked in several splits is one example per split). */
export interface PopeExample {
  benchmark: 'pope';
  sceneIndex: number;
  split: PopeSplit;
  /** The question, which is the Decode prompt. */
  prompt: string;
  /** The shape or category asked about. */
  object: string;
  label: 'yes' | 'no';
  image: ExperimentImage;
}

/** One caption request about one scene. */
export interface ChairExample {
  benchmark: 'chair';
  sceneIndex: number;
  prompt: string;
  image: ExperimentImage;
  /** The distinct shapes in the scene. */
  objects: string[];
}

/** How a lane's generation for an example ended. */
export interface LaneOutcome {
  /** The generated text up to (without) the first end-of-sequence token. */
  text: string;
  /** Tokens generated (the end-of-sequence token included). */
  tokens: number;
  stopReason: LaneStopReason | null;
  /** Set when the lane failed on this example (its text is then what it wrote before). */
  error?: string;
}

export interface PopeAnswer extends LaneOutcome {
  /** The answer as read by its first word. */
  said: 'yes' | 'no' | null;
}

export interface ChairAnswer extends LaneOutcome {
  /** Distinct shapes the caption mentions, and those of them not in the scene. */
  mentioned: string[];
  hallucinated: string[];
  /** Words, as CHAIR's mean caption length counts them. */
  words: number;
}

export interface PopeSplitSummary {
  split: PopeSplit;
  questions: number;
  /** Scenes with at least one question (the bootstrap's units). */
  scenes: number;
  /** Answers that were neither yes nor no. */
  unparsed: number;
  /** Answers cut short by a lane error. */
  errors: number;
  metrics: Record<PopeMetricName, Estimate>;
  /** This lane minus the baseline (lane 0), paired over the same resampled scenes; null for lane 0. */
  difference: Record<PopeMetricName, Estimate> | null;
}

export interface ChairSummary {
  captions: number;
  errors: number;
  counts: {
    mentioned: number;
    hallucinated: number;
    hallucinatedCaptions: number;
    present: number;
    covered: number;
    words: number;
  };
  metrics: Record<ChairMetricName, Estimate>;
  difference: Record<ChairMetricName, Estimate> | null;
}

export interface LaneResult {
  /** The lane as run (after the sweep). */
  lane: LaneConfig;
  /** The sweep's value for this lane, or null. */
  sweepValue: number | null;
  pope: PopeSplitSummary[] | null;
  chair: ChairSummary | null;
}

export interface ModelRecord {
  name: string;
  /** SHA-256 of every file the model was loaded from. */
  fileHashes: Record<string, string>;
}

export interface EvaluationResult {
  kind: 'logitlab-evaluation';
  version: 1;
  config: EvaluationConfig;
  models: { main: ModelRecord; amateur?: ModelRecord };
  lanes: LaneResult[];
  /** answers[lane][example], aligned with examples. */
  pope: { examples: PopeExample[]; answers: PopeAnswer[][] } | null;
  chair: { examples: ChairExample[]; answers: ChairAnswer[][] } | null;
  environment: { adapter: string; userAgent: string; createdAt: string };
  /** Wall time of the run, and the distinct examples (image, prompt) each lane answered. */
  durationMs: number;
  examplesRun: number;
}
