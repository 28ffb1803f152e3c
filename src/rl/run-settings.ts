// The settings and step reports of the headless runners (./runner.ts, ./preference-runner.ts) as
// plain data, with their validation: no GPU here, so the UI, share links and unit tests can use
// them without a device.
import { ObjectiveInputError, requireInRange, requireNonNegative, requirePositive } from './errors';
import { GRPO_CLIP_EPSILON, GRPO_KL_BETA } from './grpo';
import type { PreferenceExample } from './preferences';
import type { RewardOptions, ShapesTask, TaskKind } from './tasks';

export interface GrpoSettings {
  objective: 'grpo' | 'tempo';
  task: TaskKind;
  taskSeed: number;
  /** Prompts per step (P) and rollouts per prompt (G >= 2). */
  promptsPerStep: number;
  groupSize: number;
  temperature: number;
  maxTokens: number;
  /** Philox seed of the rollouts. */
  seed: number;
  klBeta?: number;
  clipEpsilon?: number;
  /** TEMPO's lambda. */
  tdWeight?: number;
  /** Trainer steps per batch of rollouts (GRPO's mu; default 1). */
  updatesPerBatch?: number;
  /** Task index of the first step's first prompt (default 0). */
  firstIndex?: number;
  /**
   * A fixed pool of tasks (plain JSON, so it fits a share link), cycled P per step, instead of fresh
   * tasks of `task` and `taskSeed` every step: a fixed set on which the reward can be watched rising.
   */
  pool?: readonly ShapesTask[];
  reward?: RewardOptions;
}

export interface GroupSample {
  prompt: string;
  responses: string[];
  rewards: number[];
  /** Per response, the advantage the objective gave each response token (the heatmap's values). */
  tokenAdvantages: number[][];
}

export interface GrpoStep {
  step: number;
  meanReward: number;
  loss: number;
  /** Mean k3 KL(pi || ref) per response token before the (last) update; null when klBeta is 0. */
  kl: number | null;
  clipFraction: number;
  meanResponseLength: number;
  /** Sampling, including syncMs (rebuilding the inference model from the trainer's weights). */
  rolloutMs: number;
  syncMs: number;
  /** Reference log-probs plus the trainer steps (each with its forward-only pass for pi). */
  updateMs: number;
  /** Tokens sampled, and tokens (B * T over the micro-batches) each trainer step processed. */
  rolloutTokens: number;
  updateTokens: number;
  /** The first group of the step. */
  group: GroupSample;
}

/** Refuses settings a run cannot use, naming the value. */
export function validateGrpoSettings(settings: GrpoSettings): void {
  const name = settings.objective;
  if (!Number.isInteger(settings.promptsPerStep) || settings.promptsPerStep < 1) {
    throw new ObjectiveInputError(
      `${name}: promptsPerStep must be a whole number >= 1, got ${settings.promptsPerStep}`,
    );
  }
  if (!Number.isInteger(settings.groupSize) || settings.groupSize < 2) {
    throw new ObjectiveInputError(
      `${name}: groupSize must be a whole number >= 2 (advantages are relative to the group), got ${settings.groupSize}`,
    );
  }
  if (settings.pool !== undefined && settings.pool.length === 0) {
    throw new ObjectiveInputError(`${name}: the task pool is empty; give at least one task or leave it out`);
  }
  const updates = settings.updatesPerBatch ?? 1;
  if (!Number.isInteger(updates) || updates < 1) {
    throw new ObjectiveInputError(`${name}: updatesPerBatch must be a whole number >= 1, got ${updates}`);
  }
  requirePositive(name, 'temperature', settings.temperature, '1 samples from the policy itself');
  requireNonNegative(name, 'KL beta', settings.klBeta ?? GRPO_KL_BETA);
  requireInRange(name, 'clip epsilon', settings.clipEpsilon ?? GRPO_CLIP_EPSILON, {
    min: 0,
    minIncluded: false,
    max: 1,
    maxIncluded: false,
  });
}

export interface PreferenceSettings {
  objective: 'dpo' | 'robust-dpo' | 'd2o';
  examples: readonly PreferenceExample[];
  beta?: number;
  /** Robust DPO's e. */
  flipRate?: number;
  /** D2O's alpha, samples per prompt K, and how they are drawn. */
  alpha?: number;
  samplesPerPrompt?: number;
  temperature?: number;
  maxTokens?: number;
  seed?: number;
}

export interface PreferenceStep {
  step: number;
  loss: number;
  /** Mean of m = [log pi(y_w) - log ref(y_w)] - [log pi(y_l) - log ref(y_l)] over the pairs. */
  meanMargin: number;
  /** Share of pairs with m > 0. */
  accuracy: number;
  milliseconds: number;
  tokens: number;
}

export function marginSummary(margins: Float64Array): { meanMargin: number; accuracy: number } {
  let sum = 0;
  let positive = 0;
  for (const m of margins) {
    sum += m;
    if (m > 0) positive++;
  }
  return { meanMargin: sum / margins.length, accuracy: positive / margins.length };
}
