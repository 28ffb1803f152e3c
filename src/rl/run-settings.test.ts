// The runners' pure parts (./run-settings.ts): settings refused with their value, and the margin summary. The runs
// themselves need a GPU (./runner.gpu.test.ts).
import { describe, expect, test } from 'vitest';
import { marginSummary, validateGrpoSettings, type GrpoSettings } from './run-settings';
import { sampleTasks } from './tasks';

const SETTINGS: GrpoSettings = {
  objective: 'grpo',
  task: 'object',
  taskSeed: 1,
  promptsPerStep: 2,
  groupSize: 8,
  temperature: 1,
  maxTokens: 3,
  seed: 1,
};

describe('GRPO run settings', () => {
  test('valid settings pass', () => {
    expect(() => validateGrpoSettings(SETTINGS)).not.toThrow();
    expect(() => validateGrpoSettings({ ...SETTINGS, pool: sampleTasks('object', 1, 3) })).not.toThrow();
  });

  test.each([
    [{ groupSize: 1 }, /groupSize must be a whole number >= 2.*got 1/],
    [{ promptsPerStep: 0 }, /promptsPerStep must be a whole number >= 1, got 0/],
    [{ temperature: 0 }, /temperature/],
    [{ updatesPerBatch: 1.5 }, /updatesPerBatch must be a whole number >= 1, got 1.5/],
    [{ klBeta: -1 }, /KL beta/],
    [{ clipEpsilon: 1 }, /clip epsilon/],
    [{ pool: [] }, /the task pool is empty/],
  ] as const)('refuses %o', (change, message) => {
    expect(() => validateGrpoSettings({ ...SETTINGS, ...change })).toThrow(message);
  });
});

describe('marginSummary', () => {
  test('mean margin and the share of pairs with a positive margin (0 does not count)', () => {
    expect(marginSummary(Float64Array.from([2, -1, 0, 3]))).toEqual({ meanMargin: 1, accuracy: 0.5 });
  });
});
