// Folder datasets for real VLMs: a tiny synthetic folder loads (an image without annotations holds
// no objects), every kind of mistake is reported with the entry and value, category POPE asks
// exactly the world's POPE questions when the categories are the 8 shapes, and a folder evaluation
// plans and runs with the template's questions and upload images pinned by SHA-256.
import { describe, expect, it, vi } from 'vitest';
import { defaultLane } from '../share/methods';
import { validateExperiment } from '../share/schema';
import {
  DEFAULT_WORLD,
  POPE_SPLITS,
  popeBenchmark,
  sampleScenes,
  SHAPES,
  shapesIn,
  worldStatistics,
  type WorldStatistics,
} from '../world';
import { categoryPopeBenchmark, type CategoryStatistics } from './category-pope';
import type { EvaluationConfig } from './config';
import { exampleLink } from './link';
import {
  FolderDatasetError,
  loadAnnotatedFolder,
  parseCocoAnnotations,
  sha256Hex,
  type FolderSource,
} from './folder';
import { planEvaluation } from './plan';
import { testing } from './testing';

vi.hoisted(() => {
  Object.assign(globalThis, {
    GPUBufferUsage: {
      MAP_READ: 1,
      MAP_WRITE: 2,
      COPY_SRC: 4,
      COPY_DST: 8,
      INDEX: 16,
      VERTEX: 32,
      UNIFORM: 64,
      STORAGE: 128,
    },
    GPUMapMode: { READ: 1, WRITE: 2 },
  });
});
const { DecodeSession } = await import('../decoding/lanes/session');
const { runEvaluation } = await import('./runner');
const { harness, tokenizer, gpu, clock } = testing(DecodeSession);

const encode = (text: string) => new TextEncoder().encode(text);

const ANNOTATIONS = {
  info: { description: 'tiny' },
  images: [
    { id: 3, file_name: 'c.png', width: 4, height: 4 },
    { id: 1, file_name: 'a.png' },
    { id: 2, file_name: 'b.png' },
  ],
  annotations: [
    { image_id: 1, category_id: 10, bbox: [0, 0, 1, 1] },
    { image_id: 1, category_id: 10 },
    { image_id: 1, category_id: 30 },
    { image_id: 2, category_id: 20 },
  ],
  categories: [
    { id: 10, name: 'cup' },
    { id: 20, name: 'dog' },
    { id: 30, name: 'fork' },
    { id: 40, name: 'kite' },
  ],
};

function source(files: Record<string, string | Uint8Array>, name = 'kitchen'): FolderSource {
  return {
    name,
    files: Object.keys(files),
    read: async (path) => {
      const file = files[path];
      if (file === undefined) throw new Error(`no ${path}`);
      return typeof file === 'string' ? encode(file) : file;
    },
  };
}

const tinyFolder = () =>
  source({ 'annotations.json': JSON.stringify(ANNOTATIONS), 'a.png': 'A', 'b.png': 'B', 'c.png': 'C' });

describe('loadAnnotatedFolder', () => {
  it('reads a COCO-style folder: images by id, distinct objects in category order, files pinned', async () => {
    const folder = await loadAnnotatedFolder(tinyFolder());
    expect(folder).toEqual({
      name: 'kitchen',
      annotationsSha256: await sha256Hex(encode(JSON.stringify(ANNOTATIONS))),
      categories: ['cup', 'dog', 'fork', 'kite'],
      images: [
        { id: 1, fileName: 'a.png', objects: ['cup', 'fork'], sha256: await sha256Hex(encode('A')) },
        { id: 2, fileName: 'b.png', objects: ['dog'], sha256: await sha256Hex(encode('B')) },
        { id: 3, fileName: 'c.png', objects: [], sha256: await sha256Hex(encode('C')) },
      ],
    });
  });

  it('reports every problem with the entry and value: missing files, unknown ids, duplicates, bad JSON', async () => {
    await expect(loadAnnotatedFolder(source({ 'a.png': 'A' }))).rejects.toThrow(
      'The folder "kitchen" cannot be evaluated: it has no annotations.json (COCO-style: images, annotations, categories) at its top level',
    );
    const problems = (annotations: unknown, files = ['a.png', 'b.png', 'c.png']) => {
      try {
        parseCocoAnnotations(
          'kitchen',
          typeof annotations === 'string' ? annotations : JSON.stringify(annotations),
          files,
        );
      } catch (error) {
        if (error instanceof FolderDatasetError) return error.problems;
        throw error;
      }
      throw new Error('expected a FolderDatasetError');
    };
    expect(problems('{"images": [')[0]).toMatch(/^annotations.json is not valid JSON/);
    expect(problems({ images: [], annotations: [] })).toEqual([
      'annotations.json.categories: is missing (expected an array)',
    ]);
    expect(
      problems(
        {
          ...ANNOTATIONS,
          annotations: [
            ...ANNOTATIONS.annotations,
            { image_id: 9, category_id: 10 },
            { image_id: 1, category_id: 99 },
          ],
          categories: [...ANNOTATIONS.categories, { id: 10, name: 'mug' }],
        },
        ['a.png', 'photos/b.png'],
      ),
    ).toEqual([
      'annotations.json categories[4]: id 10 is used by another category',
      'annotations.json images[0]: "c.png" is not in the folder',
      'annotations.json images[2]: "b.png" is not in the folder (did you mean "photos/b.png"? file_name is relative to the folder)',
      'annotations.json annotations[4]: image_id 9 is not the id of an image',
      'annotations.json annotations[5]: category_id 99 is not a category id (the categories have 10, 20, 30, 40)',
    ]);
    expect(
      problems({
        ...ANNOTATIONS,
        images: [
          { id: 1, file_name: 'a.png' },
          { id: 1, file_name: 'a.png' },
        ],
        annotations: [],
      }),
    ).toEqual([
      'annotations.json images[1]: id 1 is used by another image',
      'annotations.json images[1]: "a.png" is listed twice',
    ]);
    expect(problems({ ...ANNOTATIONS, images: [{ id: 'x', file_name: 'a.png' }] })).toEqual([
      'annotations.json.images[0].id: expected a number, got "x"',
    ]);
  });
});

