// The WGSL trainer against the CPU reference backward (src/model/reference/backward.ts) and
// against finite differences of its own forward, for tiny GPT-2, Llama (GQA, untied) and
// Qwen2-style (biases, tied) models; gradient accumulation; NaN stopping with the last good
// parameters kept; refusal of bad batches and hyper-parameters.
import { afterAll, describe, expect, test } from 'vitest';
import { referenceGradients } from '../model/reference/backward';
import { testGpu } from '../testing/gpu';
import { seededRandom } from '../testing/logits';
import { crossEntropyObjective } from './objective';
import { randomBatch, signedWeightsObjective, trainingFixtures, withImages } from './testing';
import { Trainer } from './trainer';
import { TrainingError, type TrainerOptions } from './types';

const frozen: TrainerOptions = {
  name: 'gradient-test',
  optimizer: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, maxGradientNorm: Infinity },
  // lr = 0 at every step: the step computes gradients and leaves the parameters as they are.
  schedule: { warmupSteps: 0, totalSteps: 1, peak: 0, floor: 0 },
};

const sourceOf = (weights: ReadonlyMap<string, Float32Array>) => ({
  get(name: string) {
    const t = weights.get(name);
    if (!t) throw new Error(`missing ${name}`);
    return t;
  },
});

const report: string[] = [];
afterAll(() => console.warn(`trainer gradients:\n  ${report.join('\n  ')}`));

describe.each(trainingFixtures())('$label', ({ label, model }) => {
  const { config, weights } = model;
  const batch = withImages(config, randomBatch(config.vocabSize, 2, 7, 11), 12);
  const objective = signedWeightsObjective(5);
  const trainer = testGpu().then((gpu) => Trainer.create(gpu, config, sourceOf(weights), frozen));
  afterAll(async () => (await trainer).dispose());

  test('gradients match the CPU reference backward (every entry of every tensor)', async () => {
    const t = await trainer;
    const step = await t.trainStep([batch], objective);
    const gpu = await t.readGradients();
    const [w] = objective.tokenWeights([batch], null);
    const want = referenceGradients(config, weights, batch, w);
    expect(step.loss).toBeCloseTo(want.objective, 4);
    let worst = 0;
    let worstName = '';
    for (const [name, expected] of want.gradients) {
      const got = gpu.get(name)!;
      expect(got.length, name).toBe(expected.length);
      let scale = 0;
      for (const x of expected) scale = Math.max(scale, Math.abs(x));
      for (let i = 0; i < expected.length; i++) {
        // Relative to the entry, with a floor of 1% of the tensor's largest entry (f32 sums).
        const error = Math.abs(got[i] - expected[i]) / Math.max(Math.abs(expected[i]), 1e-2 * scale, 1e-30);
        if (!(error <= worst)) {
          worst = Number.isNaN(error) ? Infinity : error;
          worstName = `${name}[${i}] gpu ${got[i]} ref ${expected[i]}`;
        }
      }
    }
    report.push(`${label}: worst relative error vs reference ${worst.toExponential(2)} (${worstName})`);
    expect(worst, worstName).toBeLessThan(1e-2);
    // lr = 0: nothing moved.
    expect([
      ...(await t.exportWeights()).get(
        config.architecture === 'gpt2' ? 'wte.weight' : 'model.embed_tokens.weight',
      )!,
    ]).toEqual([
      ...weights.get(config.architecture === 'gpt2' ? 'wte.weight' : 'model.embed_tokens.weight')!,
    ]);
  });

  test('gradients match central finite differences of the GPU forward on a random subset', async () => {
    const t = await trainer;
    await t.trainStep([batch], objective);
    const gradients = await t.readGradients('training');
    const parameters = await t.readTrainingParameters();
    const [w] = objective.tokenWeights([batch], null);
    const objectiveAt = async () => {
      const logp = await t.logProbs(batch);
      let sum = 0;
      for (let i = 0; i < w.length; i++) sum += w[i] * logp[i];
      return sum;
    };
    const random = seededRandom(17);
    let worst = 0;
    let checked = 0;
    for (const name of t.tensorNames) {
      const g = gradients.get(name)!;
      const p = parameters.get(name)!;
      let scale = 0;
      for (const x of g) scale = Math.max(scale, Math.abs(x));
      // Entries whose gradient f32 differences can resolve: at least 20% of the tensor's largest.
      const candidates = [...g.keys()].filter((i) => Math.abs(g[i]) >= 0.2 * scale && scale > 1e-3);
      for (let pick = 0; pick < 2 && candidates.length > 0; pick++) {
        const i = candidates[Math.floor(random() * candidates.length)];
        const h = 1e-2 * Math.max(1, Math.abs(p[i]));
        t.setParameterEntry(name, i, p[i] + h);
        const plus = await objectiveAt();
        t.setParameterEntry(name, i, p[i] - h);
        const minus = await objectiveAt();
        t.setParameterEntry(name, i, p[i]);
        const fd = (plus - minus) / (2 * h);
        const error = Math.abs(fd - g[i]) / Math.abs(g[i]);
        worst = Math.max(worst, error);
        checked++;
        expect(error, `${name}[${i}]: finite difference ${fd}, backward ${g[i]}`).toBeLessThan(1e-2);
      }
    }
    report.push(`${label}: ${checked} finite differences, worst relative error ${worst.toExponential(2)}`);
    expect(checked).toBeGreaterThan(t.tensorNames.length);
  });

  test('two micro-batches accumulate to the gradient of the whole batch', async () => {
    const t = await trainer;
    const ce = crossEntropyObjective();
    const whole = await t.trainStep([batch], ce);
    const together = await t.readGradients('training');
    const half = (b: number) => ({
      images: batch.images ? [batch.images[b]] : undefined,
      batchSize: 1,
      length: batch.length,
      tokens: batch.tokens.slice(b * batch.length, (b + 1) * batch.length),
      targets: batch.targets.slice(b * batch.length, (b + 1) * batch.length),
      mask: batch.mask.slice(b * batch.length, (b + 1) * batch.length),
    });
    const split = await t.trainStep([half(0), half(1)], ce);
    expect(split.loss).toBeCloseTo(whole.loss, 5);
    expect(split.gradientNorm).toBeCloseTo(whole.gradientNorm, 4);
    const accumulated = await t.readGradients('training');
    // Only the f32 summation order differs, so the error is relative to the summands' size: the
    // tensor's largest entry, floored by the whole gradient's (c_attn's k bias has an exactly
    // zero true gradient, softmax being shift-invariant, and holds rounding noise only).
    let globalScale = 0;
    for (const g of together.values()) for (const x of g) globalScale = Math.max(globalScale, Math.abs(x));
    for (const [name, g] of together) {
      const a = accumulated.get(name)!;
      let scale = 0;
      for (const x of g) scale = Math.max(scale, Math.abs(x));
      const bound = 1e-5 * scale + 1e-7 * globalScale;
      for (let i = 0; i < g.length; i++)
        expect(Math.abs(a[i] - g[i]), `${name}[${i}]`).toBeLessThanOrEqual(bound);
    }
  });
});

