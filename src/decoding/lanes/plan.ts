// From an experiment to lanes of components with their prompt ids, and the prompt prefills they
// share. Pure (no GPU): the session (./session.ts) runs what this plans.
//
// Prefill sharing: components with equal (model slot, prompt ids, image pixels) need the same KV
// cache after the prompt and the same first logits row, so each such group is ONE prefill entry:
// its prompt is forwarded once, every member reads that row at step 0, and afterwards the first
// member keeps the sequence and the others fork it (capabilities.fork). Without fork every member
// is its own entry (each prompt is forwarded; the counts say so).
import type { ModelInfo } from '../../model/interface';
import type { TextTokenizer } from '../../model/tokenizer';
import type { Experiment, LaneConfig, MethodName } from '../../share/experiment';
import { METHODS } from '../../share/methods';
import { decodingMethod } from '../methods';
import type {
  Combination,
  DecodingMethod,
  ResolvedComponent,
  MethodContext,
  ModelSlotName,
} from '../methods/types';
import { componentPromptIds } from './prompt';
import { DecodeSetupError } from './validate';

export type PlannedComponent = ResolvedComponent;

export interface PlannedLane {
  index: number;
  config: LaneConfig;
  method: DecodingMethod;
  components: PlannedComponent[];
  combination: Combination;
  /** Philox stream of the lane's draws. */
  stream: number;
}

export interface PrefillEntry {
  slot: ModelSlotName;
  ids: number[];
  image: Float32Array | null;
  /** (lane index, component index) of every component that starts from this prompt. */
  members: { lane: number; component: number }[];
}

/**
 * The lane's Philox stream: FNV-1a of its id. Derived from the id (which the experiment keeps
 * stable, "names the lane's sampling stream") rather than its position, so removing or reordering
 * lanes never changes another lane's tokens.
 */
export function laneStream(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export interface PlanInput {
  experiment: Experiment;
  image: Float32Array | null;
  tokenizer: TextTokenizer;
  models: { main: ModelInfo & { readsImages: boolean }; amateur?: ModelInfo & { readsImages: boolean } };
  /** The method module of a name; default the registry (src/decoding/methods/index.ts). */
  methods?: (name: MethodName) => DecodingMethod;
}

export function planLanes({ experiment, image, tokenizer, models, methods }: PlanInput): PlannedLane[] {
  const vision = models.main.config.vision;
  const context: MethodContext = {
    prompt: experiment.prompt,
    image,
    imageSize: image && vision ? vision.imageSize : null,
    seed: experiment.seed,
    amateurReadsImages: models.amateur?.readsImages ?? false,
    numLayers: models.main.config.numLayers,
    amateurNumLayers: models.amateur?.config.numLayers ?? null,
    tokenizer,
  };
  const problems: string[] = [];
  const lanes = experiment.lanes.map((config, index): PlannedLane | null => {
    const where = `lane ${index + 1} (${config.id}, ${METHODS[config.method.method].label})`;
    try {
      const name = config.method.method;
      const method = methods ? methods(name) : (decodingMethod(name) as DecodingMethod);
      const specs = method.components(config.method, context);
      const components = specs.map((spec) => {
        const model = spec.model === 'main' ? models.main : models.amateur;
        if (!model)
          throw new Error(`its component "${spec.label}" reads the amateur model, which is not loaded`);
        const ids = componentPromptIds(tokenizer, model.config, model.name, spec.prompt, spec.image !== null);
        if (ids.length >= model.config.maxPositions) {
          throw new Error(
            `the prompt of "${spec.label}" has ${ids.length} tokens, but ${model.name} reads at most ` +
              `${model.config.maxPositions} (max_position_embeddings) and must generate after it: shorten the prompt`,
          );
        }
        return { ...spec, ids };
      });
      const combination = method.combination(config.method);
      if (combination.weights.length !== components.length)
        throw new Error(
          `its method gave ${combination.weights.length} weights for ${components.length} components`,
        );
      return { index, config, method, components, combination, stream: laneStream(config.id) };
    } catch (cause) {
      problems.push(`${where}: ${cause instanceof Error ? cause.message : String(cause)}`);
      return null;
    }
  });
  if (problems.length > 0) throw new DecodeSetupError(problems);
  return lanes as PlannedLane[];
}

function sameImage(a: Float32Array | null, b: Float32Array | null): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/** Prefill entries; `canShare(slot)` is false for a model without fork (then nothing is shared). */
export function prefillEntries(
  lanes: readonly PlannedLane[],
  canShare: (slot: ModelSlotName) => boolean,
): PrefillEntry[] {
  const entries: PrefillEntry[] = [];
  for (const lane of lanes) {
    lane.components.forEach((component, index) => {
      const member = { lane: lane.index, component: index };
      const shared = canShare(component.model)
        ? entries.find(
            (e) =>
              e.slot === component.model &&
              sameIds(e.ids, component.ids) &&
              sameImage(e.image, component.image),
          )
        : undefined;
      if (shared) shared.members.push(member);
      else
        entries.push({
          slot: component.model,
          ids: component.ids,
          image: component.image,
          members: [member],
        });
    });
  }
  return entries;
}
