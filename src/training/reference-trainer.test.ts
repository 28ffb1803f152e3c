// The reference trainer: it learns (a tiny model's mean cross-entropy on one fixed batch falls over
// 30 steps), it is deterministic, micro-batches add up to the batch they split, objectives that
// need log-probs get those of the current parameters, the decay rule, and a NaN parameter stops
// training with a TrainingError that names it and leaves every parameter as it was.
import { describe, expect, test } from 'vitest';
import { ADAMW_DEFAULTS } from '../kernels/optimizer/params';
import { tinyGpt2ConfigJson, tinyLlamaConfigJson, tinyModel } from '../model/reference/tiny';
import { seededRandom } from '../testing/logits';
import { decays, ReferenceTrainer } from './reference-trainer';
import { TrainingError, type Objective, type TokenBatch, type TrainerOptions } from './types';

/** Mean cross-entropy over the tokens with mask 1 of all micro-batches: w_t = -mask_t / N. */
function meanCrossEntropy(needsLogProbs = false, seen: (Float32Array[] | null)[] = []): Objective {
  const count = (batches: readonly TokenBatch[]) =>
    batches.reduce((sum, b) => sum + b.mask.reduce((s, m) => s + m, 0), 0);
  return {
    name: 'test cross-entropy',
    needsLogProbs,
    tokenWeights(batches, logProbs) {
      seen.push(logProbs ? logProbs.map((l) => l.slice()) : null);
      const n = count(batches);
      return batches.map((b) => b.mask.map((m) => -m / n));
    },
    loss(batches, logProbs) {
      let sum = 0;
      batches.forEach((b, i) => b.mask.forEach((m, t) => (sum += m * logProbs[i][t])));
      return -sum / count(batches);
    },
  };
}

/** B sequences of T tokens; targets are the tokens shifted left; the last token of each is masked. */
function fixedBatch(vocab: number, batchSize: number, length: number, seed: number): TokenBatch {
  const random = seededRandom(seed);
  const stream = Uint32Array.from({ length: batchSize * (length + 1) }, () => Math.floor(random() * vocab));
  const tokens = new Uint32Array(batchSize * length);
  const targets = new Uint32Array(batchSize * length);
  const mask = new Float32Array(batchSize * length);
  for (let b = 0; b < batchSize; b++) {
    for (let t = 0; t < length; t++) {
      tokens[b * length + t] = stream[b * (length + 1) + t];
      targets[b * length + t] = stream[b * (length + 1) + t + 1];
      mask[b * length + t] = t < length - 1 ? 1 : 0;
    }
  }
  return { batchSize, length, tokens, targets, mask };
}

function sequence(batch: TokenBatch, b: number): TokenBatch {
  const rows = (x: Uint32Array | Float32Array) => x.slice(b * batch.length, (b + 1) * batch.length);
  return {
    batchSize: 1,
    length: batch.length,
    tokens: rows(batch.tokens) as Uint32Array,
    targets: rows(batch.targets) as Uint32Array,
    mask: rows(batch.mask) as Float32Array,
  };
}

const OPTIONS: TrainerOptions = {
  name: 'reference-trainer-test',
  optimizer: { ...ADAMW_DEFAULTS, weightDecay: 0.1 },
  schedule: { warmupSteps: 3, totalSteps: 30, peak: 1e-2, floor: 1e-3 },
};

