// The reference against hand-computed values, and the validation of the hyper-parameters.
import { describe, expect, test } from 'vitest';
import { KernelInputError } from '../../gpu/errors';
import { ADAMW_DEFAULTS, validateAdamW, type AdamWHyperParameters } from './params';
import { adamWStepReference, gradientNormReference, type AdamWStateReference } from './reference';

const hyper: AdamWHyperParameters = {
  ...ADAMW_DEFAULTS,
  learningRate: 0.1,
  step: 1,
  maxGradientNorm: Infinity,
};

function state(values: number[], decay: boolean): AdamWStateReference {
  const n = values.length;
  return {
    parameter: Float64Array.from(values),
    firstMoment: new Float64Array(n),
    secondMoment: new Float64Array(n),
    decay,
  };
}

describe('gradientNormReference', () => {
  test('norm over all tensors, NaN/Inf counted per tensor and left out of the sum', () => {
    const result = gradientNormReference([[3], [4, NaN, -Infinity], [Infinity]]);
    expect(result).toEqual({ norm: 5, nonFinite: 3, nonFinitePerTensor: [0, 2, 1] });
  });
});

describe('adamWStepReference', () => {
  test('first step without clipping moves each entry by about lr against the gradient sign', () => {
    const tensor = state([1, -2], false);
    adamWStepReference([tensor], [[0.5, -3]], hyper);
    // t = 1: m^ = g, v^ = g^2, so the update is lr * g / (|g| + eps).
    expect(tensor.parameter[0]).toBeCloseTo(1 - 0.1 * (0.5 / (0.5 + 1e-8)), 14);
    expect(tensor.parameter[1]).toBeCloseTo(-2 + 0.1 * (3 / (3 + 1e-8)), 14);
    expect(tensor.firstMoment[0]).toBeCloseTo(0.05, 15);
    expect(tensor.firstMoment[1]).toBeCloseTo(-0.3, 15);
  });
  test('decoupled weight decay only on tensors with decay', () => {
    const [weights, bias] = [state([2], true), state([2], false)];
    adamWStepReference([weights, bias], [[0], [0]], { ...hyper, weightDecay: 0.5 });
    expect(weights.parameter[0]).toBeCloseTo(2 - 0.1 * 0.5 * 2, 14);
    expect(bias.parameter[0]).toBe(2);
  });
  test('clipping scales g by maxNorm / (||g|| + 1e-6) over all tensors', () => {
    const tensor = state([0, 0], false);
    adamWStepReference([tensor], [[3, 4]], { ...hyper, maxGradientNorm: 1 });
    const c = 1 / (5 + 1e-6);
    expect(tensor.firstMoment[0]).toBeCloseTo(0.1 * 3 * c, 15);
    expect(tensor.secondMoment[1]).toBeCloseTo(0.001 * (4 * c) ** 2, 15);
  });
  test('a NaN gradient anywhere leaves every tensor unchanged', () => {
    const [a, b] = [state([1, 2], true), state([3], false)];
    const result = adamWStepReference([a, b], [[1, 1], [NaN]], hyper);
    expect(result.applied).toBe(false);
    expect(Array.from(a.parameter)).toEqual([1, 2]);
    expect(Array.from(a.firstMoment)).toEqual([0, 0]);
    expect(Array.from(b.parameter)).toEqual([3]);
  });
});

describe('bad hyper-parameters are refused with the value named', () => {
  test.each([
    [{ learningRate: -1 }, /adamw: learningRate \(lr\) must be a finite number >= 0, got -1/],
    [{ learningRate: Infinity }, /learningRate \(lr\) must be a finite number >= 0, got Infinity/],
    [{ beta1: 1 }, /adamw: beta1 must be in \[0, 1\), got 1/],
    [{ beta2: -0.1 }, /adamw: beta2 must be in \[0, 1\), got -0.1/],
    [{ epsilon: 0 }, /adamw: epsilon must be a finite number > 0, got 0/],
    [{ weightDecay: -0.01 }, /weightDecay \(lambda\) must be a finite number >= 0, got -0.01/],
    [{ step: 0 }, /adamw: step \(t\) must be an integer in 1\.\.16777216, got 0/],
    [{ step: 1.5 }, /step \(t\) must be an integer in 1\.\.16777216, got 1.5/],
    [{ maxGradientNorm: 0 }, /maxGradientNorm must be > 0 \(Infinity turns clipping off\), got 0/],
    [{ maxGradientNorm: NaN }, /maxGradientNorm must be > 0 \(Infinity turns clipping off\), got NaN/],
  ])('%o', (change, message) => {
    expect(() => validateAdamW({ ...hyper, ...change })).toThrow(KernelInputError);
    expect(() => validateAdamW({ ...hyper, ...change })).toThrow(message);
  });
  test('the defaults and clipping off are accepted', () => {
    expect(() => validateAdamW(hyper)).not.toThrow();
    expect(() => validateAdamW({ ...hyper, maxGradientNorm: 1 })).not.toThrow();
  });
});
