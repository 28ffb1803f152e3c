// What a Decode run needs before it starts, resolved in the worker: the experiment's models from
// the worker's slots (a 'default' ref is the Shapes model of that folder name, loaded into its slot
// when it is not loaded yet; any other ref must be the Model tab's model), their pinned SHA-256s
// checked against the files they were loaded from, and the image (a scene rendered from its seed
// exactly as the Shapes tab renders it, or the uploaded pixels the page sent). Pure apart from the
// slot hosts it is given, so Node unit tests run it with fakes.
import type { Gpu } from '../gpu/runtime';
import type { LanguageModel } from '../model/interface';
import type { TextTokenizer } from '../model/tokenizer';
import type { Experiment, ModelRef } from '../share/experiment';
import { DEFAULT_WORLD, imageToFloat32, rasterize, sampleSceneAt } from '../world';
import type { StartDecodeParams } from './decodeTypes';
import type { ModelCard, ModelSourceSpec } from './modelTypes';
import type { WorkerEvent } from './protocol';
import { isShapesModel, SHAPES_MODELS, type ShapesModelName } from './shapesTypes';

/** A refusal written for the user (shown as is). */
export class DecodeRequestError extends Error {
  override name = 'DecodeRequestError';
}

/** A loaded model as a slot holds it (ModelHost.loadedModel()). */
export interface SlotModel {
  model: LanguageModel;
  tokenizer: TextTokenizer;
  card: ModelCard;
  spec: ModelSourceSpec;
}

/** What the decode host needs of a model slot (ModelHost has it). */
export interface SlotHost {
  loadedModel(): SlotModel | null;
  load(gpu: Gpu, requestId: number, spec: ModelSourceSpec, post: (event: WorkerEvent) => void): Promise<void>;
}

export interface DecodeSlots {
  /** The Model tab's slot, or null when the worker has none. */
  workbench: SlotHost | null;
  shapes(name: ShapesModelName): SlotHost;
  /** Where a Shapes model's folder is served (the page's public/models/<name>/). */
  shapesFolderUrl(name: ShapesModelName): string;
}

/**
 * The scene's pixels: the Shapes tab's rendering (src/store/shapesSlice.ts: sampleSceneAt of
 * DEFAULT_WORLD, rasterize) as HWC f32 in [0, 1] (imageToFloat32, as its generate requests send).
 */
export function scenePixels(seed: number, index: number): Float32Array {
  return imageToFloat32(rasterize(sampleSceneAt(DEFAULT_WORLD, seed, index)));
}

function describeRef(ref: ModelRef): string {
  return ref.source === 'default'
    ? `the default model ${ref.id}`
    : `${ref.id}${ref.revision ? `@${ref.revision}` : ''}`;
}

/** Pinned files whose hash differs from (or is missing in) the loaded model's. */
export function pinMismatches(ref: ModelRef, fileHashes: Record<string, string>): string[] {
  return Object.entries(ref.sha256)
    .filter(([file, hash]) => fileHashes[file] !== hash)
    .map(([file, hash]) =>
      fileHashes[file] === undefined
        ? `${file} is pinned but was not among the loaded files`
        : `${file} is ${fileHashes[file].slice(0, 12)}…, the experiment pins ${hash.slice(0, 12)}…`,
    );
}

function sameSource(ref: ModelRef, spec: ModelSourceSpec): boolean {
  if (ref.source === 'hub') return spec.kind === 'hub' && spec.repo === ref.id && (spec.revision.trim() || undefined) === ref.revision; // prettier-ignore
  if (ref.source === 'url')
    return spec.kind === 'url' && spec.url.replace(/\/+$/, '') === ref.id.replace(/\/+$/, '');
  return false;
}

/** A slot that holds several models (ModelHost: the Model tab's, with models kept beside each other). */
interface ShelfHost {
  findLoaded(ref: ModelRef): SlotModel | null;
}

/**
 * The Model tab's model a ref names: the one with its pinned files (or from its source) when the
 * slot holds several, else the slot's model (whose pins are then checked by the caller).
 */
function workbenchModel(slots: DecodeSlots, ref: ModelRef): SlotModel | null {
  const host = slots.workbench as (DecodeSlots['workbench'] & Partial<ShelfHost>) | null;
  return host?.findLoaded?.(ref) ?? host?.loadedModel() ?? null;
}

