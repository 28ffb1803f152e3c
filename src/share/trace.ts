// What a Decode run produced: every lane, every token and the small summaries the inspector shows
// (issue 6). The lane runner (src/decoding/lanes/) writes it from the fused step's readback (never a
// full-vocabulary row); the UI renders it; it is exported and imported as JSON (schema.ts) and is
// what `window.logitlab.run` and `npm run experiment` return. Pure types: no runtime imports.
import type { Experiment } from './experiment';

/** One distribution's summary at one step (top-10 and the chosen token under it). */
export interface DistributionSummary {
  /** "original image", "noised image (t = 500)", "amateur", "layer 2 (premature)", "combined". */
  label: string;
  /** The 10 most likely tokens, most likely first: [id, probability]. */
  top: [number, number][];
  /** Natural-log entropy. */
  entropy: number;
  /** The chosen token's probability and 1-based rank under this distribution. */
  chosenProbability: number;
  chosenRank: number;
}

/** Divergences between two component distributions of one step (natural logs). */
export interface PairDivergence {
  /** Indices into TokenRecord.components. */
  a: number;
  b: number;
  klAB: number;
  klBA: number;
  js: number;
}

/** The distorted input a component used: recomputable from the record (no pixels stored). */
export type DistortionRecord =
  | { kind: 'noise'; step: number; seed: number }
  | { kind: 'transform'; transform: string; seed: number }
  | { kind: 'no-image' }
  | { kind: 'prompt'; text: string }
  | { kind: 'layer'; layer: number }
  /** The image replaced by a meaningless one (meaninglessImage in src/decoding/inputs/calibration.ts). */
  | { kind: 'meaningless'; image: 'mean-colour' | 'noise'; seed: number };

export interface TokenRecord {
  /** 0-based step in the lane. */
  step: number;
  id: number;
  /** The token as shown ("star", " the"). */
  piece: string;
  /** Every component distribution, the base (undistorted input) first. */
  components: DistributionSummary[];
  /** The distribution the token was chosen from (after combination, mask, temperature, filters). */
  combined: DistributionSummary;
  /** |V_head| after the plausibility mask (the vocabulary size when there is no mask). */
  plausibleCount: number;
  divergences: PairDivergence[];
  /** The method chose a different token than the base distribution's argmax. */
  changedByMethod: boolean;
  /** Method-specific numbers (DoLa's premature layer, contrastive search's scores, ...). */
  extra?: Record<string, number | string>;
}

export interface ComponentInput {
  label: string;
  model: 'main' | 'amateur';
  distortion: DistortionRecord | null;
}

export interface LaneStatistics {
  tokens: number;
  /** Forward passes per model slot ("main", "amateur"), prompt prefill included. */
  forwardPasses: Record<string, number>;
  tokensPerSecond: number;
  meanEntropy: number;
  /** Bytes mapped back from the GPU for this lane, and per generated token. */
  readbackBytes: number;
  readbackBytesPerToken: number;
}

export type LaneStopReason = 'max-tokens' | 'eos' | 'context' | 'cancelled' | 'error';

export interface LaneTrace {
  laneId: string;
  /** What each component distribution was computed from. */
  inputs: ComponentInput[];
  tokens: TokenRecord[];
  text: string;
  stopReason: LaneStopReason | null;
  error?: string;
  statistics: LaneStatistics;
}

export interface Trace {
  version: 1;
  experiment: Experiment;
  /** Prompt token ids (after the chat/image template). */
  promptTokens: number[];
  lanes: LaneTrace[];
  /** Where the run happened: identical tokens are promised on the same browser and GPU only. */
  environment: { adapter: string; userAgent: string; createdAt: string };
}
