// One token drawn straight from a model (no verification): the target's token of a round without a
// draft, and the switched methods' tokens (Entropy Adaptive Decoding, FoReaL). The model's cursor
// catches up with the text in the same forward.
import type { SequenceCursor } from '../cursor';
import type { SampledRow, TokenSampler } from '../sampler';
import type { RoundOutcome } from './context';
import { DRAFT_STREAM, TARGET_STREAM, type LaneResources, type RoundContext } from './context';

/** Forward `cursor` over what it lacks of the text, then one draw from its last row. */
export async function drawFromModel(
  cursor: SequenceCursor,
  sampler: TokenSampler,
  text: readonly number[],
  draw: { greedy: boolean; temperature: number },
  context: RoundContext,
  role: 'target' | 'draft',
): Promise<SampledRow> {
  const { result } = await cursor.forward(text, [], 'last');
  const stream = role === 'target' ? TARGET_STREAM : DRAFT_STREAM;
  const counter = context.counters[role]++;
  const [row] = await sampler.sample(result.logits, 0, {
    ...draw,
    seed: context.counters.seed,
    stream,
    counter,
  });
  return row;
}

/** A draw from the target's p (at the target temperature). */
export function drawFromTarget(resources: LaneResources, context: RoundContext): Promise<SampledRow> {
  const { greedy, temperature } = resources.sampling;
  return drawFromModel(resources.target, resources.targetSampler, context.text, { greedy, temperature }, context, 'target'); // prettier-ignore
}

/** A draw from the draft model's q (at the draft temperature). */
export function drawFromDraft(resources: LaneResources, context: RoundContext): Promise<SampledRow> {
  if (!resources.draft || !resources.draftSampler) throw new Error('this method needs a draft model');
  const { greedy, draftTemperature } = resources.sampling;
  return drawFromModel(resources.draft, resources.draftSampler, context.text, { greedy, temperature: draftTemperature }, context, 'draft'); // prettier-ignore
}

/** A round without a draft: one token from the target (a "bonus" of an empty draft). */
export async function targetOnlyRound(
  resources: LaneResources,
  context: RoundContext,
): Promise<RoundOutcome> {
  const row = await drawFromTarget(resources, context);
  const id = row.tokens[0];
  return {
    draftLength: 0,
    tokens: [{ id, status: 'bonus', source: 'target', p: null, q: null }],
    produced: [id],
    accepted: 0,
    targetCalls: 1,
    draftCalls: 0,
  };
}
