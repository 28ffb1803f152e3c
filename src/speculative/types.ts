// The Speculative workbench's data: method configurations, one record per draft/verify round and
// the lanes' running statistics (issue 7, "Visualization"). Pure types: the worker posts them as
// they are and the UI renders them; nothing here touches the GPU.

export type SpeculativeMethodName =
  'speculative' | 'spectr' | 'specdecpp' | 'prompt-lookup' | 'aded' | 'entropy-switch' | 'foreal' | 'judge';

/** Speculative sampling (Leviathan et al.; Chen et al.): K drafted tokens per round. */
export interface SpeculativeSamplingMethod {
  name: 'speculative';
  draftLength: number;
}

/** SpecTr: `candidates` i.i.d. draft sequences of K tokens, k-sequential selection with rho. */
export interface SpecTrMethod {
  name: 'spectr';
  draftLength: number;
  candidates: number;
  /**
   * K-SEQ's rho in [1, candidates]: a floor on the paper's rho* (the smallest rho that keeps the
   * output exact, used at every position when unset).
   */
  rho?: number;
}

/** SpecDec++: draft until P(some drafted token is rejected) > threshold, at most maxDraftLength. */
export interface SpecDecPlusPlusMethod {
  name: 'specdecpp';
  maxDraftLength: number;
  /** h in [0, 1] for 'predictor'; the draft-confidence floor in [0, 1] for 'confidence'. */
  threshold: number;
  /** 'predictor': the acceptance head trained in the tab; 'confidence': stop when q(x) < threshold. */
  stopRule: 'predictor' | 'confidence';
  /** The acceptance head's learning rate (> 0). */
  learningRate: number;
}

/** Prompt lookup: the continuation of the latest n-gram's earliest match in the context. */
export interface PromptLookupMethod {
  name: 'prompt-lookup';
  draftLength: number;
  maxNgram: number;
  minNgram: number;
}

/** ADED-style adaptive trigram draft, updated with every token the lane writes. */
export interface AdedMethod {
  name: 'aded';
  draftLength: number;
}

/** Entropy Adaptive Decoding: the draft model writes unless its rolling entropy exceeds a threshold. */
export interface EntropySwitchMethod {
  name: 'entropy-switch';
  window: number;
  /** Rolling mean entropy (nats) above which the target writes. */
  threshold: number;
}

/** FoReaL-Decoding: the target leads the first tokens of each sentence, the draft completes it. */
export interface ForealMethod {
  name: 'foreal';
  leaderTokens: number;
  /** Probability in [0, 1] that a sentence is led at all (the stochastic gate). */
  gate: number;
}

/** Judge-style lenient acceptance: a head on target hidden states may accept rejected drafts. */
export interface JudgeMethod {
  name: 'judge';
  draftLength: number;
  /** Judge score in [0, 1] above which a draft is accepted even when verification rejects it. */
  threshold: number;
  learningRate: number;
}

export type SpeculativeMethod =
  | SpeculativeSamplingMethod
  | SpecTrMethod
  | SpecDecPlusPlusMethod
  | PromptLookupMethod
  | AdedMethod
  | EntropySwitchMethod
  | ForealMethod
  | JudgeMethod;

export interface SpeculativeSampling {
  /** Greedy: drafts are the draft's argmax; a draft is accepted iff it is the target's argmax. */
  greedy: boolean;
  /** Target temperature > 0: p = softmax(target logits / T). Ignored when greedy. */
  temperature: number;
  /** Draft temperature > 0: q = softmax(draft logits / T_draft). Ignored when greedy. */
  draftTemperature: number;
}

/**
 * What happened to one token of a round:
 * - accepted: a drafted token the verifier kept;
 * - rejected: the first drafted token the verifier refused;
 * - discarded: drafted after the first rejection, never checked, dropped with the rejection;
 * - resampled: the verifier's correction, drawn from norm(max(0, p - q)) (greedy: the target's argmax);
 * - bonus: drawn from the target's p after every draft was accepted (or with no draft at all);
 * - generated: written by one model without verification (Entropy Adaptive Decoding, FoReaL).
 */
export type TokenStatus = 'accepted' | 'rejected' | 'discarded' | 'resampled' | 'bonus' | 'generated';

/** Which model's distribution a token was drawn from. 'lookup': a model-free draft. */
export type TokenSource = 'target' | 'draft' | 'lookup';

