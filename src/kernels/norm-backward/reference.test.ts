// The backward spec is the derivative of the forward spec: every entry of dX, dGamma and dBeta
// against central differences of L = sum(dY * forward(x, gamma, beta)) in f64. Step h = 1e-5
// (times the value's scale): truncation O(h^2 f''') ~ 1e-10 and cancellation ~ 1e-16 / h ~ 1e-11
// relative to the output scale, so a 1e-7 tolerance has a wide margin and a wrong formula (a
// missing mean(g) or mean(g x^) term changes entries by O(1)) cannot pass.
import { describe, expect, test } from 'vitest';
import { gaussian, seededRandom } from '../../testing/logits';
import { layerNormReference, rmsNormReference } from '../norm/reference';
import { normBackwardReference } from './reference';

function randomArray(seed: number, count: number, scale: number, offset = 0): Float64Array {
  const random = seededRandom(seed);
  return Float64Array.from({ length: count }, () => offset + scale * gaussian(random));
}

function loss(
  layer: boolean,
  dy: Float64Array,
  x: Float64Array,
  gamma: Float64Array,
  beta: Float64Array,
  rows: number,
  dim: number,
  eps: number,
) {
  const y = layer
    ? layerNormReference(x, gamma, beta, rows, dim, eps)
    : rmsNormReference(x, gamma, rows, dim, eps);
  return y.reduce((sum, value, i) => sum + value * dy[i], 0);
}

function centralDifference(f: () => number, values: Float64Array, index: number, scale = 1): number {
  const original = values[index];
  const h = 1e-5 * Math.max(scale, Math.abs(original));
  values[index] = original + h;
  const up = f();
  values[index] = original - h;
  const down = f();
  values[index] = original;
  return (up - down) / (2 * h);
}

describe.each([
  ['LayerNorm', true],
  ['RMSNorm', false],
])('%s backward reference equals central differences of the forward reference', (_name, layer) => {
  test.each([
    { rows: 3, dim: 7, scale: 1, offset: 0, eps: 1e-5 },
    { rows: 2, dim: 16, scale: 0.5, offset: 3, eps: 1e-5 },
    { rows: 2, dim: 5, scale: 1e-3, offset: 0, eps: 1e-6 }, // eps matters
  ])('rows $rows d $dim scale $scale offset $offset', ({ rows, dim, scale, offset, eps }) => {
    const x = randomArray(rows * dim, rows * dim, scale, offset);
    const dy = randomArray(rows * dim + 1, rows * dim, 1);
    const gamma = randomArray(dim + 2, dim, 0.2, 1);
    const beta = randomArray(dim + 3, dim, 0.1);
    const f = () => loss(layer, dy, x, gamma, beta, rows, dim, eps);
    const got = normBackwardReference(layer, dy, x, gamma, rows, dim, eps);
    const check = (analytic: number, numeric: number, scaleOf: number) => {
      const error = Math.abs(analytic - numeric) / Math.max(1, scaleOf);
      expect(error, `analytic ${analytic} numeric ${numeric}`).toBeLessThan(1e-7);
    };
    for (let i = 0; i < rows * dim; i++)
      check(got.gradInput[i], centralDifference(f, x, i, scale), got.inverse[0]);
    for (let i = 0; i < dim; i++) {
      check(got.gradGamma[i], centralDifference(f, gamma, i), 1);
      if (layer) check(got.gradBeta[i], centralDifference(f, beta, i), 1);
      else expect(got.gradBeta[i]).toBe(0);
    }
  });
});
