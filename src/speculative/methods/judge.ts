// Judge Decoding: Bachmann et al., "Judge Decoding: Faster Speculative Sampling Requires Going
// Beyond Model Alignment" (ICLR 2025). NOT EXACT: the text is no longer distributed as the target's.
//
//   draft x_1 .. x_K ~ q; the target scores them in one forward and also yields its last-layer
//   embedding e_i at each drafted token's position;
//   x_i is accepted if the standard test accepts it (u_i < min(1, p_i(x_i)/q_i(x_i))) OR the judge
//   head says it is correct (sigmoid(w . e_i + b) > delta); the longest accepted prefix is kept and
//   the target writes the next token.
//
// The head is a logistic regression on e_i (policies/judge.ts), trained in the tab. Defaults
// (ours): K = 4, delta = 0.5, learning rate 0.5.
// Interpretations (ours):
// - Labels: the paper trains on human/LLM-labelled "correct" tokens; with no labels in the tab the
//   head learns the verifier's own decisions at the positions it checked (kept = correct), so it
//   accepts drafts that look like the ones the target usually keeps.
// - The verification kernel runs the standard test up to its first rejection and reads back p and
//   q only that far, so past the first rejection the judge alone extends the prefix (the
//   paper's OR can only add acceptances there, which we under-count).
// - The token after the kept prefix: the kernel's correction when the prefix ends at the kernel's
//   rejection; otherwise a draw from the target's p at that position (the residual of a position
//   the kernel never checked is not computed).
// - Reads back K x d floats of target hidden states per round (K x 256 bytes for d = 64).
import { readFloat32 } from '../../gpu/readback';
import { JudgeHead, judgeAccept } from '../policies/judge';
import { verificationTokens } from '../records';
import type { LaneResources, RoundContext, RoundOutcome, RoundStrategy } from '../rounds/context';
import { TARGET_STREAM, draftRoom } from '../rounds/context';
import { draftWithModel } from '../rounds/draft-loop';
import { targetOnlyRound } from '../rounds/target-token';
import { rollback, verifyDrafts } from '../rounds/verify-step';
import type { JudgeMethod } from '../types';

export class JudgeRounds implements RoundStrategy {
  readonly draftLength: number;
  private readonly judge: JudgeHead;
  private judgedTokens = 0;

  constructor(
    private readonly resources: LaneResources,
    private readonly method: JudgeMethod,
    seed: number,
  ) {
    this.draftLength = method.draftLength;
    this.judge = new JudgeHead(resources.target.model.info.config.hiddenSize, {
      learningRate: method.learningRate,
      seed,
    });
  }

  async round(context: RoundContext): Promise<RoundOutcome> {
    const length = draftRoom(context, this.draftLength);
    if (length === 0) return targetOnlyRound(this.resources, context);
    const drafted = await draftWithModel(this.resources, context, length);
    const drafts = drafted.tokens;
    const { decision, forward, rowOffset } = await verifyDrafts(this.resources, context, drafts, true, true);
    const hidden = await this.draftedHiddenStates(forward.hiddenStates, forward.rows.length, rowOffset, drafts.length); // prettier-ignore
    const scores = hidden.map((h) => this.judge.score(h));
    // Extend the kernel's accepted prefix with drafts the judge (or the standard test) accepts.
    const judged = new Set<number>();
    let accepted = decision.accepted;
    while (accepted < drafts.length && judgeAccept(scores[accepted], this.method.threshold)) {
      judged.add(accepted);
      accepted++;
    }
    // Train on the positions the kernel checked: kept = correct.
    for (let i = 0; i <= Math.min(decision.accepted, drafts.length - 1); i++)
      this.judge.update(hidden[i], i < decision.accepted);
    let last = decision.tokens[decision.accepted];
    if (accepted > decision.accepted) {
      const { greedy, temperature } = this.resources.sampling;
      const [row] = await this.resources.targetSampler.sample(forward.logits, rowOffset + accepted, {
        greedy,
        temperature,
        seed: context.counters.seed,
        stream: TARGET_STREAM,
        counter: context.counters.target++,
      });
      last = row.tokens[0];
    }
    rollback(this.resources, context.text.length, accepted);
    this.judgedTokens += judged.size;
    const bonus = accepted === drafts.length;
    const produced = [...drafts.slice(0, accepted), last];
    return {
      draftLength: drafts.length,
      tokens: verificationTokens(drafts, { ...decision, accepted, tokens: produced, bonus }, 'draft', judged),
      produced,
      accepted,
      targetCalls: 1,
      draftCalls: drafted.calls,
      extra: { judgeScores: scores.map((s) => Number(s.toFixed(4))), judged: judged.size },
    };
  }

  /** The target's last-layer hidden state at each drafted token's row: [K][d]. */
  private async draftedHiddenStates(
    buffer: GPUBuffer | undefined,
    rows: number,
    rowOffset: number,
    drafts: number,
  ): Promise<Float32Array[]> {
    if (!buffer) throw new Error(`${this.resources.target.model.info.name} did not return hidden states`);
    const { numLayers, hiddenSize: d } = this.resources.target.model.info.config;
    // [numLayers + 1, rows, d]: layer numLayers, rows rowOffset + 1 .. rowOffset + K (x_i's rows).
    const flat = await readFloat32(
      this.resources.gpu,
      buffer,
      drafts * d,
      (numLayers * rows + rowOffset + 1) * d,
    );
    this.resources.readback.bytes += drafts * d * 4;
    return Array.from({ length: drafts }, (_, i) => flat.slice(i * d, (i + 1) * d));
  }

  summary(): Record<string, number | string> {
    return { judgedTokens: this.judgedTokens, headUpdates: this.judge.updates };
  }
}