/** How a workbench words its refusals: its error class and what it calls its setup. */
export interface RefusalWording {
  fail(message: string): Error;
  /** "experiment" (Decode), "setup" (Speculative). */
  setup: string;
}

const DECODE_WORDING: RefusalWording = {
  fail: (message) => new DecodeRequestError(message),
  setup: 'experiment',
};

/**
 * The model a ref names, from the worker's slots: a default model is loaded when it is not yet; a
 * Hub or URL model must be in the Model tab (found by its pins when the tab holds several), and
 * its files must be the pinned ones.
 */
export async function resolveModelRef(
  gpu: Gpu,
  role: string,
  ref: ModelRef,
  slots: DecodeSlots,
  requestId: number,
  post: (event: WorkerEvent) => void,
  wording: RefusalWording = DECODE_WORDING,
): Promise<SlotModel> {
  let loaded: SlotModel | null;
  if (ref.source === 'default') {
    if (!isShapesModel(ref.id)) {
      throw wording.fail(
        `The ${role} model "${ref.id}" is not a default model; the defaults are ${SHAPES_MODELS.join(', ')}.`,
      );
    }
    const host = slots.shapes(ref.id);
    if (!host.loadedModel())
      await host.load(
        gpu,
        requestId,
        { kind: 'url', url: slots.shapesFolderUrl(ref.id), useCache: false },
        post,
      );
    loaded = host.loadedModel();
    if (!loaded) throw wording.fail(`The ${role} model ${ref.id} could not be loaded.`);
  } else {
    loaded = workbenchModel(slots, ref);
    if (!loaded) {
      throw wording.fail(
        `The ${role} model is ${describeRef(ref)}, but no model is loaded in the Model tab: load it there first.`,
      );
    }
    const pinned = Object.keys(ref.sha256).length > 0;
    if (!pinned && !sameSource(ref, loaded.spec)) {
      throw wording.fail(
        `The ${role} model is ${describeRef(ref)}, but the Model tab holds ${loaded.card.name}: load ${ref.id} there first.`,
      );
    }
  }
  const mismatches = pinMismatches(ref, loaded.model.info.fileHashes);
  if (mismatches.length > 0) {
    throw wording.fail(
      `The loaded ${role} model (${loaded.card.name}) is not the one this ${wording.setup} pins: ${mismatches.join('; ')}. ` +
        'Its tokens would differ: load the pinned files, or run without pins.',
    );
  }
  return loaded;
}

function sameVocabulary(a: TextTokenizer, b: TextTokenizer): boolean {
  if (a.vocabSize !== b.vocabSize) return false;
  for (let id = 0; id < a.vocabSize; id++) if (a.idToToken(id) !== b.idToToken(id)) return false;
  return true;
}

export interface ResolvedDecode {
  main: SlotModel;
  amateur: SlotModel | null;
  image: Float32Array | null;
}

export async function resolveDecode(
  gpu: Gpu,
  params: StartDecodeParams,
  slots: DecodeSlots,
  requestId: number,
  post: (event: WorkerEvent) => void,
): Promise<ResolvedDecode> {
  const { experiment } = params;
  const main = await resolveModelRef(gpu, 'main', experiment.models.main, slots, requestId, post);
  const amateurRef = experiment.models.amateur;
  const amateur = amateurRef
    ? await resolveModelRef(gpu, 'amateur', amateurRef, slots, requestId, post)
    : null;
  if (amateur && amateur.model === main.model) {
    throw new DecodeRequestError(
      `The main and amateur models are the same loaded model (${main.card.name}): contrast two different models.`,
    );
  }
  if (amateur && !sameVocabulary(main.tokenizer, amateur.tokenizer)) {
    throw new DecodeRequestError(
      `${main.card.name} and ${amateur.card.name} have different tokenizers: a contrast (CD, LOL) or a speculative draft needs the main model's vocabulary.`,
    );
  }
  return { main, amateur, image: experimentImage(experiment, params.imagePixels) };
}

function experimentImage(experiment: Experiment, pixels: Float32Array | undefined): Float32Array | null {
  const image = experiment.image;
  if (!image) return null;
  if (image.kind === 'scene') return scenePixels(image.seed, image.index);
  if (!pixels) {
    throw new DecodeRequestError(
      `The experiment uses the uploaded image ${image.name}, but its pixels were not sent: upload it again.`,
    );
  }
  return pixels;
}
