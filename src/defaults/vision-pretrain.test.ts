import { describe, expect, test } from 'vitest';
import { parseModelConfig } from '../model/config';
import { COLOURS, SHAPES } from '../world';
import { recipe } from './recipes';
import { patchExamples, pretrainPatchEncoder } from './vision-pretrain';

const vision = parseModelConfig(recipe('vlm').configJson).vision!;

describe('patch encoder pretraining', () => {
  test('patches are labelled by the object in their cell', () => {
    const examples = patchExamples(vision, 1, 0, 20);
    expect(examples).toHaveLength(20 * vision.numPatches);
    for (const ex of examples) {
      expect(ex.patch).toHaveLength(vision.patchDim);
      const lit = ex.patch.some((v) => v > 0);
      // The background is black: a cell shows pixels exactly when it holds an object.
      expect(lit).toBe(ex.shape < SHAPES.length);
      expect(ex.colour >= 0).toBe(lit);
      expect(ex.colour).toBeLessThan(COLOURS.length);
    }
  });

  test('learns colour and size, and shape far above chance, on held-out scenes', () => {
    const options = { hidden: 24, steps: 200, scenesPerStep: 6, learningRate: 3e-3, seed: 5, dataSeed: 1 };
    const result = pretrainPatchEncoder(vision, { ...options, evalSeed: 1_000_001, evalScenes: 40 });
    expect(result.weight).toHaveLength(24 * vision.patchDim);
    expect(result.bias).toHaveLength(24);
    expect(result.losses[result.losses.length - 1]).toBeLessThan(result.losses[0] / 2);
    expect(result.accuracy.colour).toBeGreaterThan(0.9);
    expect(result.accuracy.size).toBeGreaterThan(0.9);
    // 8 shapes: chance is 1/8 on occupied cells.
    expect(result.accuracy.objectShape).toBeGreaterThan(0.4);
    // Same options, same weights.
    const again = pretrainPatchEncoder(vision, { ...options, evalSeed: 1_000_001, evalScenes: 5 });
    expect(again.weight).toEqual(result.weight);
  }, 60_000);

  test('refuses a grid that does not give one patch per cell, and bad options', () => {
    expect(() => patchExamples({ ...vision, imageSize: 32 }, 1, 0, 1)).toThrow(/one patch per grid cell/);
    expect(() =>
      pretrainPatchEncoder(vision, {
        hidden: 0,
        steps: 1,
        scenesPerStep: 1,
        learningRate: 1e-3,
        seed: 1,
        dataSeed: 1,
        evalSeed: 2,
        evalScenes: 1,
      }),
    ).toThrow(/must be >= 1/);
  });
});
