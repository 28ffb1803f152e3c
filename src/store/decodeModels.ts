// Whether the models an experiment names are the models the worker has loaded (pure). A 'default'
// ref is one of the Shapes models in its own worker slot; a Hub or URL ref must be the Model tab's
// model (the 'workbench' slot). Pinned SHA-256s must match the loaded files exactly: a different
// file gives different tokens, so the run is refused here (as the worker would) and the mismatch is
// named file by file.
import type { Experiment, ModelRef } from '../share/experiment';
import { isShapesModel } from '../worker/shapesTypes';
import { workbenchCardFor } from './modelChoice';
import type { ModelState } from './modelSlice';
import type { ShapesState } from './shapesSlice';

export type ModelRole = 'main' | 'amateur';

export interface ModelAvailability {
  status: 'ready' | 'loading' | 'missing' | 'mismatch';
  /** What to tell the user (null when ready and every pinned hash matched). */
  message: string | null;
  /** The loaded files' hashes, when a model is loaded for this ref. */
  loadedHashes: Record<string, string> | null;
}

/** "default shapes-vlm", "hub owner/name@rev", "url https://…". */
export function describeRef(ref: ModelRef): string {
  if (ref.source === 'hub') return `${ref.id}${ref.revision ? `@${ref.revision}` : ''}`;
  return ref.id;
}

const short = (hash: string) => hash.slice(0, 8);

/** The first pinned file whose loaded hash differs (or is missing), worded, or null. */
function hashMismatch(ref: ModelRef, loaded: Record<string, string>): string | null {
  for (const [file, pinned] of Object.entries(ref.sha256)) {
    const actual = loaded[file];
    if (actual === undefined) {
      return `${describeRef(ref)}: the link pins ${file} (sha ${short(pinned)}…) but the loaded model has no such file`;
    }
    if (actual.toLowerCase() !== pinned.toLowerCase()) {
      return (
        `${describeRef(ref)}: ${file} is pinned to sha ${short(pinned)}… but the loaded file is ${short(actual)}…; ` +
        'a different file gives different tokens. Load the pinned model, or re-pin to the loaded files.'
      );
    }
  }
  return null;
}

export function modelAvailability(ref: ModelRef, shapes: ShapesState, model: ModelState): ModelAvailability {
  if (ref.source === 'default') {
    if (!isShapesModel(ref.id)) {
      return {
        status: 'missing',
        message: `"${ref.id}" is not one of the default models`,
        loadedHashes: null,
      };
    }
    const slot = shapes.models[ref.id];
    if (slot.status === 'error') {
      return {
        status: 'missing',
        message: `${ref.id} did not load: ${slot.error ?? 'unknown error'}`,
        loadedHashes: null,
      };
    }
    if (slot.status !== 'ready' || !slot.card) {
      return { status: 'loading', message: `${ref.id} is loading…`, loadedHashes: null };
    }
    const mismatch = hashMismatch(ref, slot.card.fileHashes);
    return { status: mismatch ? 'mismatch' : 'ready', message: mismatch, loadedHashes: slot.card.fileHashes };
  }
  if (model.status === 'loading') {
    return { status: 'loading', message: 'the Model tab is loading a model…', loadedHashes: null };
  }
  // The Model tab may hold several models (kept beside each other): the one this ref names.
  const card = workbenchCardFor(model, ref);
  if (!card) {
    return {
      status: 'missing',
      message: `${describeRef(ref)} is not loaded: load it in the Model tab, then come back`,
      loadedHashes: null,
    };
  }
  if (Object.keys(ref.sha256).length === 0) {
    return {
      status: 'ready',
      message: `the link pins no file hashes: the Model tab's ${card.name} is assumed to be ${describeRef(ref)}`,
      loadedHashes: card.fileHashes,
    };
  }
  const mismatch = hashMismatch(ref, card.fileHashes);
  return { status: mismatch ? 'mismatch' : 'ready', message: mismatch, loadedHashes: card.fileHashes };
}

/** The models a run uses, by role: the main one always, the amateur one when set. */
export function modelsInUse(experiment: Experiment): [ModelRole, ModelRef][] {
  const roles: [ModelRole, ModelRef][] = [['main', experiment.models.main]];
  if (experiment.models.amateur) roles.push(['amateur', experiment.models.amateur]);
  return roles;
}
