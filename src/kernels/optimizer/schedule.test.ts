import { describe, expect, test } from 'vitest';
import { learningRateAt, type LearningRateSchedule } from './schedule';

const schedule: LearningRateSchedule = { warmupSteps: 10, totalSteps: 110, peak: 1e-3, floor: 1e-4 };

describe('warmup then cosine decay to a floor', () => {
  test('linear warmup reaches peak at step warmupSteps', () => {
    expect(learningRateAt(schedule, 0)).toBeCloseTo(1e-4, 15);
    expect(learningRateAt(schedule, 4)).toBeCloseTo(5e-4, 15);
    expect(learningRateAt(schedule, 9)).toBeCloseTo(1e-3, 15);
    expect(learningRateAt(schedule, 10)).toBe(1e-3);
  });
  test('cosine: halfway is the mean of peak and floor, the end and after are the floor', () => {
    expect(learningRateAt(schedule, 60)).toBeCloseTo(5.5e-4, 15);
    expect(learningRateAt(schedule, 110)).toBeCloseTo(1e-4, 15);
    expect(learningRateAt(schedule, 1000)).toBe(1e-4);
  });
  test('monotone: rises during warmup, never rises after', () => {
    let last = 0;
    for (let step = 0; step <= 120; step++) {
      const lr = learningRateAt(schedule, step);
      if (step <= 10) expect(lr).toBeGreaterThanOrEqual(last);
      else expect(lr).toBeLessThanOrEqual(last);
      last = lr;
    }
  });
  test('no warmup starts at peak; totalSteps = warmupSteps goes straight to the floor after', () => {
    expect(learningRateAt({ ...schedule, warmupSteps: 0 }, 0)).toBe(1e-3);
    const flat = { warmupSteps: 5, totalSteps: 5, peak: 1, floor: 0.5 };
    expect(learningRateAt(flat, 4)).toBe(1);
    expect(learningRateAt(flat, 6)).toBe(0.5);
  });
});

describe('bad schedules are refused with the value named', () => {
  test.each([
    [{ ...schedule, warmupSteps: -1 }, 0, /warmupSteps must be an integer >= 0, got -1/],
    [{ ...schedule, warmupSteps: 2.5 }, 0, /warmupSteps must be an integer >= 0, got 2.5/],
    [{ ...schedule, totalSteps: 5 }, 0, /totalSteps must be an integer >= warmupSteps \(10\), got 5/],
    [{ ...schedule, peak: NaN }, 0, /peak must be a finite number >= 0, got NaN/],
    [{ ...schedule, floor: 2e-3 }, 0, /floor must be in \[0, peak = 0.001\], got 0.002/],
    [schedule, -1, /step must be an integer >= 0, got -1/],
  ])('%o step %d', (s, step, message) => {
    expect(() => learningRateAt(s, step)).toThrow(message);
  });
});
