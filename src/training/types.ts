// The training engine's public types: batches, the per-token objective seam, step reports and
// errors. The trainer (./trainer.ts) runs forward + backward + AdamW in WGSL; an objective only
// computes per-token weights w_t = dLoss/dlogp_t from log-probabilities (src/kernels/cross-entropy).
import type { AdamWHyperParameters } from '../kernels/optimizer/params';
import type { LearningRateSchedule } from '../kernels/optimizer/schedule';

/**
 * B sequences of T tokens each, row-major [B * T] (sequence b's token t at b * T + t). Shorter
 * sequences are right-padded (any valid id) with mask 0: causal attention never lets a pad token
 * influence an earlier one, and a masked token gets weight 0, so padding changes nothing.
 */
export interface TokenBatch {
  batchSize: number;
  length: number;
  /** Input ids [B * T]; positions are 0..T-1 in every sequence. */
  tokens: Uint32Array;
  /** The token each position predicts [B * T] (usually tokens shifted left by one). */
  targets: Uint32Array;
  /** 1 where the token's log-prob counts, 0 for padding/prompt tokens [B * T]. */
  mask: Float32Array;
  /**
   * Vision-language models: one image per sequence (or null), HWC [imageSize^2 * channels]; the
   * sequence's tokens then hold exactly numPatches image placeholders (src/model/vision.ts).
   */
  images?: readonly (Float32Array | null)[];
}

/**
 * The objective seam. Loss = sum_t w_t logp_t over all tokens of all micro-batches, and the trainer
 * backpropagates exactly that; objectives (SFT, DPO, GRPO, ...) differ only in how they compute w_t.
 */
export interface Objective {
  readonly name: string;
  /**
   * true: the weights depend on the policy's current log-probs (DPO, GRPO): the trainer first
   * runs a forward-only pass for every micro-batch. false (SFT): weights are known up front.
   */
  readonly needsLogProbs: boolean;
  /** dLoss/dlogp_t for every token of every micro-batch ([B * T] each). */
  tokenWeights(batches: readonly TokenBatch[], logProbs: readonly Float32Array[] | null): Float32Array[];
  /** The scalar loss, from the log-probs of the step (before the update). */
  loss(batches: readonly TokenBatch[], logProbs: readonly Float32Array[]): number;
}

export interface TrainerOptions {
  /** Shown in errors and on checkpoints. */
  name: string;
  /** AdamW without the per-step values (the learning rate comes from `schedule`). */
  optimizer: Omit<AdamWHyperParameters, 'learningRate' | 'step'>;
  schedule: LearningRateSchedule;
}

export interface StepReport {
  /** 0-based index of the step just taken (equals the optimizer updates done before it). */
  step: number;
  loss: number;
  /** Global L2 norm of the gradient before clipping. */
  gradientNorm: number;
  learningRate: number;
  /** Tokens with mask 1 in the step's micro-batches. */
  tokens: number;
  /** Wall-clock of the whole step, in milliseconds. */
  milliseconds: number;
}

/** Training stopped: a non-finite loss or gradient, named by step and tensor. Parameters are the last good ones. */
export class TrainingError extends Error {
  constructor(
    message: string,
    readonly step: number,
    readonly tensor: string | null,
  ) {
    super(message);
    this.name = 'TrainingError';
  }
}
