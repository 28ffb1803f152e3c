// Trains one Shapes default model with the WGSL trainer (recipes: ./recipes.ts, data formats:
// ./data.ts). Step s uses the examples e = s * B .. s * B + B - 1: scene e is
// sampleSceneAt(DEFAULT_WORLD, TRAIN_SEED, e) and the wording of its caption or questions comes
// from WorldRandom stream e of TRAIN_SEED + 1, so a run is a pure function of the recipe.
import type { Gpu } from '../gpu/runtime';
import { parseModelConfig } from '../model/config';
import { initialWeights } from '../training/init';
import { crossEntropyObjective } from '../training/objective';
import { Trainer } from '../training/trainer';
import { DEFAULT_WORLD, WorldRandom, sampleSceneAt } from '../world';
import { captionExample, packBatch, vlmCaptionExample, vlmQuestionExample, type Example } from './data';
import { EVAL_SEED, TRAIN_SEED, type Recipe } from './recipes';
import { pretrainPatchEncoder, type PretrainResult } from './vision-pretrain';

export interface TrainedModel {
  weights: Map<string, Float32Array>;
  /** Loss of every step. */
  losses: number[];
  tokens: number;
  milliseconds: number;
  /** Held-out accuracy of the pretrained patch encoder (recipes with visionPretrain). */
  visionPretrain?: PretrainResult['accuracy'];
}

/** Scenes of the held-out set the patch encoder's accuracy is measured on. */
export const PRETRAIN_EVAL_SCENES = 300;

/** The examples of step `step`. */
export function stepExamples(recipe: Recipe, step: number): Example[] {
  const config = parseModelConfig(recipe.configJson);
  const examples: Example[] = [];
  for (let b = 0; b < recipe.batchSize; b++) {
    const e = step * recipe.batchSize + b;
    const scene = sampleSceneAt(DEFAULT_WORLD, TRAIN_SEED, e);
    const rng = WorldRandom.fromNumber(TRAIN_SEED + 1, e);
    if (!config.vision) examples.push(captionExample(scene, rng));
    else if (rng.chance(recipe.questionShare ?? 0)) {
      examples.push(
        vlmQuestionExample(
          scene,
          rng,
          config.vision.numPatches,
          recipe.questionsPerExample ?? 1,
          recipe.objectQuestionsPerExample ?? 0,
        ),
      );
    } else examples.push(vlmCaptionExample(scene, rng, config.vision.numPatches));
  }
  return examples;
}

export async function trainRecipe(
  gpu: Gpu,
  recipe: Recipe,
  progress: (step: number, loss: number, tokensPerSecond: number) => void,
): Promise<TrainedModel> {
  const config = parseModelConfig(recipe.configJson);
  const initial = initialWeights(config, recipe.initSeed);
  let visionPretrain: PretrainResult['accuracy'] | undefined;
  if (recipe.visionPretrain && config.vision) {
    const pretrained = pretrainPatchEncoder(config.vision, {
      ...recipe.visionPretrain,
      hidden: config.hiddenSize,
      dataSeed: TRAIN_SEED,
      evalSeed: EVAL_SEED,
      evalScenes: PRETRAIN_EVAL_SCENES,
    });
    initial.set('vision.patch_embed.weight', pretrained.weight);
    initial.set('vision.patch_embed.bias', pretrained.bias);
    visionPretrain = pretrained.accuracy;
  }
  const trainer = await Trainer.create(
    gpu,
    config,
    { get: (name) => initial.get(name)! },
    {
      name: recipe.folder,
      optimizer: recipe.optimizer,
      schedule: {
        warmupSteps: recipe.warmupSteps,
        totalSteps: recipe.steps,
        peak: recipe.peakLearningRate,
        floor: recipe.peakLearningRate / 10,
      },
    },
  );
  try {
    const objective = crossEntropyObjective();
    const losses: number[] = [];
    let tokens = 0;
    const started = performance.now();
    for (let step = 0; step < recipe.steps; step++) {
      const report = await trainer.trainStep([packBatch(stepExamples(recipe, step))], objective);
      losses.push(report.loss);
      tokens += report.tokens;
      progress(step, report.loss, (tokens * 1000) / (performance.now() - started));
    }
    return {
      weights: await trainer.exportWeights(),
      losses,
      tokens,
      milliseconds: performance.now() - started,
      visionPretrain,
    };
  } finally {
    trainer.dispose();
  }
}
