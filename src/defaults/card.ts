// The model card (README.md) of a Shapes default model: what it is, the data, the training run,
// and the evaluation numbers measured right after training (./evaluate.ts).
import { parameterCount } from '../model/architectures/tensors';
import { parseModelConfig } from '../model/config';
import { DEFAULT_WORLD } from '../world';
import { EVAL_SEED, TRAIN_SEED, type Recipe } from './recipes';
import { PRETRAIN_EVAL_SCENES, type TrainedModel } from './train';

export interface CardFacts {
  recipe: Recipe;
  trained: TrainedModel;
  /** Markdown lines of the evaluation section. */
  evaluation: string[];
  adapter: string;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/** How the card describes the VLM's question sequences (one question, or a dialogue about one image). */
function questionFormat(recipe: Recipe, patches: number): string {
  const share = `${Math.round(100 * (recipe.questionShare ?? 0))}%`;
  const mixed = recipe.questionsPerExample ?? 1;
  const objects = recipe.objectQuestionsPerExample ?? 0;
  if (mixed === 1 && objects === 0) {
    return `\`<bos> <image>x${patches} <question> ? <answer> <eos>\` (${share} questions); `;
  }
  return (
    `\`<bos> <image>x${patches} <question> ? <answer> ... <question> ? <answer> <eos>\` (${share} question ` +
    `sequences, each ${mixed} object / attribute / count / colour questions and ${objects} "is there a <shape> ?" ` +
    'questions about distinct shapes, in random order; the first is the evaluation format); '
  );
}

export function modelCard({ recipe, trained, evaluation, adapter }: CardFacts): string {
  const config = parseModelConfig(recipe.configJson);
  const last = trained.losses.slice(-Math.min(50, trained.losses.length));
  const world = DEFAULT_WORLD;
  return [
    `# ${recipe.folder}`,
    '',
    `${recipe.description[0].toUpperCase()}${recipe.description.slice(1)}: one of LogitLab's Shapes default models,`,
    "trained in the browser by LogitLab's WGSL trainer (`npm run train:defaults`) from the seeds below;",
    'the same command reproduces it.',
    '',
    '## Model',
    '',
    `- ${config.modelType} decoder: ${config.numLayers} layers, d ${config.hiddenSize}, ${config.numHeads} heads / ` +
      `${config.numKeyValueHeads} KV heads, MLP ${config.intermediateSize}, tied head; ${parameterCount(config).toLocaleString('en')} parameters`,
    config.vision
      ? `- image encoder: ${config.vision.imageSize}x${config.vision.imageSize} RGB, ${config.vision.patchSize}x${config.vision.patchSize} ` +
        `patches (${config.vision.numPatches} \`<image>\` placeholders), patch embedding -> GELU -> projector + patch positions`
      : '- text only',
    "- vocabulary: the Shapes world's 62 word-level tokens (`tokenizer.json`)",
    '',
    '## Data',
    '',
    `- scenes: the Shapes world's training distribution (prior strength ${world.priorStrength}: co-occurring shape ` +
      'pairs and colour priors, src/world/distribution.ts), scene e = `sampleSceneAt(DEFAULT_WORLD, ' +
      `${TRAIN_SEED}, e)\``,
    config.vision
      ? `- sequences: \`<bos> <image>x${config.vision.numPatches} the picture shows <caption> <eos>\` and ` +
        questionFormat(recipe, config.vision.numPatches) +
        'loss on the caption / answer tokens'
      : '- sequences: `<bos> <caption> <eos>`, loss on every token',
    `- evaluation uses seed ${EVAL_SEED}, never seen in training`,
    '',
    '## Training',
    '',
    `- ${recipe.steps} steps of ${recipe.batchSize} sequences, AdamW (beta1 ${recipe.optimizer.beta1}, beta2 ` +
      `${recipe.optimizer.beta2}, weight decay ${recipe.optimizer.weightDecay}, clip ${recipe.optimizer.maxGradientNorm}), ` +
      `learning rate ${recipe.peakLearningRate} with ${recipe.warmupSteps} warmup steps and cosine decay to a tenth; init seed ${recipe.initSeed}`,
    ...pretrainLines(recipe, trained),
    `- loss: first step ${trained.losses[0].toFixed(3)}, mean of the last ${last.length} steps ${mean(last).toFixed(3)}`,
    `- ${trained.tokens.toLocaleString('en')} predicted tokens in ${(trained.milliseconds / 60000).toFixed(1)} min on ${adapter}`,
    '',
    '## Evaluation',
    '',
    ...evaluation,
    '',
  ].join('\n');
}

function pretrainLines(recipe: Recipe, trained: TrainedModel): string[] {
  const p = recipe.visionPretrain;
  const accuracy = trained.visionPretrain;
  if (!p || !accuracy) return [];
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    `- stage 1 (before the steps above): the patch encoder (patch embedding + GELU) pretrained on the CPU as a ` +
      `classifier of each cell's object (shape or empty, colour, size; src/defaults/vision-pretrain.ts), ` +
      `${p.steps} Adam steps of ${p.scenesPerStep} scenes, learning rate ${p.learningRate}, seed ${p.seed}; held-out accuracy ` +
      `on ${PRETRAIN_EVAL_SCENES} scenes of seed ${EVAL_SEED}: shape of occupied cells ${pct(accuracy.objectShape)}, ` +
      `shape or empty ${pct(accuracy.shape)}, colour ${pct(accuracy.colour)}, size ${pct(accuracy.size)}. Its classifier ` +
      'heads are dropped; stage 2 trains the whole model end to end',
  ];
}
