// Speculative sampling: Leviathan, Kalman, Matias, "Fast Inference from Transformers via Speculative
// Decoding" (ICML 2023); Chen, Borgeaud, Irving, Lespiau, Sifre, Jumper, "Accelerating Large
// Language Model Decoding with Speculative Sampling" (2023).
//
//   draft x_1 .. x_K ~ q (the draft model at T_draft), one token at a time;
//   the target scores all K + 1 positions in ONE forward: p_1 .. p_{K+1} (at T);
//   accept x_i with probability min(1, p_i(x_i) / q_i(x_i)), in order;
//   at the first rejection i: emit y ~ norm(max(0, p_i - q_i)) and stop;
//   if all K are accepted: emit a bonus y ~ p_{K+1}.
//
// The emitted text is distributed exactly as the target's samples; E[tokens per target call] =
// (1 - a^(K+1)) / (1 - a) with a = 1 - TV(p, q) on average. Greedy variant: drafts are the draft's
// argmax, x_i is accepted iff it is the target's argmax, the correction is the target's argmax, so
// the text equals greedy decoding with the target. Defaults: K = 4 (Chen et al. use K = 4;
// Leviathan et al. sweep 1..10).
// Interpretation: a draft stops early at an end-of-sequence token (its continuation would be
// discarded) and near the token budget or the context's end (fewer than K drafts that round).
import type { LaneResources, RoundContext, RoundOutcome, RoundStrategy } from '../rounds/context';
import { draftRoom } from '../rounds/context';
import { draftWithModel } from '../rounds/draft-loop';
import { targetOnlyRound } from '../rounds/target-token';
import { rollback, verifyDrafts } from '../rounds/verify-step';
import { verificationTokens } from '../records';
import type { SpeculativeSamplingMethod } from '../types';

export class SpeculativeSamplingRounds implements RoundStrategy {
  readonly draftLength: number;

  constructor(
    private readonly resources: LaneResources,
    method: SpeculativeSamplingMethod,
  ) {
    this.draftLength = method.draftLength;
  }

  async round(context: RoundContext): Promise<RoundOutcome> {
    const length = draftRoom(context, this.draftLength);
    if (length === 0) return targetOnlyRound(this.resources, context);
    const drafted = await draftWithModel(this.resources, context, length);
    const { decision } = await verifyDrafts(this.resources, context, drafted.tokens, true);
    rollback(this.resources, context.text.length, decision.accepted);
    return {
      draftLength: drafted.tokens.length,
      tokens: verificationTokens(drafted.tokens, decision, 'draft'),
      produced: decision.tokens,
      accepted: decision.accepted,
      targetCalls: 1,
      draftCalls: drafted.calls,
    };
  }
}
