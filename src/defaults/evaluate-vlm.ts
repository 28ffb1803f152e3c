// Object hallucination of the Shapes VLM, measured on held-out scenes (seeds: ./evaluate-data.ts).
//
// POPE (Li et al., "Evaluating Object Hallucination in Large Vision-Language Models", EMNLP 2023):
//   balanced yes/no questions "is there a <shape> ?" per scene (3 present, 3 absent shapes at most,
//   src/world/pope.ts), the absent ones drawn at random, the most frequent in training (popular),
//   or those co-occurring most with the present ones in training (adversarial). Each question is
//   answered greedily from vlmPrompt(P, question) and the scene's image, and read by its first word
//   (popeMetrics): accuracy, precision, recall, F1 and yes-ratio with "yes" as the positive class.
//   Interpretation: the answer is at most POPE_ANSWER_TOKENS greedy tokens (the VLM is trained to
//   answer "yes <eos>" / "no <eos>"); a question asked in several splits (the present shapes'
//   questions) is answered once, as greedy decoding is deterministic.
// CHAIR (Rohrbach et al., "Object Hallucination in Image Captioning", EMNLP 2018): a greedy caption
//   from vlmPrompt(P, "the picture shows") until <eos> or maxTokens, CHAIR_i = hallucinated shape
//   mentions / mentions, CHAIR_s = captions with a hallucination / captions (chairMetrics, at the
//   shape level).
import type { Gpu } from '../gpu/runtime';
import type { LanguageModel } from '../model/interface';
import {
  chairMetrics,
  DEFAULT_WORLD,
  imageToFloat32,
  POPE_SPLITS,
  popeBenchmark,
  popeMetrics,
  rasterize,
  type ChairMetrics,
  type PopeMetrics,
  type PopeSplit,
  type Scene,
  type WorldDistribution,
} from '../world';
import { CAPTION_PROMPT, vlmPrompt } from './data';
import {
  checkCount,
  checkSeeds,
  checkShapesVocabulary,
  EOS_ID,
  heldOutScenes,
  idsToText,
  IMAGE_ID,
  POPE_KEY_OFFSET,
  trainingStatistics,
  type SeedOptions,
} from './evaluate-data';
import { GreedyDecoder } from './evaluate-generate';

/** Greedy tokens per POPE answer; the first word decides it. */
export const POPE_ANSWER_TOKENS = 3;
export const DEFAULT_CAPTION_TOKENS = 40;
/** Caption examples kept for the model card. */
export const CHAIR_EXAMPLES = 5;

export interface PopeResult extends PopeMetrics {
  questions: number;
}

export interface VlmEvaluationOptions extends SeedOptions {
  /** Held-out scenes (the world's prior sampler, seed `seed`). */
  scenes: number;
  world?: WorldDistribution;
}

export interface ChairResult extends ChairMetrics {
  examples: { scene: Scene; caption: string }[];
}

/** The number of image placeholders, after checking the model is a Shapes VLM. */
function checkVlm(where: string, vlm: LanguageModel): number {
  const vision = vlm.info.config.vision;
  if (!vision) {
    throw new RangeError(
      `${where}: ${vlm.info.name} has no vision_config; evaluate the vision-language model`,
    );
  }
  if (vision.imageTokenId !== IMAGE_ID) {
    throw new RangeError(
      `${where}: ${vlm.info.name} has image_token_id ${vision.imageTokenId}, but the Shapes vocabulary's ` +
        `<image> is ${IMAGE_ID}: the model was not trained on the Shapes tokenizer`,
    );
  }
  checkShapesVocabulary(where, vlm);
  return vision.numPatches;
}

/** The training seed, after checking the options. */
function checkVlmOptions(where: string, options: VlmEvaluationOptions): number {
  checkCount(where, 'scenes', options.scenes);
  return checkSeeds(where, options);
}

interface Asked {
  sceneIndex: number;
  question: string;
}
const questionKey = (q: Asked) => `${q.sceneIndex}\n${q.question}`;

/** Greedy answers to (scene, question) pairs by questionKey, each distinct pair generated once. */
async function answerQuestions(
  decoder: GreedyDecoder,
  numPatches: number,
  images: readonly Float32Array[],
  asked: readonly Asked[],
): Promise<Map<string, string>> {
  const distinct = [...new Map(asked.map((q) => [questionKey(q), q])).values()];
  const prompts = distinct.map((q) => ({
    tokens: vlmPrompt(numPatches, q.question),
    image: images[q.sceneIndex],
  }));
  const answers = await decoder.generate(prompts, POPE_ANSWER_TOKENS, EOS_ID);
  return new Map(distinct.map((q, i) => [questionKey(q), idsToText(answers[i])]));
}

/** POPE on `scenes` held-out scenes, every split. */
export async function evaluatePope(
  gpu: Gpu,
  vlm: LanguageModel,
  options: VlmEvaluationOptions,
): Promise<Record<PopeSplit, PopeResult>> {
  const where = 'evaluatePope';
  const trainingSeed = checkVlmOptions(where, options);
  const numPatches = checkVlm(where, vlm);
  const world = options.world ?? DEFAULT_WORLD;
  const scenes = heldOutScenes(world, options.seed, options.scenes);
  const statistics = trainingStatistics(world, trainingSeed);
  const benchmark = Object.fromEntries(
    POPE_SPLITS.map((split) => [
      split,
      popeBenchmark(scenes, split, statistics, options.seed + POPE_KEY_OFFSET),
    ]),
  ) as Record<PopeSplit, ReturnType<typeof popeBenchmark>>;
  const images = scenes.map((scene) => imageToFloat32(rasterize(scene)));
  const decoder = new GreedyDecoder(gpu, vlm);
  try {
    const answers = await answerQuestions(
      decoder,
      numPatches,
      images,
      POPE_SPLITS.flatMap((s) => benchmark[s]),
    );
    const result = {} as Record<PopeSplit, PopeResult>;
    for (const split of POPE_SPLITS) {
      const questions = benchmark[split];
      const said = questions.map((q) => answers.get(questionKey(q)) ?? '');
      const metrics = popeMetrics(
        said,
        questions.map((q) => q.answer),
      );
      result[split] = { ...metrics, questions: questions.length };
    }
    return result;
  } finally {
    decoder.destroy();
  }
}

/** CHAIR of greedy captions of `scenes` held-out scenes, with the first few captions as examples. */
export async function evaluateChair(
  gpu: Gpu,
  vlm: LanguageModel,
  options: VlmEvaluationOptions & { maxTokens?: number },
): Promise<ChairResult> {
  const where = 'evaluateChair';
  checkVlmOptions(where, options);
  const maxTokens = options.maxTokens ?? DEFAULT_CAPTION_TOKENS;
  checkCount(where, 'maxTokens', maxTokens);
  const numPatches = checkVlm(where, vlm);
  const scenes = heldOutScenes(options.world ?? DEFAULT_WORLD, options.seed, options.scenes);
  const prompt = vlmPrompt(numPatches, CAPTION_PROMPT);
  const decoder = new GreedyDecoder(gpu, vlm);
  try {
    const generated = await decoder.generate(
      scenes.map((scene) => ({ tokens: prompt, image: imageToFloat32(rasterize(scene)) })),
      maxTokens,
      EOS_ID,
    );
    const captions = generated.map(idsToText);
    return {
      ...chairMetrics(captions, scenes),
      examples: scenes.slice(0, CHAIR_EXAMPLES).map((scene, i) => ({ scene, caption: captions[i] })),
    };
  } finally {
    decoder.destroy();
  }
}
