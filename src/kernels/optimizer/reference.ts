// The spec of the optimizer kernels (./gradient-norm.ts, ./adamw.ts): plain loops in f64.
//   ||g||_2 = sqrt(sum over every tensor and entry of g^2), finite entries only; nonFinite counts
//   the NaN/Inf entries. A step with nonFinite > 0 (or an infinite norm) changes nothing.
//   AdamW (Loshchilov & Hutter), with c = min(1, maxNorm / (||g|| + 1e-6)), g' = c g:
//     m = b1 m + (1 - b1) g';  v = b2 v + (1 - b2) g'^2
//     p = p - lr (m / (1 - b1^t) / (sqrt(v / (1 - b2^t)) + eps) + lambda p)
import { biasCorrection, clipScale, validateAdamW, type AdamWHyperParameters } from './params';

export interface GradientNormReference {
  norm: number;
  nonFinite: number;
  nonFinitePerTensor: number[];
}

/** gradients: one [n_i] array per tensor. */
export function gradientNormReference(gradients: readonly ArrayLike<number>[]): GradientNormReference {
  let squares = 0;
  let nonFinite = 0;
  const nonFinitePerTensor: number[] = [];
  for (const gradient of gradients) {
    let count = 0;
    for (let i = 0; i < gradient.length; i++) {
      if (Number.isFinite(gradient[i])) squares += gradient[i] * gradient[i];
      else count++;
    }
    nonFinitePerTensor.push(count);
    nonFinite += count;
  }
  return { norm: Math.sqrt(squares), nonFinite, nonFinitePerTensor };
}

export interface AdamWStateReference {
  parameter: Float64Array;
  firstMoment: Float64Array;
  secondMoment: Float64Array;
  /** Whether weight decay applies (weights: yes; norms and biases usually not). */
  decay: boolean;
}

/** One AdamW step over every tensor, in place. Returns false (and changes nothing) on a non-finite gradient. */
export function adamWStepReference(
  state: readonly AdamWStateReference[],
  gradients: readonly ArrayLike<number>[],
  h: AdamWHyperParameters,
): { applied: boolean; norm: number } {
  validateAdamW(h);
  const { norm, nonFinite } = gradientNormReference(gradients);
  if (nonFinite > 0 || !Number.isFinite(norm)) return { applied: false, norm };
  const c = clipScale(norm, h.maxGradientNorm);
  const bc1 = biasCorrection(h.beta1, h.step);
  const bc2 = biasCorrection(h.beta2, h.step);
  state.forEach((tensor, k) => {
    const lambda = tensor.decay ? h.weightDecay : 0;
    for (let i = 0; i < tensor.parameter.length; i++) {
      const g = c * gradients[k][i];
      const m = h.beta1 * tensor.firstMoment[i] + (1 - h.beta1) * g;
      const v = h.beta2 * tensor.secondMoment[i] + (1 - h.beta2) * g * g;
      tensor.firstMoment[i] = m;
      tensor.secondMoment[i] = v;
      const p = tensor.parameter[i];
      tensor.parameter[i] = p - h.learningRate * (m / bc1 / (Math.sqrt(v / bc2) + h.epsilon) + lambda * p);
    }
  });
  return { applied: true, norm };
}
