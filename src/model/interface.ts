// The seam every decoding method meets at (shared/ARCHITECTURE.md, "The model interface").
// A backend runs a batched forward over new tokens for B sequences, each with its own KV cache,
// and returns logits as a GPU buffer. Optional capabilities are declared, never assumed.
import type { ModelConfig } from './config';

/** Opaque handle of one sequence (one KV cache lane). */
export type SequenceId = number;

export interface ModelCapabilities {
  /** Residual-stream hidden states after the embedding and after every layer. */
  hiddenStates: boolean;
  /** Logits of the final norm + head applied to intermediate layers (DoLa, LOL, the lens view). */
  logitLens: boolean;
  /** Attention probabilities of one (layer, head), for visualisation. */
  attention: boolean;
  /** Two lanes sharing a prompt's cache. */
  fork: boolean;
  /** Dropping the tail of a cache (speculative rollback). */
  truncate: boolean;
  /** Image inputs (vision-language models). */
  images: boolean;
  /** Parameters that the training engine can update. */
  trainable: boolean;
}

export interface ModelInfo {
  /** Human-readable name (repo id, folder name or preset). */
  name: string;
  config: ModelConfig;
  parameterCount: number;
  /** 'f32' or 'f16' weights on the GPU. */
  dtype: 'f32' | 'f16';
  /** SHA-256 (hex) of every file the model was loaded from, by file name; share links pin these. */
  fileHashes: Record<string, string>;
  /** Bytes of GPU memory held by weights and caches. */
  gpuBytes: number;
}

export interface ForwardSequence {
  sequence: SequenceId;
  /** New tokens, appended after the sequence's cached ones. At least one. */
  tokens: readonly number[];
  /**
   * Vision-language models (capabilities.images): an image of [imageSize * imageSize * channels]
   * f32 values, HWC, expected in [0, 1]. The new tokens must then hold exactly numPatches
   * image placeholders (config.vision.imageTokenId); the k-th one's embedding row becomes patch
   * k's image embedding. Without an image, placeholders embed as ordinary tokens.
   */
  image?: Float32Array;
}

export interface ForwardCapture {
  /** Also return hidden states (requires capabilities.hiddenStates). */
  hiddenStates?: boolean;
  /** Layers (1-based, after that layer's block) whose logit-lens logits to return. */
  logitLensLayers?: readonly number[];
  /** One (layer, head) whose attention probabilities to return (0-based). */
  attention?: { layer: number; head: number };
}

export interface ForwardRequest {
  sequences: readonly ForwardSequence[];
  /** 'last': one logits row per sequence (decoding); 'all': a row per new token (verification). */
  logits?: 'last' | 'all';
  capture?: ForwardCapture;
}

export interface LogitRow {
  sequence: SequenceId;
  /** Absolute position of the token whose next-token logits this row holds. */
  position: number;
}

/**
 * GPU buffers stay owned by the model and are valid until its next forward call; copy what must
 * outlive it. Shapes: logits [rows.length, vocab] f32; hiddenStates [numLayers + 1, rows, d] f32;
 * logitLens [logitLensLayers.length, rows, vocab] f32; attention [queries, keys] f32 for the
 * requested head over the new tokens of the first sequence.
 */
export interface ForwardResult {
  logits: GPUBuffer;
  rows: LogitRow[];
  hiddenStates?: GPUBuffer;
  logitLens?: GPUBuffer;
  attention?: { buffer: GPUBuffer; queries: number; keys: number };
}

export interface LanguageModel {
  readonly info: ModelInfo;
  readonly capabilities: ModelCapabilities;
  /** A new, empty sequence. */
  createSequence(): SequenceId;
  /** Number of tokens cached for `sequence`. */
  sequenceLength(sequence: SequenceId): number;
  /** A new sequence whose cache is a copy of (or shares) `sequence`'s (capabilities.fork). */
  fork(sequence: SequenceId): SequenceId;
  /** Keeps the first `length` tokens of `sequence`'s cache (capabilities.truncate). */
  truncate(sequence: SequenceId, length: number): void;
  releaseSequence(sequence: SequenceId): void;
  forward(request: ForwardRequest): Promise<ForwardResult>;
  /** Frees every GPU resource; the model is unusable afterwards. */
  dispose(): void;
}
