// The Train workbench's hyper-parameters, their defaults, and their validation. The UI validates
// as the user types and the worker validates again before it builds anything, with the same
// function: a refusal names the field and the value ("adamw: learningRate (lr) must be a finite
// number >= 0, got -1"). Learning rate, betas, weight decay, clipping and the schedule are checked
// by the optimizer's own validators (src/kernels/optimizer), so the UI cannot accept a value the
// kernels would refuse.
import { KernelInputError } from '../gpu/errors';
import { validateAdamW, type AdamWHyperParameters } from '../kernels/optimizer/params';
import { validateSchedule, type LearningRateSchedule } from '../kernels/optimizer/schedule';

export interface TrainingSettings {
  /** Peak learning rate (after warmup). */
  learningRate: number;
  /** The cosine schedule's floor, reached at the last step. */
  minLearningRate: number;
  warmupSteps: number;
  /** Optimizer updates to run. */
  totalSteps: number;
  /** B: sequences per micro-batch. */
  batchSize: number;
  /** T: tokens per sequence. */
  contextLength: number;
  /** Micro-batches whose gradients are summed before each update. */
  gradientAccumulation: number;
  weightDecay: number;
  /** Global gradient-norm clip; 0 turns clipping off. */
  maxGradientNorm: number;
  beta1: number;
  beta2: number;
  /** Seeds the new model's initial weights and the batch sampler. */
  seed: number;
}

/**
 * Defaults for a character model on the built-in corpus: Karpathy's char-level nanoGPT settings
 * (lr 1e-3 with beta2 0.99 for small batches) at a higher peak, since the models are far smaller.
 */
export const DEFAULT_TRAINING_SETTINGS: TrainingSettings = {
  learningRate: 3e-3,
  minLearningRate: 3e-4,
  warmupSteps: 20,
  totalSteps: 300,
  batchSize: 8,
  contextLength: 64,
  gradientAccumulation: 1,
  weightDecay: 0.01,
  maxGradientNorm: 1,
  beta1: 0.9,
  beta2: 0.99,
  seed: 1,
};

export const SETTING_LIMITS = {
  batchSize: 256,
  contextLength: 1024,
  gradientAccumulation: 64,
  totalSteps: 100_000,
} as const;

export type SettingField = keyof TrainingSettings;

export class TrainingSettingsError extends Error {
  constructor(
    readonly field: SettingField,
    message: string,
  ) {
    super(message);
    this.name = 'TrainingSettingsError';
  }
}

function integerIn(settings: TrainingSettings, field: SettingField, what: string, min: number, max: number) {
  const value = settings[field];
  if (!Number.isInteger(value) || value < min || value > max)
    throw new TrainingSettingsError(field, `${what} must be an integer in ${min}..${max}, got ${value}`);
}

// Which field a message of validateAdamW / validateSchedule is about, from the name it starts with.
const KERNEL_FIELDS: [RegExp, SettingField][] = [
  [/^adamw: learningRate/, 'learningRate'],
  [/^adamw: beta1/, 'beta1'],
  [/^adamw: beta2/, 'beta2'],
  [/^adamw: weightDecay/, 'weightDecay'],
  [/^adamw: maxGradientNorm/, 'maxGradientNorm'],
  [/^learning-rate schedule: warmupSteps/, 'warmupSteps'],
  [/^learning-rate schedule: totalSteps/, 'totalSteps'],
  [/^learning-rate schedule: peak/, 'learningRate'],
  [/^learning-rate schedule: floor/, 'minLearningRate'],
];

/** AdamW settings as the trainer takes them (the learning rate comes from the schedule). */
export function optimizerOf(s: TrainingSettings): Omit<AdamWHyperParameters, 'learningRate' | 'step'> {
  return {
    beta1: s.beta1,
    beta2: s.beta2,
    epsilon: 1e-8,
    weightDecay: s.weightDecay,
    maxGradientNorm: s.maxGradientNorm === 0 ? Infinity : s.maxGradientNorm,
  };
}

export function scheduleOf(s: TrainingSettings): LearningRateSchedule {
  return {
    warmupSteps: s.warmupSteps,
    totalSteps: s.totalSteps,
    peak: s.learningRate,
    floor: s.minLearningRate,
  };
}

/**
 * Throws a TrainingSettingsError naming the first refused field and its value. `maxPositions` is
 * the model's context when training a loaded model (the context length cannot exceed it).
 */
export function validateTrainingSettings(s: TrainingSettings, maxPositions?: number): void {
  integerIn(s, 'totalSteps', 'total steps', 1, SETTING_LIMITS.totalSteps);
  integerIn(s, 'batchSize', 'batch size', 1, SETTING_LIMITS.batchSize);
  integerIn(s, 'contextLength', 'context length', 2, maxPositions ?? SETTING_LIMITS.contextLength);
  integerIn(s, 'gradientAccumulation', 'gradient accumulation', 1, SETTING_LIMITS.gradientAccumulation);
  integerIn(s, 'seed', 'seed', 0, 2 ** 32 - 1);
  if (!(s.maxGradientNorm >= 0) || !Number.isFinite(s.maxGradientNorm))
    throw new TrainingSettingsError(
      'maxGradientNorm',
      `gradient clip must be a finite number > 0, or 0 to turn clipping off, got ${s.maxGradientNorm}`,
    );
  try {
    validateAdamW({ ...optimizerOf(s), learningRate: s.learningRate, step: 1 });
    validateSchedule(scheduleOf(s));
  } catch (cause) {
    if (!(cause instanceof KernelInputError)) throw cause;
    const field = KERNEL_FIELDS.find(([pattern]) => pattern.test(cause.message))?.[1] ?? 'learningRate';
    throw new TrainingSettingsError(field, cause.message);
  }
}

/** The first problem as {field, message}, or null when the settings are valid (for forms). */
export function settingsProblem(
  s: TrainingSettings,
  maxPositions?: number,
): { field: SettingField; message: string } | null {
  try {
    validateTrainingSettings(s, maxPositions);
    return null;
  } catch (cause) {
    if (cause instanceof TrainingSettingsError) return { field: cause.field, message: cause.message };
    throw cause;
  }
}
