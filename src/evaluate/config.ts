// An evaluation (issue 10): hallucination benchmarks run for a list of Decode lanes. The lanes are
// the Decode experiment's own LaneConfig (src/share/experiment.ts), run by the same method modules
// through the same DecodeSession, so a method is evaluated exactly as the Decode workbench runs it,
// and any example can be reopened there (./link.ts, exampleLink).
//
// What one example is:
//   POPE   scene i of the held-out seed, the question "is there a <shape> ?" (src/world/pope.ts),
//          answered by every lane in at most `maxTokens` tokens; the first word decides it.
//   CHAIR  scene i, the caption prompt, every lane writes until <eos> or `maxTokens`.
// Every example is a Decode Experiment: { models, prompt, image: scene (seed, i),
// seed: decodeSeed + i, maxTokens, lanes }. The per-scene decode seed gives every scene its own
// noise and sampling draws (VCD's noised view, RITUAL's transform), and the Decode link of an
// example reproduces its tokens.
// Scenes follow the model cards' held-out protocol (src/defaults/evaluate-data.ts): scene i =
// sampleSceneAt(DEFAULT_WORLD, seed, i), POPE's draws use key seed + 2, popular/adversarial
// negatives are ranked by the first 10,000 training scenes of `trainingSeed`.
// Pure types and defaults.
import type { LaneConfig, ModelRef } from '../share/experiment';
import { defaultLane } from '../share/methods';
import { CAPTION_PROMPT } from '../defaults/data';
import { EVAL_SEED, TRAIN_SEED } from '../defaults/recipes';
import { POPE_SPLITS, type PopeSplit } from '../world/pope';

export const EVALUATION_VERSION = 1;

export interface PopeBenchmarkConfig {
  /** Splits to run, each at most once, in this order. Every split asks about the same scenes. */
  splits: PopeSplit[];
  /** Scenes per split. */
  scenes: number;
  /** Yes-questions per scene (and as many no-questions); POPE asks 3. */
  questionsPerScene: number;
  /** Tokens per answer at most. */
  maxTokens: number;
}

export interface ChairBenchmarkConfig {
  scenes: number;
  /** Tokens per caption at most. */
  maxTokens: number;
  /** The caption prompt (the Shapes VLM is trained on "the picture shows"). */
  prompt: string;
}

/**
 * A parameter sweep: lane `lane` (by id) is replaced, in place, by one lane per value, with ids
 * `<lane>-1`, `<lane>-2`, ... `parameter` is a numeric parameter of the lane's method ("alpha") or
 * of its sampling ("sampling.temperature").
 */
export interface SweepConfig {
  lane: string;
  parameter: string;
  values: number[];
}

/**
 * Where the images come from: the Shapes world (scenes from `seed`), or a user's folder of images
 * with COCO-style annotations (./folder.ts), pinned by the SHA-256 of its annotations.json.
 * Folders have POPE only: CHAIR needs a caption parser for the categories.
 */
export type EvaluationDataset =
  | { kind: 'shapes' }
  | {
      kind: 'folder';
      name: string;
      annotationsSha256: string;
      /** POPE's prompt; {object} is replaced by the category name. */
      questionTemplate: string;
    };

export interface BootstrapConfig {
  resamples: number;
  seed: number;
  /** Two-sided coverage of the intervals. */
  confidence: number;
}

export interface EvaluationConfig {
  version: 1;
  models: { main: ModelRef; amateur?: ModelRef };
  /** The lanes (before the sweep expands one); the first lane after expansion is the baseline. */
  lanes: LaneConfig[];
  benchmarks: { pope?: PopeBenchmarkConfig; chair?: ChairBenchmarkConfig };
  dataset: EvaluationDataset;
  /** Held-out scene seed E (scenes, captions' truths, POPE draws). */
  seed: number;
  /** The seed the models were trained with (POPE's popular/adversarial statistics). */
  trainingSeed: number;
  /** Example i's Decode experiment seed is decodeSeed + i (noise, transforms, sampling). */
  decodeSeed: number;
  sweep?: SweepConfig;
  bootstrap: BootstrapConfig;
}

/** Limits that keep a link short and a run bounded. */
export const EVALUATION_LIMITS = {
  /** Lanes after the sweep is expanded (a session runs at most MAX_LANES of them at a time). */
  lanes: 24,
  sweepValues: 24,
  scenes: 10_000,
  questionsPerScene: 4,
  resamples: 10_000,
  folderNameChars: 200,
  templateChars: 500,
} as const;

export const DEFAULT_QUESTION_TEMPLATE = 'Is there a {object} in the image?';

/**
 * The model cards' answer and caption budgets (POPE_ANSWER_TOKENS and DEFAULT_CAPTION_TOKENS of
 * src/defaults/evaluate-vlm.ts, equal by test). Not imported: that module loads the GPU decoder,
 * and configs and links are read where there is no WebGPU (Node scripts, the page's main thread).
 */
export const POPE_ANSWER_TOKENS = 3;
export const DEFAULT_CAPTION_TOKENS = 40;

/** Defaults filled in for fields a config file or link leaves out. */
export const EVALUATION_DEFAULTS = {
  seed: EVAL_SEED,
  trainingSeed: TRAIN_SEED,
  decodeSeed: 0,
  dataset: { kind: 'shapes' } as EvaluationDataset,
  bootstrap: { resamples: 1000, seed: 0, confidence: 0.95 } as BootstrapConfig,
  pope: { splits: [...POPE_SPLITS], scenes: 100, questionsPerScene: 3, maxTokens: POPE_ANSWER_TOKENS },
  chair: { scenes: 100, maxTokens: DEFAULT_CAPTION_TOKENS, prompt: CAPTION_PROMPT },
};

/** The embedded default: greedy vs VCD vs RITUAL on the Shapes VLM, POPE and CHAIR on 100 scenes. */
export function defaultEvaluationConfig(): EvaluationConfig {
  return {
    version: 1,
    models: { main: { source: 'default', id: 'shapes-vlm', sha256: {} } },
    lanes: [defaultLane('plain', 'greedy'), defaultLane('vcd', 'vcd'), defaultLane('ritual', 'ritual')],
    benchmarks: {
      pope: { ...EVALUATION_DEFAULTS.pope, splits: [...POPE_SPLITS] },
      chair: { ...EVALUATION_DEFAULTS.chair },
    },
    dataset: { kind: 'shapes' },
    seed: EVALUATION_DEFAULTS.seed,
    trainingSeed: EVALUATION_DEFAULTS.trainingSeed,
    decodeSeed: EVALUATION_DEFAULTS.decodeSeed,
    bootstrap: { ...EVALUATION_DEFAULTS.bootstrap },
  };
}
