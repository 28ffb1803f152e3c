// The page `npm run train:defaults` drives (scripts/train-defaults.mjs): trains the Shapes default
// models in order (./recipes.ts), evaluates them (./evaluate.ts), and hands every file of each
// model folder to the script, which writes public/models/<folder>/.
import { Gpu } from '../gpu/runtime';
import { parseModelConfig } from '../model/config';
import { WgslModel } from '../model/engine/model';
import { checkpointFiles } from '../training/checkpoint';
import { shapesTokenizerConfig, shapesTokenizerJson, tokenId } from '../world';
import { modelCard } from './card';
import { evaluateModels, type DefaultModels } from './evaluate-all';
import { RECIPES, type DefaultModelId, type Recipe } from './recipes';
import { trainRecipe, type TrainedModel } from './train';

export interface TrainDefaultsOptions {
  /** Models to train (default: all). The language models' evaluation needs all three of them. */
  only?: DefaultModelId[];
  /** Multiplies every recipe's steps (quick trial runs; 1 for the committed models). */
  stepsScale?: number;
  /** Evaluation sample sizes: scenes per POPE split and captions. */
  evalScenes?: number;
}

declare global {
  var logitlabTrainDefaults: { run(options: TrainDefaultsOptions): Promise<void> } | undefined;
  var trainDefaultsEvent: ((line: string) => void) | undefined;
  var trainDefaultsSave: ((folder: string, file: string, base64: string) => Promise<void>) | undefined;
}

const output = document.getElementById('output');
function log(line: string): void {
  if (output) output.textContent += `${line}\n`;
  globalThis.trainDefaultsEvent?.(line);
}

function base64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function scaled(recipe: Recipe, scale: number): Recipe {
  const steps = Math.max(2, Math.round(recipe.steps * scale));
  return { ...recipe, steps, warmupSteps: Math.min(recipe.warmupSteps, steps - 1) };
}

async function run(options: TrainDefaultsOptions): Promise<void> {
  const gpu = await Gpu.create();
  const adapter = `${gpu.summary.vendor || 'unknown'} ${gpu.summary.architecture || ''}`.trim();
  log(`adapter: ${adapter}`);
  const wanted = RECIPES.filter((r) => !options.only || options.only.includes(r.id)).map((r) =>
    scaled(r, options.stepsScale ?? 1),
  );
  const trained = new Map<DefaultModelId, { recipe: Recipe; model: TrainedModel }>();
  for (const recipe of wanted) {
    log(`${recipe.id}: training ${recipe.steps} steps`);
    const model = await trainRecipe(gpu, recipe, (step, loss, rate) => {
      if (step % 25 === 0 || step === recipe.steps - 1)
        log(
          `${recipe.id}: step ${step + 1}/${recipe.steps} loss ${loss.toFixed(3)} (${rate.toFixed(0)} tok/s)`,
        );
    });
    trained.set(recipe.id, { recipe, model });
  }
  let evaluation = new Map<DefaultModelId, string[]>();
  {
    // Each card's evaluation needs its models: the VLM alone, or the three language models together.
    const models: DefaultModels = {};
    try {
      for (const [id, { recipe, model }] of trained) {
        models[id] = await WgslModel.create(
          gpu,
          parseModelConfig(recipe.configJson),
          {
            get: (name) => model.weights.get(name)!,
          },
          { name: recipe.folder, weightDtype: 'f32' },
        );
      }
      evaluation = await evaluateModels(gpu, models, {
        scenes: options.evalScenes ?? 200,
        log,
      });
    } finally {
      for (const m of Object.values(models)) m.dispose();
    }
  }
  for (const [id, { recipe, model }] of trained) {
    const files = checkpointFiles({
      name: recipe.folder,
      configJson: recipe.configJson,
      weights: model.weights,
      tokenizerJson: shapesTokenizerJson(),
      tokenizerConfig: shapesTokenizerConfig(),
      generationConfig: {
        bos_token_id: tokenId('<bos>'),
        eos_token_id: tokenId('<eos>'),
        pad_token_id: tokenId('<pad>'),
      },
    });
    files['README.md'] = new TextEncoder().encode(
      modelCard({
        recipe,
        trained: model,
        evaluation: evaluation.get(id) ?? ['Not evaluated in this run.'],
        adapter,
      }),
    );
    for (const [file, bytes] of Object.entries(files))
      await globalThis.trainDefaultsSave?.(recipe.folder, file, base64(bytes));
    log(`${id}: saved ${Object.keys(files).join(', ')}`);
  }
}

globalThis.logitlabTrainDefaults = { run };
log('ready');
