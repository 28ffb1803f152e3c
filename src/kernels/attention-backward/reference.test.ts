// The backward spec against central finite differences of the engine's forward spec
// (attentionReference): L = sum(O * W) with a fixed random W, so dL/dO = W is the dO fed to the
// backward. Inputs are f32 (the forward spec takes f32), so each step uses the exactly representable
// perturbation f32(x + h) - f32(x - h); the f64 forward then leaves truncation error O(h^2).
import { describe, expect, test } from 'vitest';
import { gaussian, seededRandom } from '../../testing/logits';
import { attentionReference } from '../attention/reference';
import { attentionBackwardReference, type AttentionBackwardShape } from './reference';

function randomArray(random: () => number, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => gaussian(random));
}

describe('attentionBackwardReference matches finite differences of the forward', () => {
  test.each([
    { tokens: 1, numHeads: 2, numKvHeads: 1, headDim: 2 },
    { tokens: 4, numHeads: 4, numKvHeads: 2, headDim: 4 },
    { tokens: 5, numHeads: 2, numKvHeads: 2, headDim: 6 },
  ])('T $tokens H $numHeads Hkv $numKvHeads D $headDim', (shape: AttentionBackwardShape) => {
    const { tokens: T, numHeads: H, numKvHeads: Hkv, headDim: D } = shape;
    const random = seededRandom(T * 100 + H * 10 + D);
    const inputs = {
      query: randomArray(random, T * H * D),
      key: randomArray(random, T * Hkv * D),
      value: randomArray(random, T * Hkv * D),
    };
    const weights = randomArray(random, T * H * D);
    const forwardShape = { queries: T, keys: T, numHeads: H, numKvHeads: Hkv, headDim: D, capacity: T };
    const loss = () => attentionReference(inputs, forwardShape).reduce((s, o, i) => s + o * weights[i], 0);
    const gradients = attentionBackwardReference({ ...inputs, outputGradient: weights }, shape);
    let worst = 0;
    for (const name of ['query', 'key', 'value'] as const) {
      const x = inputs[name];
      for (let i = 0; i < x.length; i++) {
        const original = x[i];
        x[i] = original + 1e-3;
        const up = x[i];
        const lossUp = loss();
        x[i] = original - 1e-3;
        const down = x[i];
        const lossDown = loss();
        x[i] = original;
        const numeric = (lossUp - lossDown) / (up - down);
        const error = Math.abs(numeric - gradients[name][i]) / (1e-3 + Math.abs(numeric));
        worst = Math.max(worst, error);
        expect(error, `${name}[${i}]: analytic ${gradients[name][i]} vs numeric ${numeric}`).toBeLessThan(
          1e-4,
        );
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });
});
