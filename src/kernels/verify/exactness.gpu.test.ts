// Exactness with power, on the GPU: the distribution of what speculative verification emits must
// be the target's. V = 6, q far from p (TV ~0.5), every trial with its own drafts drawn from q
// (./exactness.ts); thousands of trials per dispatch; chi-square goodness of fit of token 1
// against p_0 and of tokens 1-2 against p_0 x p_1, fixed seeds, pass at p-value > 1e-3.
// Power: the negative control (accept with min(1, p/q) but correct from p instead of the
// residual) must be rejected at p-value < 1e-6 by the same test. Greedy must follow the argmax.
import { afterAll, describe, expect, test } from 'vitest';
import { testGpu } from '../../testing/gpu';
import { greedyViolation, runExactness, type ExactnessCase, type ExactnessOutcome, type VerifyRunner } from './exactness'; // prettier-ignore
import { runOnGpu } from './testing';
import { VerifyKernel } from './verify';

const TRIALS = 4096;
const kernels = new Map<string, Promise<VerifyKernel>>();
afterAll(async () => {
  for (const kernel of kernels.values()) (await kernel).destroy();
});

function gpuRunner(negativeControlCorrectionFromP = false): VerifyRunner {
  return async (shape, logits, tokens, params) => {
    const gpu = await testGpu();
    const key = `${JSON.stringify(shape)}${negativeControlCorrectionFromP}`;
    let kernel = kernels.get(key);
    if (!kernel)
      kernels.set(key, (kernel = VerifyKernel.create(gpu, shape, { negativeControlCorrectionFromP })));
    const results = await runOnGpu(gpu, await kernel, logits, tokens, params);
    expect(gpu.takeUncapturedErrors()).toEqual([]);
    return results;
  };
}

function log(name: string, outcome: ExactnessOutcome): void {
  const { first, joint } = outcome;
  console.warn(
    `${name}: token 1 X^2 ${first.statistic.toFixed(2)} (df ${first.df}) p-value ${first.pValue.toPrecision(3)}; ` +
      `tokens 1-2 X^2 ${joint.statistic.toFixed(2)} (df ${joint.df}, min expected ${joint.minExpected.toFixed(1)}) ` +
      `p-value ${joint.pValue.toPrecision(3)}; ${outcome.tokensPerRound.toFixed(2)} tokens per round`,
  );
}

const sample = (draftLength: number, candidates: number, seed: number): ExactnessCase => ({
  draftLength,
  candidates,
  mode: 'sample',
  draftModel: true,
  trials: TRIALS,
  seed,
});

describe('speculative verification emits the target distribution (chi-square, p-value > 1e-3)', () => {
  test.each<[string, ExactnessCase]>([
    ['speculative sampling K=1', sample(1, 1, 101)],
    ['speculative sampling K=2', sample(2, 1, 102)],
    ['speculative sampling K=3', sample(3, 1, 103)],
    ['speculative sampling K=4', sample(4, 1, 104)],
    ['SpecTr k=3 K=1', sample(1, 3, 111)],
    ['SpecTr k=3 K=2', sample(2, 3, 112)],
    ['SpecTr k=3 K=3', sample(3, 3, 113)],
    ['SpecTr k=3 K=4', sample(4, 3, 114)],
    ['deterministic draft K=2', { ...sample(2, 1, 121), draftModel: false }],
    ['deterministic draft, 3 candidates, K=3', { ...sample(3, 3, 122), draftModel: false }],
  ])('%s', async (name, c) => {
    const outcome = await runExactness(gpuRunner(), c);
    log(name, outcome);
    expect(outcome.joint.minExpected).toBeGreaterThanOrEqual(5);
    expect(outcome.first.pValue).toBeGreaterThan(1e-3);
    expect(outcome.joint.pValue).toBeGreaterThan(1e-3);
  });

  test('the negative control (correction from p, not the residual) is rejected at p-value < 1e-6', async () => {
    const outcome = await runExactness(gpuRunner(true), sample(2, 1, 102));
    log('negative control K=2', outcome);
    expect(outcome.first.pValue).toBeLessThan(1e-6);
    expect(outcome.joint.pValue).toBeLessThan(1e-6);
  });

  test.each<[string, ExactnessCase]>([
    ['greedy K=4', { ...sample(4, 1, 131), mode: 'greedy', trials: 512 }],
    ['greedy SpecTr k=3 K=3', { ...sample(3, 3, 132), mode: 'greedy', trials: 512 }],
  ])('%s follows the argmax path exactly', async (_name, c) => {
    const outcome = await runExactness(gpuRunner(), c);
    expect(greedyViolation(outcome, c)).toBeNull();
    // Drafts from q sometimes match the argmax, so both acceptance and correction are exercised.
    expect(outcome.rounds[0].some((r) => r.accepted > 0)).toBe(true);
    expect(outcome.rounds[0].some((r) => r.accepted === 0)).toBe(true);
  });
});
