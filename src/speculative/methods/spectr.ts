// SpecTr: Sun, Suresh, Ro, Beirami, Jain, Yu, "SpecTr: Fast Speculative Decoding via Optimal
// Transport" (NeurIPS 2023). k draft sequences per round instead of one:
//
//   x^1 .. x^k, each K tokens, i.i.d. from the draft model (they share the context, so position 1
//   is k draws from one q_1 row; later positions continue each sequence on its own);
//   the target scores the k sequences in ONE batched forward (logits 'all': k x (K + 1) rows);
//   per position, k-sequential selection (K-SEQ) over the candidates that still agree with the
//   accepted prefix: accept y_i with probability min(1, p(y_i) / (rho q(y_i))), first accepted
//   wins; none: draw from the residual that makes the emitted token exactly p-distributed
//   (shaders/speculative-verify.wgsl has the formulas).
//
// Defaults: k = 2, K = 4 (ours; the paper sweeps k); rho unset = the paper's rho*, the smallest
// rho that keeps the output exact, found per position by the kernel (a user rho is a floor).
// Sequences: the draft's context is forked k times after the first draft step, the target's k - 1
// times before scoring; after verification the chosen candidate's sequences become the lane's and
// the others are released, so each model's cache again holds a prefix of the text.
import type { SequenceId } from '../../model/interface';
import type { CursorModel, SequenceCursor } from '../cursor';
import { verificationTokens } from '../records';
import type { LaneResources, RoundContext, RoundOutcome, RoundStrategy } from '../rounds/context';
import { DRAFT_STREAM, draftRoom } from '../rounds/context';
import { targetOnlyRound } from '../rounds/target-token';
import { verifyParams } from '../rounds/verify-step';
import type { TokenSampler } from '../sampler';
import type { SpecTrMethod } from '../types';

/**
 * Keeps candidate `keep`'s sequence as the cursor's (truncated to `length`) and releases the others;
 * a single sequence served every candidate.
 */
function adopt(cursor: SequenceCursor, sequences: readonly SequenceId[], keep: number, length: number): void {
  const chosen = sequences.length === 1 ? 0 : keep;
  sequences.forEach((sequence, c) => {
    if (c !== chosen) cursor.model.releaseSequence(sequence);
  });
  cursor.sequence = sequences[chosen];
  cursor.rollback(length);
}

export class SpecTrRounds implements RoundStrategy {
  readonly draftLength: number;

  constructor(
    private readonly resources: LaneResources,
    private readonly method: SpecTrMethod,
    /** Draws one token per candidate row (rows = k). */
    private readonly candidateSampler: TokenSampler,
  ) {
    this.draftLength = method.draftLength;
  }

  async round(context: RoundContext): Promise<RoundOutcome> {
    const length = draftRoom(context, this.draftLength);
    if (length === 0) return targetOnlyRound(this.resources, context);
    // Forks made this round: adopted or released at its end, released if the round fails.
    const forks: [CursorModel, SequenceId][] = [];
    try {
      return await this.verifiedRound(context, length, forks);
    } catch (cause) {
      for (const [model, sequence] of forks) model.releaseSequence(sequence);
      throw cause;
    }
  }

  private async verifiedRound(
    context: RoundContext,
    length: number,
    forks: [CursorModel, SequenceId][],
  ): Promise<RoundOutcome> {
    const k = this.method.candidates;
    const { drafts, draftCalls, sequences } = await this.draft(context, length, forks);
    const { target } = this.resources;
    // The target's cache must hold exactly the text minus its last token before it is forked.
    let targetCalls = 0;
    const behind = context.text.slice(target.length, -1);
    if (behind.length > 0) {
      await target.model.forward({
        sequences: [{ sequence: target.sequence, tokens: behind }],
        logits: 'last',
      });
      targetCalls++;
    }
    const fork = (cursor: SequenceCursor) => {
      const sequence = cursor.model.fork(cursor.sequence);
      forks.push([cursor.model, sequence]);
      return sequence;
    };
    const targets = [target.sequence, ...Array.from({ length: k - 1 }, () => fork(target))];
    const last = context.text[context.text.length - 1];
    const scored = await target.model.forward({
      sequences: targets.map((sequence, c) => ({ sequence, tokens: [last, ...drafts[c]] })),
      logits: 'all',
    });
    targetCalls++;
    const decision = await this.resources.verifier.verify(
      { draftLength: length, candidates: k },
      {
        target: scored.logits,
        targetRowOffset: 0,
        draft: this.resources.draftLogits!.buffer,
        draftRowOffset: 0,
        draftTokens: drafts.flat(),
      },
      {
        ...verifyParams(this.resources, context),
        ...(this.method.rho !== undefined ? { rho: this.method.rho } : {}),
      },
    );
    const kept = context.text.length + decision.accepted;
    forks.length = 0;
    adopt(target, targets, decision.candidate, kept);
    adopt(this.resources.draft!, sequences, decision.candidate, kept);
    return {
      draftLength: length,
      tokens: verificationTokens(drafts[decision.candidate], decision, 'draft'),
      produced: decision.tokens,
      accepted: decision.accepted,
      targetCalls,
      draftCalls,
      candidates: { chosen: decision.candidate, drafts },
    };
  }

  dispose(): void {
    this.candidateSampler.destroy();
  }

  /**
   * k i.i.d. drafts of `length` tokens: k draws from the shared first row, then the k forked
   * sequences advance together in one batched forward per position. Row i of candidate c goes to
   * drafted row c * length + i (the kernel's [candidates][K][V] layout).
   */
  private async draft(context: RoundContext, length: number, forks: [CursorModel, SequenceId][]) {
    const { draft, draftSampler, draftLogits, sampling } = this.resources;
    if (!draft || !draftSampler || !draftLogits) throw new Error('SpecTr needs a draft model');
    const k = this.method.candidates;
    const draw = {
      greedy: sampling.greedy,
      temperature: sampling.draftTemperature,
      seed: context.counters.seed,
    };
    const { result } = await draft.forward(context.text, [], 'last');
    for (let c = 0; c < k; c++) draftLogits.copyRow(result.logits, 0, c * length);
    const [first] = await draftSampler.sample(result.logits, 0, {
      ...draw,
      stream: DRAFT_STREAM,
      counter: context.counters.draft,
      draws: k,
    });
    context.counters.draft += k;
    // Greedy drafting has one candidate k times over (one argmax).
    const drafts = Array.from({ length: k }, (_, c) => [first.tokens[c] ?? first.tokens[0]]);
    let draftCalls = 1;
    // With one drafted position every candidate continues the same (unforked) context.
    const sequences = [draft.sequence];
    for (let c = 1; c < (length > 1 ? k : 1); c++) {
      sequences.push(draft.model.fork(draft.sequence));
      forks.push([draft.model, sequences[c]]);
    }
    for (let i = 1; i < length; i++) {
      const step = await draft.model.forward({
        sequences: sequences.map((sequence, c) => ({ sequence, tokens: [drafts[c][i - 1]] })),
        logits: 'last',
      });
      draftCalls++;
      for (let c = 0; c < k; c++) draftLogits.copyRow(step.logits, c, c * length + i);
      const rows = await this.candidateSampler.sample(step.logits, 0, {
        ...draw,
        stream: DRAFT_STREAM,
        counter: context.counters.draft++,
      });
      rows.forEach((row, c) => drafts[c].push(row.tokens[0]));
    }
    return { drafts, draftCalls, sequences };
  }
}
