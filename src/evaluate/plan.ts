// From a config to the examples of each benchmark and the decoding jobs that answer them.
// Shapes scenes, POPE questions and statistics are the model cards' (src/defaults/evaluate-data.ts,
// src/world/pope.ts): scene i = sampleSceneAt(DEFAULT_WORLD, seed, i), questions from
// popeBenchmark(scenes, split, training statistics, seed + POPE_KEY_OFFSET), so a greedy lane
// reproduces evaluatePope / evaluateChair on the same scenes. A folder dataset asks the same kind of
// questions about its categories (./category-pope.ts).
// A job is one distinct (scene, prompt, token budget): a question asked in several splits (every
// yes-question) is decoded once per lane, as every lane's run is a pure function of its experiment.
import { heldOutScenes, POPE_KEY_OFFSET, trainingStatistics } from '../defaults/evaluate-data';
import type { ExperimentImage } from '../share/experiment';
import {
  DEFAULT_WORLD,
  imageToFloat32,
  popeBenchmark,
  rasterize,
  shapesIn,
  SHAPES,
  worldStatistics,
  type PopeSplit,
  type Scene,
} from '../world';
import { categoryPopeBenchmark, categoryStatistics } from './category-pope';
import type { EvaluationConfig } from './config';
import type { ExampleInput } from './experiments';
import type { FolderImages } from './folder';
import type { ChairExample, PopeExample } from './result';
import { expandLanes, type EvaluationLane } from './sweep';

export interface EvaluationJob {
  benchmark: 'pope' | 'chair';
  input: ExampleInput;
  /** Indices of the benchmark's examples this job's answers fill. */
  examples: number[];
}

export interface EvaluationPlan {
  lanes: EvaluationLane[];
  pope: PopeExample[] | null;
  chair: { examples: ChairExample[]; scenes: Scene[] } | null;
  jobs: EvaluationJob[];
  /** Scene i's pixels as the main model reads them (HWC in [0, 1]). */
  pixels(sceneIndex: number): Promise<Float32Array>;
}

/** A config the data cannot serve (a folder with fewer images than asked, a missing folder). */
export class EvaluationPlanError extends Error {
  override name = 'EvaluationPlanError';
}

function shapesPope(config: EvaluationConfig, scenes: readonly Scene[]): PopeExample[] {
  const pope = config.benchmarks.pope!;
  const ranked = pope.splits.some((s) => s !== 'random');
  const statistics = ranked ? trainingStatistics(DEFAULT_WORLD, config.trainingSeed) : worldStatistics([]);
  const image = (index: number): ExperimentImage => ({ kind: 'scene', seed: config.seed, index });
  return pope.splits.flatMap((split) =>
    popeBenchmark(
      scenes.slice(0, pope.scenes),
      split,
      statistics,
      config.seed + POPE_KEY_OFFSET,
      pope.questionsPerScene,
    ).map((q): PopeExample => ({
      benchmark: 'pope',
      sceneIndex: q.sceneIndex,
      split,
      prompt: q.question,
      object: q.shape,
      label: q.answer,
      image: image(q.sceneIndex),
    })),
  );
}

function folderPope(config: EvaluationConfig, folder: FolderImages): PopeExample[] {
  const pope = config.benchmarks.pope!;
  const dataset = config.dataset;
  if (dataset.kind !== 'folder') throw new Error('folderPope: not a folder dataset');
  const { images, categories } = folder.folder;
  if (images.length < pope.scenes) {
    throw new EvaluationPlanError(
      `POPE asks for ${pope.scenes} images, but the folder "${folder.folder.name}" has ${images.length}: lower scenes to ${images.length}`,
    );
  }
  const used = images.slice(0, pope.scenes);
  if (used.every((image) => image.objects.length === 0 || image.objects.length === categories.length)) {
    throw new EvaluationPlanError(
      `POPE has nothing to ask about the first ${used.length} images of "${folder.folder.name}": each needs an annotated object and an absent category`,
    );
  }
  const statistics = categoryStatistics(categories, images);
  return pope.splits.flatMap((split: PopeSplit) =>
    categoryPopeBenchmark(
      used,
      categories,
      split,
      statistics,
      config.seed + POPE_KEY_OFFSET,
      pope.questionsPerScene,
    ).map((q): PopeExample => ({
      benchmark: 'pope',
      sceneIndex: q.sceneIndex,
      split,
      prompt: dataset.questionTemplate.replaceAll('{object}', q.object),
      object: q.object,
      label: q.label,
      image: { kind: 'upload', sha256: used[q.sceneIndex].sha256, name: used[q.sceneIndex].fileName },
    })),
  );
}

/** Jobs for `examples`, one per distinct (scene, prompt), in scene order. */
function jobsFor(
  benchmark: 'pope' | 'chair',
  examples: readonly (PopeExample | ChairExample)[],
  maxTokens: number,
): EvaluationJob[] {
  const jobs = new Map<string, EvaluationJob>();
  examples.forEach((example, index) => {
    const key = `${example.sceneIndex}\n${example.prompt}`;
    const job = jobs.get(key);
    if (job) job.examples.push(index);
    else {
      const { sceneIndex, prompt, image } = example;
      jobs.set(key, { benchmark, input: { sceneIndex, prompt, image, maxTokens }, examples: [index] });
    }
  });
  return [...jobs.values()].sort((a, b) => a.input.sceneIndex - b.input.sceneIndex);
}

/** The examples and jobs of a validated config. `folder` is required for a folder dataset. */
export function planEvaluation(config: EvaluationConfig, folder?: FolderImages): EvaluationPlan {
  const { pope, chair } = config.benchmarks;
  const lanes = expandLanes(config);
  if (config.dataset.kind === 'folder') {
    if (!folder)
      throw new EvaluationPlanError(
        `the evaluation reads the folder "${config.dataset.name}": open that folder first`,
      );
    if (folder.folder.annotationsSha256 !== config.dataset.annotationsSha256) {
      throw new EvaluationPlanError(
        `the open folder "${folder.folder.name}" has different annotations (sha ${folder.folder.annotationsSha256.slice(0, 12)}…) than the evaluation pins (${config.dataset.annotationsSha256.slice(0, 12)}…): open the pinned folder`,
      );
    }
    const examples = folderPope(config, folder);
    const images = folder.folder.images;
    return {
      lanes,
      pope: examples,
      chair: null,
      jobs: jobsFor('pope', examples, pope!.maxTokens),
      pixels: async (i) => folder.pixels(images[i]),
    };
  }
  const scenes = heldOutScenes(DEFAULT_WORLD, config.seed, Math.max(pope?.scenes ?? 0, chair?.scenes ?? 0));
  const popeExamples = pope ? shapesPope(config, scenes) : null;
  const chairExamples = chair
    ? scenes.slice(0, chair.scenes).map((scene, index): ChairExample => ({
        benchmark: 'chair',
        sceneIndex: index,
        prompt: chair.prompt,
        image: { kind: 'scene', seed: config.seed, index },
        objects: SHAPES.filter((s) => shapesIn(scene).has(s)),
      }))
    : null;
  return {
    lanes,
    pope: popeExamples,
    chair: chairExamples ? { examples: chairExamples, scenes: scenes.slice(0, chair!.scenes) } : null,
    jobs: [
      ...(popeExamples ? jobsFor('pope', popeExamples, pope!.maxTokens) : []),
      ...(chairExamples ? jobsFor('chair', chairExamples, chair!.maxTokens) : []),
    ],
    pixels: async (i) => imageToFloat32(rasterize(scenes[i])),
  };
}