describe('reference trainer', () => {
  test.each([
    ['gpt2', tinyGpt2ConfigJson()],
    ['llama', tinyLlamaConfigJson()],
  ])('%s: the loss on a fixed batch falls over 30 steps', (_name, json) => {
    const { config, weights } = tinyModel(json, 21);
    const batch = fixedBatch(config.vocabSize, 2, 8, 22);
    const trainer = new ReferenceTrainer(config, weights, OPTIONS);
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const report = trainer.trainStep([batch], meanCrossEntropy());
      expect(report.step).toBe(i);
      expect(report.tokens).toBe(14);
      expect(report.gradientNorm).toBeGreaterThan(0);
      losses.push(report.loss);
    }
    console.warn(`${config.modelType}: loss ${losses[0].toFixed(3)} -> ${losses[29].toFixed(3)}`);
    // A random model starts near log(vocab); memorising 14 tokens should take it far below.
    expect(losses[0]).toBeGreaterThan(0.5 * Math.log(config.vocabSize));
    expect(losses[29]).toBeLessThan(0.25 * losses[0]);
    expect(trainer.stepsDone).toBe(30);
  });

  test('two trainers given the same inputs end with identical weights', () => {
    const { config, weights } = tinyModel(tinyLlamaConfigJson({ model_type: 'qwen2' }), 31);
    const batches = [fixedBatch(config.vocabSize, 2, 6, 32), fixedBatch(config.vocabSize, 1, 4, 33)];
    const [a, b] = [0, 1].map(() => new ReferenceTrainer(config, weights, OPTIONS));
    for (let i = 0; i < 3; i++) {
      expect(a.trainStep(batches, meanCrossEntropy()).loss).toBe(
        b.trainStep(batches, meanCrossEntropy()).loss,
      );
    }
    const [wa, wb] = [a.weights(), b.weights()];
    expect([...wa.keys()]).toEqual([...wb.keys()]);
    for (const [name, values] of wa) expect(values, name).toEqual(wb.get(name));
    expect(wa.get('model.norm.weight')).not.toEqual(weights.get('model.norm.weight'));
  });

  test('micro-batches add up to the batch they split; log-prob objectives see the current log-probs', () => {
    const { config, weights } = tinyModel(tinyGpt2ConfigJson(), 41);
    const batch = fixedBatch(config.vocabSize, 2, 6, 42);
    const whole = new ReferenceTrainer(config, weights, OPTIONS);
    const split = new ReferenceTrainer(config, weights, OPTIONS);
    const seen: (Float32Array[] | null)[] = [];
    for (let i = 0; i < 2; i++) {
      const one = whole.trainStep([batch], meanCrossEntropy());
      const two = split.trainStep([sequence(batch, 0), sequence(batch, 1)], meanCrossEntropy(true, seen));
      expect(Math.abs(one.loss - two.loss)).toBeLessThan(1e-6);
      expect(Math.abs(one.gradientNorm - two.gradientNorm)).toBeLessThan(1e-12 * one.gradientNorm);
      // The log-probs handed to tokenWeights are those of the parameters the step starts from.
      const handed = seen[i]!;
      expect(handed).toHaveLength(2);
      expect(two.loss).toBe(meanCrossEntropy().loss([sequence(batch, 0), sequence(batch, 1)], handed));
    }
    let worst = 0;
    const splitWeights = split.weights();
    for (const [name, values] of whole.weights()) {
      const other = splitWeights.get(name)!;
      values.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - other[i]))));
    }
    // f64 gradients summed in another order, then rounded to f32 on export.
    expect(worst).toBeLessThan(1e-6);
  });

  test('decay rule: matrices decay, vectors and norms do not', () => {
    expect(decays('h.0.attn.c_attn.weight', [32, 96])).toBe(true);
    expect(decays('wte.weight', [61, 32])).toBe(true);
    expect(decays('wpe.weight', [64, 32])).toBe(true);
    expect(decays('lm_head.weight', [61, 32])).toBe(true);
    expect(decays('model.layers.0.mlp.gate_up_proj.weight', [160, 32])).toBe(true);
    expect(decays('h.0.attn.c_attn.bias', [96])).toBe(false);
    expect(decays('h.0.ln_1.weight', [32])).toBe(false);
    expect(decays('ln_f.weight', [32])).toBe(false);
    expect(decays('model.layers.1.post_attention_layernorm.weight', [32])).toBe(false);
    expect(decays('model.norm.weight', [32])).toBe(false);
    expect(decays('model.norm.weight', [1, 32])).toBe(false);
  });

  test('a NaN parameter throws a TrainingError naming the tensor and changes nothing', () => {
    const { config, weights } = tinyModel(tinyGpt2ConfigJson(), 51);
    const batch = fixedBatch(config.vocabSize, 2, 5, 52);
    const poisoned = new Map(weights);
    const name = 'h.1.mlp.c_fc.weight';
    const bad = Float32Array.from(weights.get(name)!);
    bad[17] = NaN;
    poisoned.set(name, bad);
    const trainer = new ReferenceTrainer(config, poisoned, OPTIONS);
    const before = trainer.weights();
    let error: unknown = null;
    try {
      trainer.trainStep([batch], meanCrossEntropy());
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TrainingError);
    const trainingError = error as TrainingError;
    expect(trainingError.tensor).toBe(name);
    expect(trainingError.step).toBe(0);
    expect(trainingError.message).toMatch(/step 0: parameter h\.1\.mlp\.c_fc\.weight holds NaN at index 17/);
    expect(trainer.stepsDone).toBe(0);
    expect(trainer.lastGradients()).toBeNull();
    const after = trainer.weights();
    for (const [tensor, values] of before) {
      expect(new Uint8Array(after.get(tensor)!.buffer), tensor).toEqual(new Uint8Array(values.buffer));
    }
  });

  test('a non-finite token weight throws before anything is computed', () => {
    const { config, weights } = tinyModel(tinyLlamaConfigJson(), 61);
    const batch = fixedBatch(config.vocabSize, 1, 4, 62);
    const trainer = new ReferenceTrainer(config, weights, OPTIONS);
    const objective: Objective = {
      ...meanCrossEntropy(),
      tokenWeights: (batches) => batches.map((b) => new Float32Array(b.tokens.length).fill(Infinity)),
    };
    expect(() => trainer.trainStep([batch], objective)).toThrow(/non-finite weight \(Infinity\) to token 0/);
    expect(trainer.stepsDone).toBe(0);
  });
});
