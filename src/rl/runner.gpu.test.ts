// The headless runners on the GPU with the default Shapes VLM (public/models/shapes-vlm) on POPE-style
// object questions. GRPO cycles a fixed pool of 4 questions whose answer is "yes" (the committed
// VLM leans to "no", so the reward has room to rise), and the measure is the exact expected
// reward on that pool (./evaluation.ts expectedFirstWordReward: the policy's probability of the
// right first word, no sampling noise) before and after a few steps; a held-out set is printed
// only, since the committed VLM is at chance on POPE and a few steps cannot teach it to see. A few
// DPO steps raise the mean preference margin from 0. Fixed seeds throughout. Throughput (rollout
// and update tokens/s, their split) is printed, never asserted.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../gpu/runtime';
import { ADAMW_DEFAULTS } from '../kernels/optimizer/params';
import type { ModelConfig } from '../model/config';
import { loadModelFolder, urlSource } from '../model/loading';
import { testGpu } from '../testing/gpu';
import type { TrainerOptions } from '../training/types';
import { expectedFirstWordReward, sampledReward } from './evaluation';
import { Policy, type PolicySource } from './policy';
import { runPreference } from './preference-runner';
import { preferenceSet } from './preferences';
import { GrpoRun, type GrpoSettings, type GrpoStep } from './runner';
import { sampleTasks } from './tasks';

const HELD_OUT = sampleTasks('object', 7, 16, 10_000);

let gpu: Gpu;
let config: ModelConfig;
let weights: Map<string, Float32Array>;

function source(name: string, peak: number): PolicySource {
  const trainer: TrainerOptions = {
    name,
    optimizer: { ...ADAMW_DEFAULTS, weightDecay: 0 },
    schedule: { warmupSteps: 0, totalSteps: 100, peak, floor: peak },
  };
  return { gpu, config, weights, trainer };
}

const policies: Policy[] = [];
afterAll(() => policies.forEach((p) => p.dispose()));

beforeAll(async () => {
  gpu = await testGpu();
  const folder = await loadModelFolder(urlSource(`${location.origin}/models/shapes-vlm/`));
  config = folder.config;
  weights = new Map([...folder.tensors].map(([name, tensor]) => [name, tensor.toFloat32()]));
});

const GRPO: GrpoSettings = {
  objective: 'grpo',
  task: 'object',
  taskSeed: 3,
  promptsPerStep: 2,
  // "Answer yes when the object is present": the committed VLM leans to "no", so there is room.
  pool: sampleTasks('object', 3, 16)
    .filter((t) => t.answer === 'yes')
    .slice(0, 4),
  groupSize: 8,
  temperature: 1,
  maxTokens: 3,
  seed: 11,
  klBeta: 0.04,
};

function throughput(reports: readonly GrpoStep[]): string {
  const sum = (f: (r: GrpoStep) => number) => reports.reduce((a, r) => a + f(r), 0);
  const rolloutMs = sum((r) => r.rolloutMs);
  const updateMs = sum((r) => r.updateMs);
  return (
    `rollout ${((sum((r) => r.rolloutTokens) / rolloutMs) * 1000).toFixed(1)} tok/s ` +
    `(sync ${sum((r) => r.syncMs).toFixed(0)} ms of ${rolloutMs.toFixed(0)} ms), ` +
    `update ${((sum((r) => r.updateTokens) / updateMs) * 1000).toFixed(1)} tok/s (${updateMs.toFixed(0)} ms); ` +
    `rollout share ${((100 * rolloutMs) / (rolloutMs + updateMs)).toFixed(0)}%`
  );
}