/** The world's statistics as category statistics over the shape names. */
function asCategoryStatistics(stats: WorldStatistics): CategoryStatistics {
  return {
    images: stats.scenes,
    counts: new Map(SHAPES.map((s) => [s, stats.shapeCounts[s]])),
    cooccurrence: new Map(SHAPES.map((a) => [a, new Map(SHAPES.map((b) => [b, stats.cooccurrence[a][b]]))])),
  };
}

describe('category POPE', () => {
  it("asks the world's POPE questions when the categories are the 8 shapes", () => {
    const training = worldStatistics(sampleScenes(DEFAULT_WORLD, 1, 2000));
    const scenes = sampleScenes(DEFAULT_WORLD, 77, 40);
    const images = scenes.map((scene) => ({ objects: [...shapesIn(scene)] }));
    for (const split of POPE_SPLITS) {
      const world = popeBenchmark(scenes, split, training, 79, 3).map((q) => ({
        object: q.shape,
        label: q.answer,
        sceneIndex: q.sceneIndex,
      }));
      expect(categoryPopeBenchmark(images, SHAPES, split, asCategoryStatistics(training), 79, 3)).toEqual(
        world,
      );
    }
  });
});

describe('a folder evaluation', () => {
  const folderConfig = async (): Promise<EvaluationConfig> => ({
    version: 1,
    models: { main: { source: 'default', id: 'shapes-vlm', sha256: {} } },
    lanes: [defaultLane('plain', 'yes')],
    benchmarks: { pope: { splits: ['random', 'popular'], scenes: 3, questionsPerScene: 3, maxTokens: 3 } },
    dataset: {
      kind: 'folder',
      name: 'kitchen',
      annotationsSha256: await sha256Hex(encode(JSON.stringify(ANNOTATIONS))),
      questionTemplate: 'Is there a {object} in the image?',
    },
    seed: 5,
    trainingSeed: 1_000_000,
    decodeSeed: 0,
    bootstrap: { resamples: 20, seed: 0, confidence: 0.95 },
  });

  it('asks the template about its categories, with the images as pinned uploads, and runs', async () => {
    const folder = await loadAnnotatedFolder(tinyFolder());
    const pixels = vi.fn(() => new Float32Array(48 * 48 * 3));
    const config = await folderConfig();
    const plan = planEvaluation(config, { folder, pixels });
    // a.png: cup, fork present (2 yes, 2 no); b.png: dog (1 and 1); c.png: nothing to ask.
    expect(
      plan
        .pope!.filter((e) => e.split === 'random')
        .map((e) => [e.sceneIndex, e.label])
        .sort(),
    ).toEqual([
      [0, 'no'],
      [0, 'no'],
      [0, 'yes'],
      [0, 'yes'],
      [1, 'no'],
      [1, 'yes'],
    ]);
    const popular = plan.pope!.filter((e) => e.split === 'popular' && e.label === 'no');
    // By frequency over the folder: cup, dog, fork (one image each, ties in category order), kite.
    // a.png (cup, fork) gets dog and kite; b.png (dog) gets cup.
    expect(popular.map((e) => [e.sceneIndex, e.object]).sort()).toEqual([
      [0, 'dog'],
      [0, 'kite'],
      [1, 'cup'],
    ]);
    expect(plan.pope![0].prompt).toMatch(/^Is there a (cup|dog|fork|kite) in the image\?$/);
    expect(plan.pope![0].image).toEqual({
      kind: 'upload',
      sha256: folder.images[plan.pope![0].sceneIndex].sha256,
      name: folder.images[plan.pope![0].sceneIndex].fileName,
    });
    const link = exampleLink(config, 0, plan.pope![0]);
    expect(link.startsWith('#decode/x1.')).toBe(true);
    const h = harness();
    const result = await runEvaluation(config, {
      gpu,
      models: { main: h.main },
      tokenizer,
      createSession: h.createSession,
      clock,
      folder: { folder, pixels },
    });
    expect(result.lanes[0].pope!.map((s) => s.metrics.yesRatio.value)).toEqual([1, 1]);
    expect(result.lanes[0].pope![0].scenes).toBe(2);
    expect(pixels).toHaveBeenCalledTimes(2);
    expect(h.sessions.every((e) => validateExperiment(e).ok)).toBe(true);
  });

  it('refuses a folder whose annotations differ from the pinned ones, or too few images', async () => {
    const folder = await loadAnnotatedFolder(tinyFolder());
    const config = await folderConfig();
    const pixels = () => new Float32Array(0);
    expect(() =>
      planEvaluation(
        {
          ...config,
          dataset: { ...config.dataset, annotationsSha256: 'f'.repeat(64) } as EvaluationConfig['dataset'],
        },
        { folder, pixels },
      ),
    ).toThrow(/has different annotations/);
    expect(() =>
      planEvaluation(
        { ...config, benchmarks: { pope: { ...config.benchmarks.pope!, scenes: 4 } } },
        { folder, pixels },
      ),
    ).toThrow('POPE asks for 4 images, but the folder "kitchen" has 3: lower scenes to 3');
    expect(() => planEvaluation(config)).toThrow(/open that folder first/);
  });
});
