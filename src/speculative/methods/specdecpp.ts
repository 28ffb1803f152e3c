// SpecDec++: Huang, Guo, Wang, "SpecDec++: Boosting Speculative Decoding via Adaptive Candidate
// Lengths" (2024). Speculative sampling whose draft length is chosen per round:
//
//   after drafting x_k, with r_i the predicted probability that x_i is rejected (given x_<i kept),
//   stop and verify when  P(some rejection among 1..k) = 1 - prod_{i<=k} (1 - r_i) > h,
//   or at K_max.
//
// r_i comes from an acceptance-prediction head on the draft's features (policies/specdecpp.ts),
// trained in the tab on what the verifier decides. Baseline ('confidence'): stop when the draft's
// own probability of its token q(x_k) falls below the threshold. Both rules read only the draft
// side, so the output is still exactly the target's. Paper defaults: h = 0.3, K within [2, 20]
// (we allow 1..16, the kernel's range).
// Interpretations (ours):
// - Training labels: with sampling, the paper's soft label a_i = min(1, p(x_i)/q(x_i)) for the
//   drafted tokens up to the first rejection (the kernel reads p and q back that far); greedy:
//   the hard outcome (x_i kept?) for the same tokens.
// - The head learns online from the first round, so early rounds draft with an untrained head
//   (predictions near 0.5: short drafts until it has seen acceptances).
import { AcceptancePredictor, confidenceStop, stopDrafting, type DraftFeatures } from '../policies/specdecpp';
import type { LaneResources, RoundContext, RoundOutcome, RoundStrategy } from '../rounds/context';
import { draftRoom } from '../rounds/context';
import { draftWithModel } from '../rounds/draft-loop';
import { targetOnlyRound } from '../rounds/target-token';
import { rollback, verifyDrafts } from '../rounds/verify-step';
import { verificationTokens } from '../records';
import type { SpecDecPlusPlusMethod } from '../types';

export class SpecDecPlusPlusRounds implements RoundStrategy {
  readonly draftLength: number;
  private readonly predictor: AcceptancePredictor;

  constructor(
    private readonly resources: LaneResources,
    private readonly method: SpecDecPlusPlusMethod,
    seed: number,
  ) {
    this.draftLength = method.maxDraftLength;
    this.predictor = new AcceptancePredictor({ learningRate: method.learningRate, seed });
  }

  private stop(features: readonly DraftFeatures[], predictions: number[]): boolean {
    const last = features[features.length - 1];
    if (this.method.stopRule === 'confidence') return confidenceStop(last, this.method.threshold);
    predictions.push(this.predictor.predictReject(last));
    return stopDrafting(predictions, this.method.threshold);
  }

  async round(context: RoundContext): Promise<RoundOutcome> {
    const length = draftRoom(context, this.draftLength);
    if (length === 0) return targetOnlyRound(this.resources, context);
    const predictions: number[] = [];
    const drafted = await draftWithModel(this.resources, context, length, (f) => this.stop(f, predictions));
    const { decision } = await verifyDrafts(this.resources, context, drafted.tokens, true);
    rollback(this.resources, context.text.length, decision.accepted);
    this.learn(drafted.features, decision);
    return {
      draftLength: drafted.tokens.length,
      tokens: verificationTokens(drafted.tokens, decision, 'draft'),
      produced: decision.tokens,
      accepted: decision.accepted,
      targetCalls: 1,
      draftCalls: drafted.calls,
      extra: {
        ...(predictions.length > 0 ? { predictedReject: predictions.map((r) => Number(r.toFixed(4))) } : {}),
        headUpdates: this.predictor.updates,
      },
    };
  }

  private learn(
    features: readonly DraftFeatures[],
    decision: { accepted: number; p: readonly number[]; q: readonly number[] },
  ): void {
    if (this.resources.sampling.greedy) {
      const checked = Math.min(decision.accepted + 1, features.length);
      for (let i = 0; i < checked; i++) this.predictor.update(features[i], i < decision.accepted);
      return;
    }
    features.forEach((f, i) => {
      const p = decision.p[i];
      const q = decision.q[i];
      if (p === undefined || !(q > 0)) return;
      this.predictor.updateSoft(f, Math.min(1, p / q));
    });
  }

  summary(): Record<string, number | string> {
    return { headUpdates: this.predictor.updates, stopRule: this.method.stopRule };
  }
}
