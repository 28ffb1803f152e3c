// The Model panel's part of the worker protocol: what the UI sends to load, generate and inspect,
// and the small, plain objects it gets back (no GPU buffers, no class instances).
import type { SamplingSettings, StopReason } from '../decoding/generate';
import type { ModelCapabilities } from '../model/interface';
import type { DownloadInfo } from '../model/loading/downloadPlan';
import { dtypeOfDecoderFile, type OnnxDtype } from '../model/onnx/layout';
import type { ProviderChoice } from '../model/onnx/session';
import type { ModelRef } from '../share/experiment';

/**
 * What the worker asks before a large download (`downloadConfirm`): sizes, what is cached, GPU
 * memory. The page answers with `answerDownload`; the load waits (and holds the queue) until then.
 */
export type DownloadQuestion = DownloadInfo;

/**
 * How to load a folder (rides on the source spec, so the loadModel request carries it as it is).
 * Without it: safetensors when the folder has them, else its ONNX export's first dtype (fp32
 * first), provider 'auto', replacing the Model tab's models.
 */
export interface LoadChoice {
  /** 'wgsl': the safetensors checkpoint in the WGSL engine; 'onnx': decoder_model_merged in onnxruntime-web. */
  engine?: 'wgsl' | 'onnx';
  onnxDtype?: OnnxDtype;
  /** onnxruntime-web's execution provider: 'auto' is WebGPU on our device, else wasm with a notice. */
  provider?: ProviderChoice;
  /**
   * Keep the Model tab's loaded models and load this one beside them (a target/draft pair, a
   * main/amateur pair); otherwise they are released first. A failed load never releases them.
   */
  keepLoaded?: boolean;
}

/** Where a model folder comes from. Local files carry their path inside what the user chose. */
export type ModelSourceSpec = (
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
  | { kind: 'files'; files: { path: string; file: File }[] }
) & { load?: LoadChoice };

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
  /** The WGSL engine, or onnxruntime-web with its decoder file and provider. */
  engine: 'wgsl' | 'onnx';
  onnx?: OnnxCardInfo;
  /** What the model can give beyond logits (methods that need more refuse it by name). */
  capabilities: ModelCapabilities;
  /** How a setup or a share link names it (pinned to every file), or null with `refProblem`. */
  ref: ModelRef | null;
  refProblem: string | null;
}

/** The ONNX side of a model card. */
export interface OnnxCardInfo {
  dtype: OnnxDtype;
  /** "onnx/decoder_model_merged_q4.onnx" */
  decoderFile: string;
  /** The provider asked for and the one it runs on. */
  providerChoice: ProviderChoice;
  provider: 'webgpu' | 'wasm';
  /** Set when it runs on another provider than asked (the wasm fallback): shown as it is. */
  notice: string | null;
  /** How sequences of unequal lengths share a run. */
  batching: 'padded' | 'equal-lengths';
}

/** What a folder holds (detectFolderLayout), for the Model tab's engine and dtype choice. */
export type { FolderLayout, OnnxVariant } from '../model/onnx/loadOnnxFolder';

/**
 * How to load the folder a link's ref names so that its pins can match: the pinned decoder's
 * dtype for an ONNX export, the WGSL engine for a pinned safetensors file; undefined when the ref
 * pins neither (the worker then decides from the folder).
 */
export function loadChoiceForRef(ref: ModelRef): LoadChoice | undefined {
  const files = Object.keys(ref.sha256);
  const onnxDtype = files.map(dtypeOfDecoderFile).find((dtype) => dtype !== null);
  if (onnxDtype) return { engine: 'onnx', onnxDtype };
  if (files.some((file) => file.endsWith('.safetensors'))) return { engine: 'wgsl' };
  return undefined;
}

/**
 * A loaded model as a ref a setup (and its link) can name: Hub and URL folders, pinned to the
 * SHA-256 of every file; local files cannot be named (the problem says so).
 */
export function refOfSource(
  spec: ModelSourceSpec,
  name: string,
  fileHashes: Record<string, string>,
): { ref: ModelRef | null; problem: string | null } {
  const sha256 = { ...fileHashes };
  if (spec.kind === 'hub') {
    const revision = spec.revision.trim();
    return {
      ref: { source: 'hub', id: spec.repo, ...(revision ? { revision } : {}), sha256 },
      problem: null,
    };
  }
  if (spec.kind === 'url') return { ref: { source: 'url', id: spec.url, sha256 }, problem: null };
  return {
    ref: null,
    problem: `${name} was loaded from local files, which a link cannot name: load it from the Hub or a URL to run it here.`,
  };
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