export interface RoundToken {
  id: number;
  status: TokenStatus;
  source: TokenSource;
  /** Target probability p(x) of a drafted token (verification rounds), else null. */
  p: number | null;
  /** Draft probability q(x) of a drafted token (1 for model-free drafts), else null. */
  q: number | null;
  /** Judge decoding: the judge accepted this draft although verification did not. */
  judged?: boolean;
}

export interface RoundRecord {
  /** 0-based round index in the lane. */
  round: number;
  /** Tokens drafted this round (K, or fewer for adaptive and model-free drafts; 0: none). */
  draftLength: number;
  /** Drafted tokens in order, then the resampled or bonus token (if it was kept). */
  tokens: RoundToken[];
  /** Token ids appended to the text this round (cut at the token budget and at EOS). */
  emitted: number[];
  /** Accepted drafted tokens (judge-accepted ones included). */
  accepted: number;
  /** SpecTr: every candidate's drafted tokens and the one the verifier chose. */
  candidates?: { chosen: number; drafts: number[][] };
  /** Forward calls this round (the first round's also read the prompt). */
  targetCalls: number;
  draftCalls: number;
  /** False for methods whose output distribution is not the target's (labelled "not exact"). */
  exact: boolean;
  /** Method numbers: SpecDec++ rejection predictions, EAD rolling entropy, judge scores, ... */
  extra?: Record<string, number | string | number[]>;
  /** Wall-clock ms of the round. */
  ms: number;
}

export type LaneStopReason = 'max-tokens' | 'eos' | 'context' | 'cancelled' | 'error';

export interface SpeculativeStatistics {
  rounds: number;
  /** Generated tokens (the prompt excluded). */
  tokens: number;
  /** Drafted tokens, and those accepted. */
  drafted: number;
  accepted: number;
  /** accepted / drafted: the share of drafted tokens kept (NaN before anything was drafted). */
  acceptanceRate: number;
  /**
   * Per-position acceptance a = accepted / (accepted + rejections): drafts discarded after a
   * rejection were never checked, so they do not count (the maximum-likelihood alpha of Leviathan
   * et al.'s i.i.d. model; policies/theory.ts).
   */
  alphaEstimate: number;
  /** Mean accepted drafts per round that drafted. */
  meanAcceptedLength: number;
  /** Mean tokens drafted per round that drafted. */
  meanDraftLength: number;
  /** Forward calls (the first round's forwards read the prompt too). */
  targetCalls: number;
  draftCalls: number;
  /** Target forward calls per generated token (autoregressive decoding: 1). */
  targetCallsPerToken: number;
  /** (1 - a^(K+1)) / (1 - a) with a = alphaEstimate and K the method's (largest) draft length. */
  theoreticalTokensPerCall: number;
  /** Generated tokens per target call of the rounds (what the theory predicts). */
  tokensPerTargetCall: number;
  /** Tokens written by each model (Entropy Adaptive Decoding, FoReaL; verification: by source). */
  tokensBySource: Record<TokenSource, number>;
  exact: boolean;
  /** Wall-clock ms of the lane's rounds (the prompt's prefill included) and per generated token. */
  ms: number;
  msPerToken: number;
  /** Bytes mapped back from the GPU (token ids, row summaries, verification results), and per token. */
  readbackBytes: number;
  readbackBytesPerToken: number;
}

export interface SpeculativeLaneTrace {
  method: SpeculativeMethod;
  sampling: SpeculativeSampling;
  seed: number;
  /** Generated token ids (the prompt excluded). */
  tokens: number[];
  rounds: RoundRecord[];
  statistics: SpeculativeStatistics;
  /** Method numbers over the run (tokens per model, the heads' updates, rounds without a draft). */
  methodStatistics: Record<string, number | string>;
  stopReason: LaneStopReason | null;
  error?: string;
}

export interface BaselineToken {
  id: number;
  /** Probability of the token under the distribution it was drawn from (p at the temperature). */
  probability: number;
}

export interface BaselineStatistics {
  tokens: number;
  /** Target forward calls, the prompt prefill included. */
  targetCalls: number;
  ms: number;
  msPerToken: number;
  readbackBytes: number;
  readbackBytesPerToken: number;
}

export interface BaselineLaneTrace {
  tokens: BaselineToken[];
  statistics: BaselineStatistics;
  stopReason: LaneStopReason | null;
  error?: string;
}
