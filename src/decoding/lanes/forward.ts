// The session's forwards: ONE batched forward per model slot per step over every unfinished
// lane's sequences of that model (logits 'last': one row per sequence), with the union of the
// captures its components ask for. Results of a model are valid until its next forward, so the
// session lets every lane read them before anything forwards that model again.
import type { ForwardCapture, ForwardSequence, LanguageModel, SequenceId } from '../../model/interface';
import type { ComponentOutput, ModelSlotName } from '../methods/types';
import type { LaneState } from './lane-state';

export interface SessionCounts {
  /** Forward calls per model slot (each batched call once), custom steps' forwards included. */
  forwards: Record<ModelSlotName, number>;
  /** Prompts prefilled per slot (after sharing) and the prompt tokens that took. */
  prefillSequences: Record<ModelSlotName, number>;
  prefillTokens: Record<ModelSlotName, number>;
  /** Sequences forked from a shared prefill. */
  forks: number;
}

export function emptyCounts(): SessionCounts {
  return {
    forwards: { main: 0, amateur: 0 },
    prefillSequences: { main: 0, amateur: 0 },
    prefillTokens: { main: 0, amateur: 0 },
    forks: 0,
  };
}

/** One sequence of a batched forward and the (lane, component) rows it feeds. */
export interface ForwardItem {
  sequence: SequenceId;
  tokens: readonly number[];
  image: Float32Array | null;
  readers: { lane: LaneState; component: number }[];
}

export type SlotModels = { main: LanguageModel; amateur?: LanguageModel };

function captureUnion(captures: readonly (ForwardCapture | undefined)[]): ForwardCapture | undefined {
  const layers = new Set<number>();
  let hiddenStates = false;
  for (const capture of captures) {
    if (!capture) continue;
    hiddenStates ||= capture.hiddenStates === true;
    for (const layer of capture.logitLensLayers ?? []) layers.add(layer);
  }
  if (!hiddenStates && layers.size === 0) return undefined;
  const union: ForwardCapture = {};
  if (hiddenStates) union.hiddenStates = true;
  if (layers.size > 0) union.logitLensLayers = [...layers].sort((a, b) => a - b);
  return union;
}

/**
 * Runs one forward of `slot` over `items` and hands every reader its row. Counts the call once for
 * the session and once for each lane that reads a row of it.
 */
export async function forwardSlot(
  models: SlotModels,
  slot: ModelSlotName,
  items: readonly ForwardItem[],
  counts: SessionCounts,
  outputs: Map<LaneState, ComponentOutput[]>,
): Promise<void> {
  if (items.length === 0) return;
  const model = models[slot];
  if (!model) throw new Error(`no ${slot} model is loaded`);
  const capture = captureUnion(
    items.flatMap((item) =>
      item.readers.map(({ lane, component }) => lane.plan.components[component].capture),
    ),
  );
  const sequences: ForwardSequence[] = items.map(({ sequence, tokens, image }) =>
    image ? { sequence, tokens, image } : { sequence, tokens },
  );
  const result = await model.forward({ sequences, logits: 'last', ...(capture ? { capture } : {}) });
  counts.forwards[slot]++;
  if (result.rows.length !== items.length || result.rows.some((r, i) => r.sequence !== items[i].sequence)) {
    throw new Error(
      `${model.info.name} returned ${result.rows.length} logit rows for ${items.length} sequences`,
    );
  }
  const lanes = new Set<LaneState>();
  items.forEach((item, row) => {
    for (const { lane, component } of item.readers) {
      lanes.add(lane);
      const output: ComponentOutput = {
        model: slot,
        logits: result.logits,
        row,
        rows: items.length,
        sequence: item.sequence,
      };
      if (result.logitLens && capture?.logitLensLayers)
        output.logitLens = { buffer: result.logitLens, layers: capture.logitLensLayers as number[] };
      if (result.hiddenStates) output.hiddenStates = result.hiddenStates;
      let list = outputs.get(lane);
      if (!list) outputs.set(lane, (list = []));
      list[component] = output;
    }
  });
  for (const lane of lanes) lane.countForward(slot);
}
