// Whole training runs of the WGSL trainer: a tiny model overfits a fixed batch to near-zero loss
// (both architectures); the same seed gives the same bits; the loss curve follows the CPU
// reference trainer (src/training/reference-trainer.ts) step by step.
import { afterAll, describe, expect, test } from 'vitest';
import { testGpu } from '../testing/gpu';
import { crossEntropyObjective } from './objective';
import { ReferenceTrainer } from './reference-trainer';
import { randomBatch, trainingFixtures } from './testing';
import { Trainer } from './trainer';
import type { TrainerOptions } from './types';

const sourceOf = (weights: ReadonlyMap<string, Float32Array>) => ({
  get(name: string) {
    const t = weights.get(name);
    if (!t) throw new Error(`missing ${name}`);
    return t;
  },
});

const options = (totalSteps: number, peak: number): TrainerOptions => ({
  name: 'training-test',
  optimizer: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01, maxGradientNorm: 1 },
  schedule: { warmupSteps: 5, totalSteps, peak, floor: peak / 10 },
});

const report: string[] = [];
afterAll(() => console.warn(`training runs:\n  ${report.join('\n  ')}`));

describe.each(trainingFixtures().slice(0, 2))('$label', ({ label, model }) => {
  const { config, weights } = model;

  test('overfits a fixed batch to near-zero loss', async () => {
    const gpu = await testGpu();
    const steps = 120;
    const trainer = await Trainer.create(gpu, config, sourceOf(weights), options(steps, 2e-2));
    try {
      const batch = randomBatch(config.vocabSize, 2, 12, 21, 0);
      const losses: number[] = [];
      for (let s = 0; s < steps; s++)
        losses.push((await trainer.trainStep([batch], crossEntropyObjective())).loss);
      report.push(
        `${label}: overfit loss ${losses[0].toFixed(3)} -> ${losses[steps - 1].toFixed(4)} in ${steps} steps`,
      );
      expect(losses[steps - 1]).toBeLessThan(0.05);
      expect(losses[steps - 1]).toBeLessThan(losses[0] / 20);
      // Memorised: the log-prob of every target is near 0.
      const logp = await trainer.logProbs(batch);
      expect(Math.min(...logp)).toBeGreaterThan(-0.3);
    } finally {
      trainer.dispose();
    }
  });

  test('the same seed gives the same bits, and the loss follows the CPU reference trainer', async () => {
    const gpu = await testGpu();
    const steps = 6;
    const batches = Array.from({ length: steps }, (_, s) => randomBatch(config.vocabSize, 2, 8, 100 + s));
    const run = async () => {
      const trainer = await Trainer.create(gpu, config, sourceOf(weights), options(steps, 1e-2));
      try {
        const losses: number[] = [];
        for (const batch of batches)
          losses.push((await trainer.trainStep([batch], crossEntropyObjective())).loss);
        return { losses, weights: await trainer.exportWeights() };
      } finally {
        trainer.dispose();
      }
    };
    const first = await run();
    const second = await run();
    expect(second.losses).toEqual(first.losses);
    for (const [name, values] of first.weights) {
      expect(new Uint32Array(second.weights.get(name)!.buffer), name).toEqual(new Uint32Array(values.buffer));
    }
    const reference = new ReferenceTrainer(config, weights, options(steps, 1e-2));
    const referenceLosses = batches.map(
      (batch) => reference.trainStep([batch], crossEntropyObjective()).loss,
    );
    const worst = Math.max(
      ...first.losses.map((l, s) => Math.abs(l - referenceLosses[s]) / referenceLosses[s]),
    );
    report.push(
      `${label}: ${steps} steps vs the CPU reference trainer, worst relative loss difference ${worst.toExponential(2)}`,
    );
    expect(worst).toBeLessThan(1e-3);
  });
});
