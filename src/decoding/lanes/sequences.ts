// The sequences (KV caches) of a Decode session: the shared prompt prefills of step 0, the forks
// that give every lane its own sequences afterwards, the batched forwards of later steps, the
// release of a finished lane's sequences, and the counting view of the models a custom step gets.
// Every sequence the runner creates or forks is tracked here until it is released.
import type { LanguageModel } from '../../model/interface';
import type { ComponentOutput, ModelSlotName, StepModel } from '../methods/types';
import { emptyCounts, forwardSlot, type ForwardItem, type SessionCounts, type SlotModels } from './forward';
import type { LaneState } from './lane-state';
import { prefillEntries, type PrefillEntry } from './plan';

export const SLOTS: readonly ModelSlotName[] = ['main', 'amateur'];

export class SequenceBook {
  readonly counts: SessionCounts = emptyCounts();
  private readonly owned = new Map<ModelSlotName, Set<number>>(SLOTS.map((s) => [s, new Set()]));
  /** After releaseAll nothing is held (a late cancel must not release twice). */
  private closed = false;

  constructor(private readonly models: SlotModels) {}

  private model(slot: ModelSlotName): LanguageModel {
    return this.models[slot] as LanguageModel;
  }

  /** The distinct prompts of step 0 (shared only on models that can fork). */
  prefillPlan(active: readonly LaneState[]): PrefillEntry[] {
    return prefillEntries(
      active.map((lane) => lane.plan),
      (slot) => this.model(slot).capabilities.fork,
    );
  }

  /** Step 0: one forward per model over the distinct prompts; every member reads its entry's row. */
  async prefill(entries: PrefillEntry[], active: readonly LaneState[]) {
    const byIndex = new Map(active.map((lane) => [lane.plan.index, lane]));
    const items = new Map<ModelSlotName, ForwardItem[]>(SLOTS.map((s) => [s, []]));
    for (const entry of entries) {
      const sequence = this.model(entry.slot).createSequence();
      this.owned.get(entry.slot)!.add(sequence);
      this.counts.prefillSequences[entry.slot]++;
      this.counts.prefillTokens[entry.slot] += entry.ids.length;
      const readers = entry.members.map(({ lane, component }) => ({ lane: byIndex.get(lane)!, component }));
      for (const { lane, component } of readers) lane.sequences[component] = sequence;
      items.get(entry.slot)!.push({ sequence, tokens: entry.ids, image: entry.image, readers });
    }
    const outputs = new Map<LaneState, ComponentOutput[]>();
    for (const slot of SLOTS) await forwardSlot(this.models, slot, items.get(slot)!, this.counts, outputs); // prettier-ignore
    return outputs;
  }

  /** Later steps: each lane's last token, appended to every one of its sequences. */
  async forward(active: readonly LaneState[]) {
    const items = new Map<ModelSlotName, ForwardItem[]>(SLOTS.map((s) => [s, []]));
    for (const lane of active) {
      if (lane.stepper.ownsSequences) continue;
      const last = lane.tokens[lane.tokens.length - 1].id;
      lane.plan.components.forEach((component, index) => {
        items.get(component.model)!.push({
          sequence: lane.sequences[index],
          tokens: [last],
          image: null,
          readers: [{ lane, component: index }],
        });
      });
    }
    const outputs = new Map<LaneState, ComponentOutput[]>();
    for (const slot of SLOTS) await forwardSlot(this.models, slot, items.get(slot)!, this.counts, outputs); // prettier-ignore
    return outputs;
  }

  /** After step 0: the first unfinished member keeps a shared prefill, the others fork it. */
  distribute(entries: readonly PrefillEntry[], active: readonly LaneState[]): void {
    const byIndex = new Map(active.map((lane) => [lane.plan.index, lane]));
    for (const entry of entries) {
      const model = this.model(entry.slot);
      const owned = this.owned.get(entry.slot)!;
      // Lanes whose stepper keeps its own sequences took what they need from the prefill already.
      const members = entry.members.filter(({ lane }) => {
        const state = byIndex.get(lane)!;
        return !state.finished && !state.stepper.ownsSequences;
      });
      const shared = byIndex.get(entry.members[0].lane)!.sequences[entry.members[0].component];
      if (members.length === 0) {
        model.releaseSequence(shared);
        owned.delete(shared);
        continue;
      }
      members.forEach(({ lane, component }, k) => {
        if (k === 0) return;
        const fork = model.fork(shared);
        owned.add(fork);
        this.counts.forks++;
        byIndex.get(lane)!.sequences[component] = fork;
      });
    }
    for (const lane of active) lane.holdsSequences = !lane.finished && !lane.stepper.ownsSequences;
  }

  /** Releases a finished lane's own sequences. */
  release(lane: LaneState): void {
    if (!lane.holdsSequences) return;
    lane.holdsSequences = false;
    if (this.closed) return;
    lane.plan.components.forEach((component, index) => {
      const sequence = lane.sequences[index];
      this.model(component.model).releaseSequence(sequence);
      this.owned.get(component.model)!.delete(sequence);
    });
  }

  /** Releases every sequence still held (the end of the session). */
  releaseAll(): void {
    this.closed = true;
    for (const slot of SLOTS) {
      for (const sequence of this.owned.get(slot) ?? []) this.models[slot]?.releaseSequence(sequence);
      this.owned.get(slot)?.clear();
    }
  }

  /** The models as a custom step sees them: its forwards and forks are counted against its lane. */
  stepModels(lane: LaneState): { main: StepModel; amateur?: StepModel } {
    const wrap = (slot: ModelSlotName): StepModel => {
      const model = this.model(slot);
      return {
        info: model.info,
        capabilities: model.capabilities,
        fork: (sequence) => (this.counts.forks++, model.fork(sequence)),
        truncate: (sequence, length) => model.truncate(sequence, length),
        releaseSequence: (sequence) => model.releaseSequence(sequence),
        sequenceLength: (sequence) => model.sequenceLength(sequence),
        forward: async (request) => {
          const result = await model.forward(request);
          this.counts.forwards[slot]++;
          lane.countForward(slot);
          return result;
        },
      };
    };
    return { main: wrap('main'), ...(this.models.amateur ? { amateur: wrap('amateur') } : {}) };
  }
}
