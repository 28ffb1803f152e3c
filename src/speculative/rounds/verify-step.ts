// The target's half of a round: ONE forward over [what the cache lacks of the text, d_1 .. d_K]
// with logits 'all' (its last K + 1 rows are p at every drafted position and the bonus position),
// the verification kernel on those rows (one small readback: accepted count, tokens, p and q), and
// the rollback of both caches to the text the round produced.
import type { ForwardResult } from '../../model/interface';
import type { VerifyResult } from '../../kernels/verify';
import { VERIFY_STREAM, type LaneResources, type RoundContext } from './context';

/**
 * Philox counters reserved per round: at least verifyCounterSpan of the largest shape,
 * (K + 1)(k + 1) = 17 x 9 = 153, so a round's counters depend on its index only.
 */
export const VERIFY_COUNTER_STRIDE = 1024;

export interface VerifiedDrafts {
  decision: VerifyResult;
  /** The target forward (valid until the target's next forward) and the row of position 0. */
  forward: ForwardResult;
  rowOffset: number;
}

export function verifyParams(resources: LaneResources, context: RoundContext) {
  const { greedy, temperature, draftTemperature } = resources.sampling;
  const counter = context.counters.verify;
  context.counters.verify += VERIFY_COUNTER_STRIDE;
  return {
    mode: greedy ? ('greedy' as const) : ('sample' as const),
    targetTemperature: greedy ? 1 : temperature,
    draftTemperature: greedy ? 1 : draftTemperature,
    seed: context.counters.seedNumber,
    stream: VERIFY_STREAM,
    counter,
  };
}

/**
 * Scores `drafts` with the target and verifies them. `withDraftLogits`: q is the drafted rows
 * buffer; otherwise the draft is deterministic (one-hot q, model-free drafts).
 */
export async function verifyDrafts(
  resources: LaneResources,
  context: RoundContext,
  drafts: readonly number[],
  withDraftLogits: boolean,
  captureHidden = false,
): Promise<VerifiedDrafts> {
  const { target, draftLogits, verifier } = resources;
  const capture = captureHidden ? { hiddenStates: true } : undefined;
  const { result, fed } = await target.forward(context.text, drafts, 'all', capture);
  const rowOffset = fed - (drafts.length + 1);
  if (withDraftLogits && !draftLogits) throw new Error('no drafted rows to verify against');
  const decision = await verifier.verify(
    { draftLength: drafts.length, candidates: 1 },
    {
      target: result.logits,
      targetRowOffset: rowOffset,
      ...(withDraftLogits && draftLogits ? { draft: draftLogits.buffer, draftRowOffset: 0 } : {}),
      draftTokens: drafts,
    },
    verifyParams(resources, context),
  );
  return { decision, forward: result, rowOffset };
}

/** Both caches keep the text plus the accepted drafts (the new text minus its last token). */
export function rollback(resources: LaneResources, textLength: number, accepted: number): void {
  resources.target.rollback(textLength + accepted);
  resources.draft?.rollback(textLength + accepted);
}
