import { describe, expect, test } from 'vitest';
import { geluReference, geluTanhForm, siluReference } from './reference';

describe('activation references', () => {
  test('GELU: the exp form equals the tanh form where the tanh form is accurate (|x| <= 5)', () => {
    for (let x = -5; x <= 5; x += 0.01) {
      expect(Math.abs(geluReference(x) - geluTanhForm(x))).toBeLessThanOrEqual(
        1e-15 * Math.max(1, Math.abs(x)),
      );
    }
  });
  test('GELU known values and limits', () => {
    expect(geluReference(0)).toBe(0);
    expect(geluReference(1)).toBeCloseTo(0.8411919906082768, 15);
    expect(geluReference(1e4)).toBe(1e4);
    expect(geluReference(-1e4)).toBe(-0);
    // The tanh form has lost every digit here; the exp form keeps the tiny negative value.
    expect(geluTanhForm(-9)).toBe(-0);
    expect(geluReference(-9)).toBeLessThan(0);
    expect(geluReference(-9)).toBeGreaterThan(-1e-27);
  });
  test('SiLU known values', () => {
    expect(siluReference(0)).toBe(0);
    expect(siluReference(1)).toBeCloseTo(0.7310585786300049, 15);
    expect(siluReference(-1e4)).toBe(-0);
    expect(siluReference(1e4)).toBe(1e4);
  });
});
