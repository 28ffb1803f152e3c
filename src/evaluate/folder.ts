// A user's folder of images for POPE on a real vision-language model (issue 10, item 4): the
// images plus an `annotations.json` in the COCO layout,
//   { "images":      [{ "id": 1, "file_name": "kitchen.jpg", ... }],
//     "annotations": [{ "image_id": 1, "category_id": 3, ... }],
//     "categories":  [{ "id": 3, "name": "cup", ... }] }
// (other COCO fields such as bbox, width, info are allowed and ignored). An image without
// annotations is allowed and holds no objects (POPE asks it nothing: it has no yes-question).
// Everything wrong is reported at once, each problem with the entry and value it concerns.
// Images keep annotation order sorted by id; an image's objects are its distinct category names in
// category order. Each image file is pinned by its SHA-256, so an example's Decode link names the
// upload it needs; annotations.json's SHA-256 pins the folder in the evaluation config.
// Pixels are not read here: turning a file into the model's input is the model backend's job, and
// the runner takes it as a dependency (FolderImages.pixels).
import { z } from 'zod';
import { formatIssues } from '../share/issues';
import { EVALUATION_LIMITS } from './config';

export const ANNOTATIONS_FILE = 'annotations.json';

export interface AnnotatedImage {
  id: number;
  fileName: string;
  /** Distinct category names of its annotations, in category order (empty: no objects). */
  objects: string[];
  sha256: string;
}

export interface AnnotatedFolder {
  name: string;
  annotationsSha256: string;
  /** Category names in annotation order. */
  categories: string[];
  images: AnnotatedImage[];
}

/** What the loader reads a folder through (a directory picker, a file list, Node's fs in tests). */
export interface FolderSource {
  name: string;
  /** Paths of the folder's files, relative to it, with '/' separators. */
  files: readonly string[];
  read(path: string): Promise<Uint8Array>;
}

/** A folder the evaluation cannot use; `problems` lists every reason, one line each. */
export class FolderDatasetError extends Error {
  constructor(
    readonly folder: string,
    readonly problems: string[],
  ) {
    super(
      problems.length === 1
        ? `The folder "${folder}" cannot be evaluated: ${problems[0]}`
        : `The folder "${folder}" cannot be evaluated:\n${problems.map((p) => `- ${p}`).join('\n')}`,
    );
    this.name = 'FolderDatasetError';
  }
}

const id = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const cocoSchema = z.object({
  images: z.array(z.object({ id, file_name: z.string().min(1).max(200) })).max(EVALUATION_LIMITS.scenes),
  annotations: z.array(z.object({ image_id: id, category_id: id })),
  categories: z.array(z.object({ id, name: z.string().trim().min(1).max(100) })).min(1),
});

const MAX_PROBLEMS = 20;

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(bytes)));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export interface ParsedAnnotations {
  categories: string[];
  images: { id: number; fileName: string; objects: string[] }[];
}

/** Parses and checks annotations.json against the folder's file list; throws FolderDatasetError. */
export function parseCocoAnnotations(
  folder: string,
  text: string,
  files: readonly string[],
): ParsedAnnotations {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 160) : 'unreadable';
    throw new FolderDatasetError(folder, [`${ANNOTATIONS_FILE} is not valid JSON (${reason})`]);
  }
  const parsed = cocoSchema.safeParse(value, { reportInput: true });
  if (!parsed.success) {
    throw new FolderDatasetError(
      folder,
      formatIssues(parsed.error, { root: ANNOTATIONS_FILE, limit: MAX_PROBLEMS }),
    );
  }
  const coco = parsed.data;
  const problems: string[] = [];
  const at = (what: string, index: number) => `${ANNOTATIONS_FILE} ${what}[${index}]`;
  const categoryById = new Map<number, string>();
  const names = new Set<string>();
  coco.categories.forEach((c, i) => {
    if (categoryById.has(c.id))
      problems.push(`${at('categories', i)}: id ${c.id} is used by another category`);
    else if (names.has(c.name))
      problems.push(`${at('categories', i)}: the name "${c.name}" is used by another category`);
    categoryById.set(c.id, c.name);
    names.add(c.name);
  });
  const available = new Set(files);
  const imageIndex = new Map<number, number>();
  const fileNames = new Set<string>();
  coco.images.forEach((image, i) => {
    if (imageIndex.has(image.id))
      problems.push(`${at('images', i)}: id ${image.id} is used by another image`);
    imageIndex.set(image.id, i);
    if (fileNames.has(image.file_name))
      problems.push(`${at('images', i)}: "${image.file_name}" is listed twice`);
    fileNames.add(image.file_name);
    if (!available.has(image.file_name)) {
      const similar = files.find((f) => f.endsWith(`/${image.file_name}`));
      problems.push(
        `${at('images', i)}: "${image.file_name}" is not in the folder${similar ? ` (did you mean "${similar}"? file_name is relative to the folder)` : ''}`,
      );
    }
  });
  if (coco.images.length === 0) problems.push(`${ANNOTATIONS_FILE} lists no images`);
  const objects = coco.images.map(() => new Set<string>());
  const knownIds = [...categoryById.keys()].slice(0, 8).join(', ');
  coco.annotations.forEach((a, i) => {
    const image = imageIndex.get(a.image_id);
    const category = categoryById.get(a.category_id);
    if (image === undefined)
      problems.push(`${at('annotations', i)}: image_id ${a.image_id} is not the id of an image`);
    if (category === undefined)
      problems.push(
        `${at('annotations', i)}: category_id ${a.category_id} is not a category id (the categories have ${knownIds}${categoryById.size > 8 ? ', ...' : ''})`,
      );
    if (image !== undefined && category !== undefined) objects[image].add(category);
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_PROBLEMS);
    if (problems.length > MAX_PROBLEMS) shown.push(`... and ${problems.length - MAX_PROBLEMS} more problems`);
    throw new FolderDatasetError(folder, shown);
  }
  const categories = coco.categories.map((c) => c.name);
  const order = new Map(categories.map((c, i) => [c, i]));
  const images = coco.images
    .map((image, i) => ({
      id: image.id,
      fileName: image.file_name,
      objects: [...objects[i]].sort((a, b) => order.get(a)! - order.get(b)!),
    }))
    .sort((a, b) => a.id - b.id);
  return { categories, images };
}

/** Reads and checks a folder: annotations.json, every listed image present, each image's SHA-256. */
export async function loadAnnotatedFolder(source: FolderSource): Promise<AnnotatedFolder> {
  if (!source.files.includes(ANNOTATIONS_FILE)) {
    throw new FolderDatasetError(source.name, [
      `it has no ${ANNOTATIONS_FILE} (COCO-style: images, annotations, categories) at its top level`,
    ]);
  }
  const annotationBytes = await source.read(ANNOTATIONS_FILE);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(annotationBytes);
  } catch {
    throw new FolderDatasetError(source.name, [`${ANNOTATIONS_FILE} is not UTF-8 text`]);
  }
  const parsed = parseCocoAnnotations(source.name, text, source.files);
  const images: AnnotatedImage[] = [];
  for (const image of parsed.images) {
    images.push({ ...image, sha256: await sha256Hex(await source.read(image.fileName)) });
  }
  return {
    name: source.name,
    annotationsSha256: await sha256Hex(annotationBytes),
    categories: parsed.categories,
    images,
  };
}

/** A loaded folder with the model backend's preprocessing: file → HWC pixels at the model's size. */
export interface FolderImages {
  folder: AnnotatedFolder;
  pixels(image: AnnotatedImage): Promise<Float32Array> | Float32Array;
}
