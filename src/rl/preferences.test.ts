// Preference sets: deterministic, chosen right and rejected wrong by the task's own reward, the
// label-flip rate flips about that share of pairs without changing the pairs, refusals; packed into
// a batch they feed DPO with the reference model's sequence log-probs.
import { describe, expect, test } from 'vitest';
import { dpoObjective } from './dpo';
import { preferenceSet } from './preferences';
import { preferenceBatch, responseText, withReferenceLogProbs } from './sequences';
import { TASK_KINDS, taskReward } from './tasks';
import { FD_ABSOLUTE, FD_RELATIVE, finiteDifferenceWeights, firstMismatch, randomLogProbs } from './testing';

describe('preference sets', () => {
  test.each(TASK_KINDS)('%s: deterministic; chosen has reward 1, rejected 0', (kind) => {
    const pairs = preferenceSet({ kind, seed: 5, count: 30 });
    expect(preferenceSet({ kind, seed: 5, count: 30 })).toEqual(pairs);
    for (const p of pairs) {
      expect(p.flipped).toBe(false);
      expect(taskReward(p.task, p.chosen)).toBe(1);
      expect(taskReward(p.task, p.rejected)).toBe(0);
      expect(p.chosen).not.toBe(p.rejected);
    }
  });

  test('flip rate e swaps the labels of about e of the pairs, and only the labels', () => {
    const clean = preferenceSet({ kind: 'object', seed: 9, count: 400 });
    const noisy = preferenceSet({ kind: 'object', seed: 9, count: 400, flipRate: 0.3 });
    const flipped = noisy.filter((p) => p.flipped);
    // Binomial(400, 0.3): mean 120, sd 9.2.
    expect(flipped.length).toBeGreaterThan(120 - 4 * 9.2);
    expect(flipped.length).toBeLessThan(120 + 4 * 9.2);
    noisy.forEach((p, i) => {
      expect(p.task).toEqual(clean[i].task);
      expect([p.chosen, p.rejected]).toEqual(
        p.flipped ? [clean[i].rejected, clean[i].chosen] : [clean[i].chosen, clean[i].rejected],
      );
      expect(taskReward(p.task, p.chosen)).toBe(p.flipped ? 0 : 1);
    });
  });

  test('held-out sets come from another index range of the same seed', () => {
    const train = preferenceSet({ kind: 'count', seed: 3, count: 10 });
    const held = preferenceSet({ kind: 'count', seed: 3, count: 10, firstIndex: 10 });
    expect(preferenceSet({ kind: 'count', seed: 3, count: 20 }).slice(10)).toEqual(held);
    expect(held).not.toEqual(train);
  });

  test('refuses an empty set, a fractional count, a flip rate outside [0, 1]', () => {
    expect(() => preferenceSet({ kind: 'object', seed: 1, count: 0 })).toThrow(/empty preference set/);
    expect(() => preferenceSet({ kind: 'object', seed: 1, count: 2.5 })).toThrow(
      /count must be a whole number >= 1, got 2.5/,
    );
    expect(() => preferenceSet({ kind: 'object', seed: 1, count: 3, flipRate: 1.5 })).toThrow(
      /preferences: flip rate must be in \[0, 1\], got 1.5/,
    );
    expect(() => preferenceBatch([], 0)).toThrow(/preference set is empty/);
  });
});

describe('preference batches', () => {
  test('rows alternate chosen and rejected; masks cover each response and its <eos>; DPO runs on them', () => {
    const examples = preferenceSet({ kind: 'caption', seed: 12, count: 3 });
    const numPatches = 4;
    const { batch, pairs } = preferenceBatch(examples, numPatches);
    expect(batch.batchSize).toBe(6);
    expect(batch.images).toHaveLength(6);
    examples.forEach((e, k) => {
      for (const [row, text] of [
        [2 * k, e.chosen],
        [2 * k + 1, e.rejected],
      ] as const) {
        const targets = [...batch.targets.slice(row * batch.length, (row + 1) * batch.length)];
        const mask = [...batch.mask.slice(row * batch.length, (row + 1) * batch.length)];
        const predicted = targets.filter((_, t) => mask[t] !== 0);
        expect(responseText(predicted)).toBe(text);
        expect(predicted.length).toBe(text.split(' ').length + 1);
      }
    });
    const reference = randomLogProbs([batch], 77);
    const policy = randomLogProbs([batch], 78);
    const indexed = withReferenceLogProbs(pairs, [batch], reference);
    expect(indexed[1].chosen).toEqual({ batch: 0, row: 2 });
    const dpo = dpoObjective({ pairs: indexed });
    const fd = finiteDifferenceWeights((lp) => dpo.loss([batch], lp), policy);
    expect(firstMismatch(dpo.tokenWeights64([batch], policy), fd, FD_ABSOLUTE, FD_RELATIVE)).toBeNull();
    // At the reference, every margin is 0 and the loss is ln 2.
    expect(dpo.loss([batch], reference)).toBeCloseTo(Math.LN2, 12);
  });
});
