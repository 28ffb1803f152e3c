// Hyper-parameter validation: each refusal names the field and the value, through the optimizer's
// own validators where they apply.
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAINING_SETTINGS, TrainingSettingsError, optimizerOf, settingsProblem, validateTrainingSettings } from './settings'; // prettier-ignore

const withValue = (patch: Partial<typeof DEFAULT_TRAINING_SETTINGS>) => ({
  ...DEFAULT_TRAINING_SETTINGS,
  ...patch,
});

describe('validateTrainingSettings', () => {
  it('accepts the defaults', () => {
    expect(() => validateTrainingSettings(DEFAULT_TRAINING_SETTINGS)).not.toThrow();
    expect(settingsProblem(DEFAULT_TRAINING_SETTINGS)).toBeNull();
  });

  it.each([
    [{ learningRate: -1 }, 'learningRate', 'adamw: learningRate (lr) must be a finite number >= 0, got -1'],
    [{ learningRate: Number.NaN }, 'learningRate', 'got NaN'],
    [{ minLearningRate: 0.5 }, 'minLearningRate', 'floor must be in [0, peak = 0.003], got 0.5'],
    [{ warmupSteps: 2.5 }, 'warmupSteps', 'warmupSteps must be an integer >= 0, got 2.5'],
    [{ warmupSteps: 400 }, 'totalSteps', 'totalSteps must be an integer >= warmupSteps (400), got 300'],
    [{ totalSteps: 0 }, 'totalSteps', 'total steps must be an integer in 1..100000, got 0'],
    [{ batchSize: 0 }, 'batchSize', 'batch size must be an integer in 1..256, got 0'],
    [{ contextLength: 1 }, 'contextLength', 'context length must be an integer in 2..1024, got 1'],
    [
      { gradientAccumulation: 1.5 },
      'gradientAccumulation',
      'gradient accumulation must be an integer in 1..64, got 1.5',
    ],
    [{ weightDecay: -0.1 }, 'weightDecay', 'weightDecay (lambda) must be a finite number >= 0, got -0.1'],
    [{ beta2: 1 }, 'beta2', 'beta2 must be in [0, 1), got 1'],
    [
      { maxGradientNorm: -1 },
      'maxGradientNorm',
      'gradient clip must be a finite number > 0, or 0 to turn clipping off, got -1',
    ],
    [{ seed: -3 }, 'seed', 'seed must be an integer in 0..4294967295, got -3'],
  ] as const)('%o is refused on %s', (patch, field, message) => {
    const problem = settingsProblem(withValue(patch));
    expect(problem?.field).toBe(field);
    expect(problem?.message).toContain(message);
    expect(() => validateTrainingSettings(withValue(patch))).toThrow(TrainingSettingsError);
  });

  it('a loaded model caps the context length at its max_position_embeddings', () => {
    expect(settingsProblem(withValue({ contextLength: 64 }), 32)?.message).toBe(
      'context length must be an integer in 2..32, got 64',
    );
  });

  it('clip 0 means no clipping for the optimizer', () => {
    expect(optimizerOf(withValue({ maxGradientNorm: 0 })).maxGradientNorm).toBe(Infinity);
    expect(optimizerOf(withValue({ maxGradientNorm: 2 })).maxGradientNorm).toBe(2);
  });
});
