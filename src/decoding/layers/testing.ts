// Shared assertion of the layer methods' GPU tests: a fused-pipeline step row against the CPU
// evaluation of the method's formula (./reference.ts).
import { expect } from 'vitest';
import type { StepRow } from '../../kernels/logits/fused';
import type { ReferenceStep } from './reference';

/**
 * Engine logits match the reference model to ~2e-5 of their scale (src/model/engine/testing.ts);
 * after log-softmax and a weighted sum of up to four rows, probabilities agree to well under 1e-4.
 */
export const PROBABILITY_TOLERANCE = 1e-4;

/** Same token, same |V_head|, same top-10 probabilities (by rank and by id), same entropy. */
export function expectSameStep(row: StepRow, token: number, want: ReferenceStep): void {
  expect(token).toBe(want.token);
  expect(row.plausibleCount).toBe(want.summary.finiteCount);
  expect(row.combined.top.length).toBe(want.summary.top.length);
  const cpuProbability = (id: number) => Math.exp(want.combined[id] - want.summary.lse);
  row.combined.top.forEach((entry, rank) => {
    expect(Math.abs(entry.prob - want.summary.top[rank].prob), `rank ${rank}`).toBeLessThan(
      PROBABILITY_TOLERANCE,
    );
    expect(Math.abs(entry.prob - cpuProbability(entry.id)), `token ${entry.id}`).toBeLessThan(
      PROBABILITY_TOLERANCE,
    );
  });
  expect(Math.abs(row.combined.entropy - want.summary.entropy)).toBeLessThan(1e-3);
}
