// Rounds with a model-free, deterministic draft (prompt lookup, the ADED-style trigram table): the
// draft is a token list, q is one-hot, and the verification kernel runs without draft logits:
//
//   accept x_i with probability p_i(x_i) (greedy: iff x_i = argmax p_i);
//   at the first rejection emit y ~ norm(max(0, p_i - onehot(x_i))), i.e. p_i without x_i;
//   all accepted: a bonus y ~ p_{K+1}.
//
// This is speculative sampling with q = onehot(x), so the text is exactly the target's. A round
// whose source proposes nothing is one plain target step. Method headers: ../drafts/prompt-lookup.ts
// and ../drafts/trigram.ts.
import { promptLookupDraft } from '../drafts/prompt-lookup';
import { TrigramDraft } from '../drafts/trigram';
import type { LaneResources, RoundContext, RoundOutcome, RoundStrategy } from '../rounds/context';
import { draftRoom } from '../rounds/context';
import { targetOnlyRound } from '../rounds/target-token';
import { rollback, verifyDrafts } from '../rounds/verify-step';
import { verificationTokens } from '../records';
import type { PromptLookupMethod } from '../types';

/** A deterministic draft of at most `length` tokens after `text`. */
export interface DraftSource {
  propose(text: readonly number[], length: number): number[];
  restart?(): void;
}

export class ModelFreeRounds implements RoundStrategy {
  private emptyRounds = 0;

  constructor(
    private readonly resources: LaneResources,
    readonly draftLength: number,
    private readonly source: DraftSource,
  ) {}

  async round(context: RoundContext): Promise<RoundOutcome> {
    const length = draftRoom(context, this.draftLength);
    const drafts = length > 0 ? this.source.propose(context.text, length).slice(0, length) : [];
    if (drafts.length === 0) {
      this.emptyRounds++;
      return targetOnlyRound(this.resources, context);
    }
    const { decision } = await verifyDrafts(this.resources, context, drafts, false);
    rollback(this.resources, context.text.length, decision.accepted);
    return {
      draftLength: drafts.length,
      tokens: verificationTokens(drafts, decision, 'lookup'),
      produced: decision.tokens,
      accepted: decision.accepted,
      targetCalls: 1,
      draftCalls: 0,
    };
  }

  summary(): Record<string, number | string> {
    return { roundsWithoutDraft: this.emptyRounds };
  }

  restart(): void {
    this.emptyRounds = 0;
    this.source.restart?.();
  }
}

export function promptLookupSource(method: PromptLookupMethod): DraftSource {
  return {
    propose: (text, length) =>
      promptLookupDraft(text, { draftLength: length, maxNgram: method.maxNgram, minNgram: method.minNgram }),
  };
}

/** The trigram table learns from the text before each proposal (the prompt, then every round's tokens). */
export function trigramSource(vocab: number): DraftSource {
  const table = new TrigramDraft(vocab);
  return {
    propose(text, length) {
      table.observe(text);
      return table.draft(text, length);
    },
    restart: () => table.reset(),
  };
}
