// Learning-rate schedule: linear warmup, then cosine decay to a floor (the schedule of GPT-3,
// Brown et al., "Language Models are Few-Shot Learners", and of nanoGPT; Loshchilov & Hutter,
// "SGDR: Stochastic Gradient Descent with Warm Restarts" for the cosine shape, without restarts).
//
//   step < warmup:            lr = peak * (step + 1) / warmup     (nanoGPT: step 0 already moves)
//   warmup <= step <= total:  lr = floor + (peak - floor) * (1 + cos(pi * progress)) / 2,
//                             progress = (step - warmup) / max(1, total - warmup)
//   step > total:             lr = floor
//
// Interpretation: warmup ends at peak on step `warmup` exactly; steps are 0-based.
import { KernelInputError } from '../../gpu/errors';

export interface LearningRateSchedule {
  warmupSteps: number;
  totalSteps: number;
  peak: number;
  floor: number;
}

function refuse(what: string, value: number, expected: string): never {
  throw new KernelInputError(`learning-rate schedule: ${what} must be ${expected}, got ${value}`);
}

export function validateSchedule(s: LearningRateSchedule): void {
  if (!Number.isInteger(s.warmupSteps) || s.warmupSteps < 0)
    refuse('warmupSteps', s.warmupSteps, 'an integer >= 0');
  if (!Number.isInteger(s.totalSteps) || s.totalSteps < s.warmupSteps)
    refuse('totalSteps', s.totalSteps, `an integer >= warmupSteps (${s.warmupSteps})`);
  if (!(s.peak >= 0) || !Number.isFinite(s.peak)) refuse('peak', s.peak, 'a finite number >= 0');
  if (!(s.floor >= 0 && s.floor <= s.peak)) refuse('floor', s.floor, `in [0, peak = ${s.peak}]`);
}

/** The learning rate of 0-based `step`. */
export function learningRateAt(schedule: LearningRateSchedule, step: number): number {
  validateSchedule(schedule);
  if (!Number.isInteger(step) || step < 0) refuse('step', step, 'an integer >= 0');
  const { warmupSteps, totalSteps, peak, floor } = schedule;
  if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  if (step > totalSteps) return floor;
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  return floor + ((peak - floor) * (1 + Math.cos(Math.PI * progress))) / 2;
}
