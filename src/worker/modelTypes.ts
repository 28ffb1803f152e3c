// The Model panel's part of the worker protocol: what the UI sends to load, generate and inspect,
// and the small, plain objects it gets back (no GPU buffers, no class instances).
import type { SamplingSettings, StopReason } from '../decoding/generate';
import type { DownloadInfo } from '../model/loading/downloadPlan';

/**
 * What the worker asks before a large download (`downloadConfirm`): sizes, what is cached, GPU
 * memory. The page answers with `answerDownload`; the load waits (and holds the queue) until then.
 */
export type DownloadQuestion = DownloadInfo;

/** Where a model folder comes from. Local files carry their path inside what the user chose. */
export type ModelSourceSpec =
  | { kind: 'hub'; repo: string; revision: string }
  /**
   * `useCache: false` reads the server every time, never the browser cache: for the folders
   * served with the app (public/models/), which a retrain replaces under the same URL.
   */
  | { kind: 'url'; url: string; useCache?: boolean }
  /**
   * Files go to the worker as `File`s (structured clone keeps them as handles, no copy); the path
   * travels beside each one because `webkitRelativePath` is not part of a File's clone and
   * dropped folders only have entry paths.
   */
  | { kind: 'files'; files: { path: string; file: File }[] };

export interface ModelProgress {
  file: string;
  loadedBytes: number;
  totalBytes: number | null;
  percent: number | null;
  from: 'network' | 'cache' | 'local';
}

/** What the model card shows. */
export interface ModelCard {
  name: string;
  architecture: string;
  modelType: string;
  parameterCount: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
  /** Tokens the tokenizer knows (the head may be padded past them). */
  tokenizerVocabSize: number;
  hiddenSize: number;
  maxPositions: number;
  /** Weights on the GPU. */
  dtype: 'f32' | 'f16';
  /** Weights as stored in the checkpoint. */
  storedDtypes: string[];
  gpuBytes: number;
  fileHashes: Record<string, string>;
  files: { file: string; bytes: number; from: string }[];
  eosTokenIds: number[];
  warnings: string[];
}

export interface GenerateParams extends SamplingSettings {
  prompt: string;
  maxTokens: number;
  /**
   * Vision-language models: an image of [imageSize, imageSize, 3] f32 values in [0, 1] (HWC).
   * The prompt is then <bos>, one image placeholder per patch, and `prompt` tokenized without
   * special tokens (imagePromptIds in ./shapesHost.ts; the Shapes VLM's format, src/defaults/data.ts).
   */
  image?: Float32Array;
}

/** One token as the UI shows it. */
export interface TokenPiece {
  id: number;
  piece: string;
}

export interface GeneratedTokenEvent extends TokenPiece {
  index: number;
  /** Text that became final with this token. */
  text: string;
  probability: number;
}

export interface GenerationSummary {
  promptTokens: TokenPiece[];
  generated: number;
  /** The generated text. */
  text: string;
  /** Prompt and generated text decoded together (what the inspector shows). */
  fullText: string;
  stopReason: StopReason;
  elapsedMs: number;
}

export interface InspectParams {
  text: string;
  /**
   * Ids to inspect as they are, instead of tokenizing `text` (which is then only shown): after a
   * generation, re-tokenizing the decoded text does not always give back the same ids.
   */
  tokenIds?: number[];
  /** 0-based layer and head of the attention map. */
  layer: number;
  head: number;
  /** Token position whose next-token logit lens to show; default the last. */
  lensPosition?: number;
}

export interface LensEntry extends TokenPiece {
  prob: number;
}

export interface InspectResult {
  /** The inspected tokens decoded (after the cap). */
  text: string;
  tokens: TokenPiece[];
  /** Tokens of the text beyond the inspection cap (left out), 0 when it all fits. */
  droppedTokens: number;
  layer: number;
  head: number;
  /** Attention probabilities [tokens, tokens], row = query, column = key (causal: upper triangle 0). */
  attention: number[];
  lensPosition: number;
  /** One row per layer 1..N: the top tokens of softmax(head(norm(h_layer))) at lensPosition. */
  lens: { layer: number; top: LensEntry[] }[];
}
