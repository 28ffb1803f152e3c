// Drafting with the draft model, one token at a time: forward the draft's cursor ('last'), copy the
// logits row GPU -> GPU into the drafted-rows buffer (the verification kernel's q), and draw the
// token from q = softmax(draft / T_draft) with the fused pipeline, whose small readback also gives
// the token's features (SpecDec++). Drafting stops at the round's length, at an end-of-sequence
// token (what follows it would be discarded) or when the method's stop rule says so; these rules
// read only the draft's own tokens, which keeps verification exact.
import type { DraftFeatures } from '../policies/specdecpp';
import { DRAFT_STREAM, type LaneResources, type RoundContext } from './context';

export interface DraftedTokens {
  tokens: number[];
  features: DraftFeatures[];
  /** Draft forward calls this round. */
  calls: number;
}

/** Decides after each drafted token whether to stop (the token just drafted is kept). */
export type DraftStopRule = (features: readonly DraftFeatures[]) => boolean;

export async function draftWithModel(
  resources: LaneResources,
  context: RoundContext,
  length: number,
  stop?: DraftStopRule,
): Promise<DraftedTokens> {
  const { draft, draftSampler, draftLogits, sampling } = resources;
  if (!draft || !draftSampler || !draftLogits) throw new Error('this method needs a draft model');
  const tokens: number[] = [];
  const features: DraftFeatures[] = [];
  const text = [...context.text];
  for (let position = 0; position < length; position++) {
    const { result } = await draft.forward(text, [], 'last');
    draftLogits.copyRow(result.logits, 0, position);
    const [row] = await draftSampler.sample(result.logits, 0, {
      greedy: sampling.greedy,
      temperature: sampling.draftTemperature,
      seed: context.counters.seed,
      stream: DRAFT_STREAM,
      counter: context.counters.draft++,
    });
    const token = row.tokens[0];
    // f32 rounding can put q(chosen) a hair above the top probability it equals.
    const chosenProb = Math.min(row.probabilities[0], row.topProb);
    tokens.push(token);
    text.push(token);
    features.push({ position, chosenProb, topProb: row.topProb, entropy: row.entropy, margin: row.margin });
    if (context.eos.has(token) || stop?.(features)) break;
  }
  return { tokens, features, calls: tokens.length };
}
