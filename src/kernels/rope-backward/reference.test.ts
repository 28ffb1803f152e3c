// The backward spec is the derivative of the forward spec: RoPE is linear in x, so central
// differences of L = sum(dY * rope(x)) are exact up to rounding (~1e-16 / h with h = 1e-3): every
// entry of dX, including the pass-through elements outside the rotated heads, to 1e-11.
import { describe, expect, test } from 'vitest';
import { gaussianArray } from '../matmul/testing';
import { ropeInverseFrequencies } from '../rope/frequencies';
import { ropeReference, type RopeReferenceShape } from '../rope/reference';
import { ropeBackwardReference } from './reference';

describe('RoPE backward reference equals central differences of the forward reference', () => {
  test.each([
    { tokens: 3, heads: 2, headDim: 8 },
    { tokens: 2, heads: 1, headDim: 6, rowStride: 11, offset: 3 },
  ] as RopeReferenceShape[])('%o', (shape) => {
    const positions = [0, 5, 32767].slice(0, shape.tokens);
    const inverse = ropeInverseFrequencies(shape.headDim, 1e4);
    const length = shape.tokens * (shape.rowStride ?? shape.heads * shape.headDim);
    const x = Float64Array.from(gaussianArray(1, length));
    const dy = Float64Array.from(gaussianArray(2, length));
    const loss = () => ropeReference(x, positions, inverse, shape).reduce((sum, y, i) => sum + y * dy[i], 0);
    const got = ropeBackwardReference(dy, positions, inverse, shape);
    const h = 1e-3;
    for (let i = 0; i < length; i++) {
      const original = x[i];
      x[i] = original + h;
      const up = loss();
      x[i] = original - h;
      const down = loss();
      x[i] = original;
      expect(Math.abs(got[i] - (up - down) / (2 * h)), `element ${i}`).toBeLessThan(1e-11);
    }
  });
});
