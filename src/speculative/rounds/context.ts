// What a round strategy (one per method) gets from its lane and gives back. The lane owns the text,
// the models' cursors, the samplers and the verifier; a strategy runs one draft/verify round (or one
// switched token), rolls the caches back to the text it produced, and reports what happened.
// The lane then cuts the produced tokens at EOS and the budget and records the round.
import type { Gpu } from '../../gpu/runtime';
import type { Seed } from '../../kernels/random/philox';
import type { SequenceCursor } from '../cursor';
import type { DraftLogits, ReadbackCounter, TokenSampler } from '../sampler';
import type { RoundToken, SpeculativeSampling } from '../types';
import type { Verifier } from '../verifier';

// Philox streams of a speculative lane (the baseline lane uses stream 0, as generate() does, so a
// baseline run reproduces generate()'s tokens). Each stream's counter only grows within a run.
/** Draft draws; SpecTr candidate c uses DRAFT_STREAM + c. */
export const DRAFT_STREAM = 1;
/** The verification kernel's uniforms. */
export const VERIFY_STREAM = 64;
/** Plain draws from the target (rounds without a draft, judge extensions, switched methods). */
export const TARGET_STREAM = 65;

export interface LaneResources {
  gpu: Gpu;
  vocab: number;
  sampling: SpeculativeSampling;
  target: SequenceCursor;
  /** Absent for model-free drafts. */
  draft: SequenceCursor | null;
  /** One row of the target's logits at the target temperature. */
  targetSampler: TokenSampler;
  /** One row of the draft's logits at the draft temperature. */
  draftSampler: TokenSampler | null;
  /** [maxRows, vocab]: the drafted rows the verification kernel reads. */
  draftLogits: DraftLogits | null;
  verifier: Verifier;
  /** Every byte the lane maps back (samplers, verification, the judge's hidden states). */
  readback: ReadbackCounter;
}

/** The Philox position of the lane's draws; reset when the lane restarts. */
export interface DrawCounters {
  seed: Seed;
  /** The seed as the verification kernel takes it. */
  seedNumber: number;
  draft: number;
  target: number;
  verify: number;
}

export interface RoundContext {
  /** Prompt + generated tokens so far. */
  text: readonly number[];
  round: number;
  /** Tokens the lane may still write (>= 1). */
  budget: number;
  /** Positions the models can still take (>= 0): a round may draft at most this many tokens. */
  room: number;
  counters: DrawCounters;
  eos: ReadonlySet<number>;
}

export interface RoundOutcome {
  /** Tokens drafted (0 for a round without a draft or a switched token). */
  draftLength: number;
  /** Drafted tokens with their fate, then the resampled/bonus (or generated) token. */
  tokens: RoundToken[];
  /** The tokens the round appends before the lane cuts them (accepted drafts + the last token). */
  produced: number[];
  accepted: number;
  targetCalls: number;
  draftCalls: number;
  candidates?: { chosen: number; drafts: number[][] };
  extra?: Record<string, number | string | number[]>;
}

export interface RoundStrategy {
  /** K of the theory (the most drafts a round holds); 0 for methods that do not draft. */
  readonly draftLength: number;
  round(context: RoundContext): Promise<RoundOutcome>;
  /** Method statistics for the trace (e.g. the share of tokens per model, the head's updates). */
  summary?(): Record<string, number | string>;
  /** A new run from the prompt with `seed`: forget per-run state (learned heads are kept). */
  restart?(seed: number): void;
  dispose?(): void;
}

/** How many tokens this round may draft: K, the budget (one token is the verifier's) and the room. */
export function draftRoom(context: RoundContext, maxDraft: number): number {
  return Math.max(0, Math.min(maxDraft, context.budget - 1, context.room));
}
