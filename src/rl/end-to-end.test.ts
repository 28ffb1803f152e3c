// Tiny end-to-end runs on the CPU reference trainer (src/training/reference-trainer.ts, the spec
// of one WGSL training step) with a tiny random Llama: the objectives plug into the per-token seam
// as they are, DPO raises the preference margin of its pairs, and GRPO and TEMPO raise the expected reward
// of on-policy rollouts (reward 1 for an even token id, the policy's exact probability of an even
// token measured before and after). Fixed seeds; a few steps each.
import { describe, expect, test } from 'vitest';
import { ADAMW_DEFAULTS } from '../kernels/optimizer/params';
import { referenceObjective } from '../model/reference/backward';
import { tinyLlamaConfigJson, tinyModel } from '../model/reference/tiny';
import { seededRandom } from '../testing/logits';
import { ReferenceTrainer } from '../training/reference-trainer';
import type { TokenBatch, TrainerOptions } from '../training/types';
import { dpoObjective, preferenceMargins } from './dpo';
import { grpoObjective, type Rollout } from './grpo';
import { sequenceLogProbs } from './objective';
import { tempoObjective } from './tempo';
import { batchOf } from './testing';

const OPTIONS: TrainerOptions = {
  name: 'rl-end-to-end',
  optimizer: { ...ADAMW_DEFAULTS, weightDecay: 0 },
  schedule: { warmupSteps: 0, totalSteps: 100, peak: 1e-2, floor: 1e-2 },
};

// The tiny Llama's next-token distributions are spread (max p about 0.1), so groups are not degenerate.
const model = tinyModel(tinyLlamaConfigJson(), 1);
const { config } = model;

function logProbsOf(weights: ReadonlyMap<string, Float32Array>, batch: TokenBatch): Float64Array {
  return Float64Array.from(
    referenceObjective(config, weights, batch, new Float32Array(batch.batchSize * batch.length)).logProbs,
  );
}

describe('end to end on the reference trainer', () => {
  test('DPO: the preference margin rises from 0 and the loss falls', () => {
    const prompts = [
      [1, 7, 12],
      [1, 30, 4],
      [1, 22, 22],
    ];
    const rows = prompts.flatMap((prompt, k) => [
      { prompt, response: [10 + k, 40 + k] },
      { prompt, response: [20 + k, 50 + k] },
    ]);
    const batch = batchOf(rows);
    const reference = sequenceLogProbs(batch, logProbsOf(model.weights, batch));
    const pairs = prompts.map((_, k) => ({
      chosen: { batch: 0, row: 2 * k },
      rejected: { batch: 0, row: 2 * k + 1 },
      referenceChosen: reference[2 * k],
      referenceRejected: reference[2 * k + 1],
    }));
    const dpo = dpoObjective({ pairs, beta: 0.1 });
    const trainer = new ReferenceTrainer(config, model.weights, OPTIONS);
    const losses = Array.from({ length: 12 }, () => trainer.trainStep([batch], dpo).loss);
    const margins = preferenceMargins([batch], [logProbsOf(trainer.weights(), batch)], pairs);
    console.warn(
      `dpo: loss ${losses[0].toFixed(4)} -> ${losses[11].toFixed(4)}, margins ${[...margins].map((m) => m.toFixed(2))}`,
    );
    expect(losses[0]).toBeCloseTo(Math.LN2, 6);
    expect(losses[11]).toBeLessThan(losses[0] - 0.1);
    for (const m of margins) expect(m).toBeGreaterThan(2);
  });

  test.each([
    ['grpo', grpoObjective],
    ['tempo', tempoObjective],
  ] as const)('%s: on-policy groups of 8 raise the expected reward', (name, objective) => {
    const prompts = [
      [1, 9, 3],
      [1, 14, 27],
    ];
    const vocab = config.vocabSize;
    const random = seededRandom(99);
    const rewardOf = (token: number) => (token % 2 === 0 ? 1 : 0);
    /** The policy's next-token distribution after `prompt`: one row per candidate token. */
    const distribution = (weights: ReadonlyMap<string, Float32Array>, prompt: number[]) => {
      const batch = batchOf(Array.from({ length: vocab }, (_, v) => ({ prompt, response: [v] })));
      const lp = logProbsOf(weights, batch);
      return Array.from({ length: vocab }, (_, v) => Math.exp(lp[v * batch.length + prompt.length - 1]));
    };
    const expectedReward = (weights: ReadonlyMap<string, Float32Array>) =>
      prompts.map((p) => distribution(weights, p).reduce((a, q, v) => a + q * rewardOf(v), 0));
    const sample = (p: number[]) => {
      let u = random();
      for (let v = 0; v < p.length; v++) if ((u -= p[v]) < 0) return v;
      return p.length - 1;
    };

    const trainer = new ReferenceTrainer(config, model.weights, OPTIONS);
    const before = expectedReward(model.weights);
    for (let step = 0; step < 10; step++) {
      const weights = trainer.weights();
      const rows: { prompt: number[]; response: number[] }[] = [];
      const rollouts: Rollout[] = [];
      prompts.forEach((prompt, g) => {
        const p = distribution(weights, prompt);
        for (let i = 0; i < 8; i++) {
          const token = sample(p);
          rollouts.push({ sequence: { batch: 0, row: rows.length }, group: g, reward: rewardOf(token) });
          rows.push({ prompt, response: [token] });
        }
      });
      const batch = batchOf(rows);
      const referenceLogProbs = [logProbsOf(model.weights, batch)];
      trainer.trainStep([batch], objective({ rollouts, referenceLogProbs, klBeta: 0.04 }));
    }
    const after = expectedReward(trainer.weights());
    console.warn(
      `${name}: expected reward ${before.map((r) => r.toFixed(3))} -> ${after.map((r) => r.toFixed(3))}`,
    );
    after.forEach((r, g) => expect(r).toBeGreaterThan(before[g] + 0.2));
  });
});