describe('NaN stopping and refusals', () => {
  const { config, weights } = trainingFixtures()[1].model;
  const options: TrainerOptions = {
    name: 'nan-test',
    optimizer: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01, maxGradientNorm: 1 },
    schedule: { warmupSteps: 2, totalSteps: 20, peak: 1e-2, floor: 1e-3 },
  };

  test('a NaN parameter stops training naming the step and the tensor; the rest stays the last good state', async () => {
    const gpu = await testGpu();
    const trainer = await Trainer.create(gpu, config, sourceOf(weights), options);
    try {
      const batch = randomBatch(config.vocabSize, 2, 6, 4);
      for (let s = 0; s < 3; s++) await trainer.trainStep([batch], crossEntropyObjective());
      const before = await trainer.readTrainingParameters();
      trainer.setParameterEntry('model.norm.weight', 5, NaN);
      const failure = await trainer.trainStep([batch], crossEntropyObjective()).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(TrainingError);
      const error = failure as TrainingError;
      expect(error.step).toBe(3);
      expect(error.tensor).not.toBeNull();
      expect(error.tensor).toBe('model.norm.weight');
      expect(error.message).toMatch(/step 3/);
      expect(error.message).toContain(error.tensor!);
      expect(trainer.stepsDone).toBe(3);
      const after = await trainer.readTrainingParameters();
      for (const [name, values] of before) {
        const now = [...after.get(name)!];
        if (name === 'model.norm.weight') now[5] = values[5];
        expect(now, name).toEqual([...values]);
      }
    } finally {
      trainer.dispose();
    }
  });

  test('bad hyper-parameters and batches are refused with the value named', async () => {
    const gpu = await testGpu();
    await expect(
      Trainer.create(gpu, config, sourceOf(weights), {
        ...options,
        optimizer: { ...options.optimizer, beta1: 1.5 },
      }),
    ).rejects.toThrow(/beta1 must be in \[0, 1\), got 1.5/);
    await expect(
      Trainer.create(gpu, config, sourceOf(weights), {
        ...options,
        schedule: { ...options.schedule, peak: -1 },
      }),
    ).rejects.toThrow(/-1/);
    const trainer = await Trainer.create(gpu, config, sourceOf(weights), options);
    try {
      const batch = randomBatch(config.vocabSize, 1, 4, 1);
      const badToken = { ...batch, tokens: batch.tokens.map((x, i) => (i === 2 ? config.vocabSize + 5 : x)) };
      await expect(trainer.trainStep([badToken], crossEntropyObjective())).rejects.toThrow(
        new RegExp(`${config.vocabSize + 5}`),
      );
      const badLength = { ...batch, mask: new Float32Array(3) };
      await expect(trainer.trainStep([badLength], crossEntropyObjective())).rejects.toThrow(
        /mask has 3 entries/,
      );
      const tooLong = randomBatch(config.vocabSize, 1, config.maxPositions + 1, 1);
      await expect(trainer.logProbs(tooLong)).rejects.toThrow(new RegExp(`got ${config.maxPositions + 1}`));
      expect(trainer.stepsDone).toBe(0);
    } finally {
      trainer.dispose();
    }
  });
});