describe('RL runners on the Shapes VLM', () => {
  test('GRPO steps raise the expected reward of their task pool', async () => {
    const policy = await Policy.create(source('grpo-runner', 1e-3), true);
    policies.push(policy);
    const run = new GrpoRun(policy, GRPO);
    const pool = GRPO.pool!;
    expect(pool).toHaveLength(4);
    const before = await expectedFirstWordReward(policy, pool);
    const heldOutBefore = await expectedFirstWordReward(policy, HELD_OUT);
    const evalSettings = { samplesPerTask: 4, temperature: 1, maxTokens: 3, seed: 5 };
    const { model } = await policy.inferenceModel();
    const sampledBefore = await sampledReward(model, policy.numPatches, run.sampler, pool, evalSettings);
    // The same seed and weights give the same rollouts; another seed other ones.
    const once = await run.sampleGroups(pool, 4, 99, 0);
    const again = await run.sampleGroups(pool, 4, 99, 0);
    const other = await run.sampleGroups(pool, 4, 98, 0);
    expect(again.responses).toEqual(once.responses);
    expect(other.responses).not.toEqual(once.responses);

    const reports: GrpoStep[] = [];
    for (let i = 0; i < 6; i++) reports.push(await run.step());
    const after = await expectedFirstWordReward(policy, pool);
    const heldOutAfter = await expectedFirstWordReward(policy, HELD_OUT);
    const trained = (await policy.inferenceModel()).model;
    const sampledAfter = await sampledReward(trained, policy.numPatches, run.sampler, pool, evalSettings);
    run.destroy();
    for (const r of reports) {
      console.warn(
        `grpo step ${r.step}: reward ${r.meanReward.toFixed(3)} loss ${r.loss.toFixed(4)} kl ${r.kl?.toExponential(2)} ` +
          `clip ${r.clipFraction.toFixed(3)} length ${r.meanResponseLength.toFixed(2)} ` +
          `rollout ${r.rolloutMs.toFixed(0)} ms (sync ${r.syncMs.toFixed(0)}) update ${r.updateMs.toFixed(0)} ms; ` +
          `group "${r.group.prompt}": ${r.group.responses.map((s, i) => `${s}=${r.group.rewards[i]}`).join(' ')} ` +
          `advantages ${r.group.tokenAdvantages.map((a) => a.map((x) => x.toFixed(2)).join('/')).join(' ')}`,
      );
    }
    console.warn(
      `grpo: expected reward on the pool ${before.toFixed(4)} -> ${after.toFixed(4)}, ` +
        `held out ${heldOutBefore.toFixed(4)} -> ${heldOutAfter.toFixed(4)}, ` +
        `sampled on the pool ${sampledBefore.toFixed(3)} -> ${sampledAfter.toFixed(3)}; ${throughput(reports)}`,
    );
    for (const r of reports) {
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.kl).not.toBeNull();
      expect(r.kl!).toBeGreaterThanOrEqual(0);
      expect(r.group.tokenAdvantages).toHaveLength(GRPO.groupSize);
      // One update per batch: every ratio is 1, so nothing is clipped.
      expect(r.clipFraction).toBe(0);
    }
    expect(reports[0].kl).toBe(0);
    expect(after).toBeGreaterThan(before + 0.05);
  });

  test('a TEMPO step adds the branch correction at the branching first token only', async () => {
    const policy = await Policy.create(source('tempo-runner', 1e-3), true);
    policies.push(policy);
    const run = new GrpoRun(policy, { ...GRPO, objective: 'tempo' });
    const report = await run.step();
    run.destroy();
    const { responses, rewards, tokenAdvantages } = report.group;
    console.warn(
      `tempo: ${responses.map((r, i) => `${r}=${rewards[i]} [${tokenAdvantages[i].map((a) => a.toFixed(2))}]`).join(' ')}`,
    );
    expect(new Set(rewards).size).toBe(2);
    // yes/no then <eos>: the tree branches at the root only, and the reward depends on the first
    // word alone, so V(first word) = that rollout's A and the first token carries 2A, <eos> A.
    tokenAdvantages.forEach((a) => {
      expect(a).toHaveLength(2);
      expect(a[0]).toBeCloseTo(2 * a[1], 5);
      expect(a[1]).not.toBe(0);
    });
  });

  test('DPO steps raise the mean preference margin from 0', async () => {
    const policy = await Policy.create(source('dpo-runner', 5e-3), false);
    policies.push(policy);
    const examples = preferenceSet({ kind: 'object', seed: 21, count: 8 });
    const { steps, final } = await runPreference(policy, { objective: 'dpo', examples, beta: 0.1 }, 5);
    for (const s of steps) {
      console.warn(
        `dpo step ${s.step}: loss ${s.loss.toFixed(4)} margin ${s.meanMargin.toFixed(4)} accuracy ${s.accuracy.toFixed(3)} ${s.milliseconds.toFixed(0)} ms`,
      );
    }
    console.warn(`dpo: final margin ${final.meanMargin.toFixed(4)} accuracy ${final.accuracy.toFixed(3)}`);
    expect(Math.abs(steps[0].meanMargin)).toBeLessThan(1e-4);
    expect(steps[0].loss).toBeCloseTo(Math.LN2, 4);
    expect(final.meanMargin).toBeGreaterThan(0.5);
    expect(final.accuracy).toBeGreaterThan(0.5);
  });

  test('D2O steps lower its loss and open a positive preference margin', async () => {
    const policy = await Policy.create(source('d2o-runner', 5e-3), false);
    policies.push(policy);
    const examples = preferenceSet({ kind: 'object', seed: 22, count: 4 });
    const settings = { objective: 'd2o', examples, samplesPerPrompt: 2, maxTokens: 3, seed: 4 } as const;
    const { steps, final } = await runPreference(policy, settings, 3);
    console.warn(
      `d2o: losses ${steps.map((s) => s.loss.toFixed(4)).join(' ')}, margin ${steps[0].meanMargin.toFixed(4)} -> ${final.meanMargin.toFixed(4)}`,
    );
    expect(steps[0].loss).toBeCloseTo(Math.LN2, 4);
    expect(steps[2].loss).toBeLessThan(steps[0].loss);
    expect(final.meanMargin).toBeGreaterThan(0);
  });
});
