// AdamW hyper-parameters and their validation (shared by the kernel, the reference and the
// trainer). Every refusal names the value and the accepted range.
import { KernelInputError } from '../../gpu/errors';

export interface AdamWHyperParameters {
  /** lr, the step size of this step (from the schedule); >= 0 and finite. */
  learningRate: number;
  /** beta1 in [0, 1); Loshchilov & Hutter and PyTorch: 0.9. */
  beta1: number;
  /** beta2 in [0, 1); 0.999 (LLM training often uses 0.95). */
  beta2: number;
  /** epsilon > 0, added to sqrt(v^); 1e-8. */
  epsilon: number;
  /** lambda >= 0, decoupled weight decay, multiplied by lr (PyTorch's convention); 0.01. */
  weightDecay: number;
  /** t >= 1, the 1-based step count used in the bias corrections. */
  step: number;
  /** Global gradient-norm clipping threshold > 0, or Infinity to turn clipping off. */
  maxGradientNorm: number;
}

export const ADAMW_DEFAULTS: Omit<AdamWHyperParameters, 'learningRate' | 'step'> = {
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0.01,
  maxGradientNorm: 1,
};

/** Largest t: beyond 2^24 the step count is no longer exact in f32-land callers. */
export const MAX_ADAMW_STEP = 2 ** 24;

function refuse(what: string, value: number, expected: string): never {
  throw new KernelInputError(`adamw: ${what} must be ${expected}, got ${value}`);
}

export function validateAdamW(h: AdamWHyperParameters): void {
  if (!(h.learningRate >= 0) || !Number.isFinite(h.learningRate))
    refuse('learningRate (lr)', h.learningRate, 'a finite number >= 0');
  if (!(h.beta1 >= 0 && h.beta1 < 1)) refuse('beta1', h.beta1, 'in [0, 1)');
  if (!(h.beta2 >= 0 && h.beta2 < 1)) refuse('beta2', h.beta2, 'in [0, 1)');
  if (!(h.epsilon > 0) || !Number.isFinite(h.epsilon)) refuse('epsilon', h.epsilon, 'a finite number > 0');
  if (!(h.weightDecay >= 0) || !Number.isFinite(h.weightDecay))
    refuse('weightDecay (lambda)', h.weightDecay, 'a finite number >= 0');
  if (!Number.isInteger(h.step) || h.step < 1 || h.step > MAX_ADAMW_STEP)
    refuse('step (t)', h.step, `an integer in 1..${MAX_ADAMW_STEP}`);
  if (!(h.maxGradientNorm > 0))
    refuse('maxGradientNorm', h.maxGradientNorm, '> 0 (Infinity turns clipping off)');
}

/** 1 - beta^t in f64, as the kernel receives it. */
export function biasCorrection(beta: number, step: number): number {
  return 1 - beta ** step;
}

/** PyTorch's clip_grad_norm_ coefficient: min(1, maxNorm / (norm + 1e-6)); 1 when clipping is off. */
export function clipScale(norm: number, maxGradientNorm: number): number {
  return maxGradientNorm === Infinity ? 1 : Math.min(1, maxGradientNorm / (norm + 1e-6));
}
