// Before a load: what the chosen folder holds (a safetensors checkpoint for the WGSL engine, the
// dtypes of a Hub ONNX export for onnxruntime-web), read on the page from the file list or HEAD
// requests (no weights), and the choice the Model tab offers when there is one to make. Also which
// of the Model tab's loaded models a setup's ref names. Pure apart from the detection's requests.
import { hubSource, urlSource, type ModelSource } from '../model/loading/sources';
import { localFilesSource } from '../model/loading/localFiles';
import type { OnnxDtype } from '../model/onnx/layout';
import { defaultOnnxDtype, detectFolderLayout, type FolderLayout } from '../model/onnx/loadOnnxFolder';
import type { ProviderChoice } from '../model/onnx/session';
import type { ModelRef } from '../share/experiment';
import type { LoadChoice, ModelCard, ModelSourceSpec } from '../worker/modelTypes';

/** A folder waiting for the user's engine, dtype and provider (the Model tab's chooser). */
export interface PendingChoice {
  source: ModelSourceSpec;
  /** The folder as the heading names it. */
  name: string;
  layout: FolderLayout;
  engine: 'wgsl' | 'onnx';
  dtype: OnnxDtype;
  provider: ProviderChoice;
}

/** The source of a spec on the page (the worker builds its own from the same spec). */
export function pageSource(spec: ModelSourceSpec): ModelSource {
  if (spec.kind === 'hub') return hubSource(spec.repo, { revision: spec.revision.trim() || undefined });
  if (spec.kind === 'url') return urlSource(spec.url, spec.useCache === false ? { cache: null } : {});
  return localFilesSource(spec.files);
}

/** What `spec`'s folder holds: its file list, or HEAD requests and the cache for the Hub and URLs. */
export async function detectLayout(spec: ModelSourceSpec): Promise<{ name: string; layout: FolderLayout }> {
  const source = pageSource(spec);
  return { name: source.describe(), layout: await detectFolderLayout(source) };
}

/**
 * The choice to offer for a detected folder, or null when there is none to make (no ONNX export:
 * the WGSL loader takes it, and says what is missing if it is not a checkpoint either).
 */
export function pendingChoice(
  source: ModelSourceSpec,
  name: string,
  layout: FolderLayout,
): PendingChoice | null {
  const dtype = defaultOnnxDtype(layout);
  if (dtype === null) return null;
  return { source, name, layout, engine: layout.safetensors ? 'wgsl' : 'onnx', dtype, provider: 'auto' };
}

/** The load a chooser's state asks for. */
export function choiceSpec(choice: PendingChoice, keepLoaded: boolean): ModelSourceSpec {
  const load: LoadChoice =
    choice.engine === 'wgsl'
      ? { engine: 'wgsl', keepLoaded }
      : { engine: 'onnx', onnxDtype: choice.dtype, provider: choice.provider, keepLoaded };
  return { ...choice.source, load };
}

/**
 * The loaded card a non-default ref names: with pins, the one whose files have every pinned
 * hash, else the active card (the caller compares the pins and names the mismatch); without pins,
 * the card the ref names by source, else the active one. Null when nothing is loaded.
 */
export function workbenchCardFor(
  model: { card: ModelCard | null; loaded: readonly ModelCard[] },
  ref: ModelRef,
): ModelCard | null {
  const pins = Object.entries(ref.sha256);
  const cards = [...model.loaded].reverse();
  const byPins = pins.length > 0 && cards.find((card) => pins.every(([file, hash]) => card.fileHashes[file] === hash)); // prettier-ignore
  const bySource = cards.find((card) => card.ref?.source === ref.source && card.ref.id === ref.id);
  return (byPins || null) ?? bySource ?? model.card;
}
