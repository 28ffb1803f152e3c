// The backward spec is the derivative of the forward spec: central differences of
// src/kernels/activation/reference.ts in f64 with h = 1e-6 max(1, |x|): truncation h^2 f''' / 6
// ~ 1e-12 and cancellation ~ 1e-16 |f| / h ~ 1e-10 max(1, |x|), so 1e-8 max(1, |f'|, |x|) has a
// wide margin, and a wrong formula (e.g. 1 - s in place of s (1 - s)) is off by O(1e-2) or more.
import { describe, expect, test } from 'vitest';
import { geluReference, siluReference, swigluReference } from '../activation/reference';
import { SPECIAL_INPUTS } from '../activation/testing';
import { geluDerivativeReference, siluDerivativeReference, swigluBackwardReference } from './reference';

function centralDifference(f: (x: number) => number, x: number): number {
  const h = 1e-6 * Math.max(1, Math.abs(x));
  return (f(x + h) - f(x - h)) / (2 * h);
}

const GRID = Array.from({ length: 2001 }, (_, i) => -12 + i * 0.012);

describe('activation backward references equal central differences of the forward references', () => {
  test.each([
    ['gelu', geluReference, geluDerivativeReference],
    ['silu', siluReference, siluDerivativeReference],
  ] as const)('%s on [-12, 12]', (_name, f, derivative) => {
    for (const x of GRID) {
      const numeric = centralDifference(f, x);
      const tolerance = 1e-8 * Math.max(1, Math.abs(numeric), Math.abs(x));
      expect(Math.abs(derivative(x) - numeric), `x ${x}`).toBeLessThanOrEqual(tolerance);
    }
  });

  test('limits: finite everywhere, 1 and 0 in the tails, 0.5 at 0', () => {
    for (const x of SPECIAL_INPUTS) {
      expect(Number.isFinite(geluDerivativeReference(x)), `gelu' ${x}`).toBe(true);
      expect(Number.isFinite(siluDerivativeReference(x)), `silu' ${x}`).toBe(true);
    }
    for (const derivative of [geluDerivativeReference, siluDerivativeReference]) {
      expect(derivative(0)).toBe(0.5);
      expect(derivative(3e38)).toBe(1);
      expect(Math.abs(derivative(-3e38))).toBe(0);
      expect(derivative(1e4)).toBe(1);
    }
  });

  test('SwiGLU on the packed layout: both halves against differences of silu(gate) * up', () => {
    const [rows, intermediate] = [2, 3];
    const packed = Float32Array.from({ length: rows * 2 * intermediate }, (_, i) => Math.sin(i * 1.7) * 3);
    const gradOutput = Float64Array.from({ length: rows * intermediate }, (_, i) => Math.cos(i) + 0.5);
    const got = swigluBackwardReference(packed, gradOutput, rows, intermediate);
    for (let k = 0; k < packed.length; k++) {
      const r = Math.floor(k / (2 * intermediate));
      const column = k % (2 * intermediate);
      const j = column % intermediate;
      const isGate = column < intermediate;
      const gate = packed[r * 2 * intermediate + j];
      const up = packed[r * 2 * intermediate + intermediate + j];
      const dOut = gradOutput[r * intermediate + j];
      const numeric = isGate
        ? centralDifference((g) => swigluReference([g], [up])[0] * dOut, gate)
        : centralDifference((u) => swigluReference([gate], [u])[0] * dOut, up);
      expect(Math.abs(got[k] - numeric), `element ${k}`).toBeLessThanOrEqual(
        1e-8 * Math.max(1, Math.abs(numeric)),
      );
    }
  });
});
