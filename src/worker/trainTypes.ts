// The Train workbench's part of the worker protocol: what the UI sends to start, steer and save a
// training run, and the small, plain objects it gets back (no GPU buffers, no class instances).
import type { PresetId } from '../training/presets';
import type { TrainingSettings } from '../training/settings';

/** What to train: a new model from a size preset (initialised with settings.seed), or the Model tab's model. */
export type TrainModelSpec = { kind: 'preset'; preset: PresetId } | { kind: 'loaded' };

/** What to train on: the built-in fables, or a user's text (a .txt file's contents). */
export type TrainCorpusSpec = { kind: 'builtin' } | { kind: 'text'; name: string; text: string };

export interface StartTrainingParams {
  model: TrainModelSpec;
  corpus: TrainCorpusSpec;
  settings: TrainingSettings;
}

/** Where a run is. `stopped-nan`: a NaN/Inf ended it; the last good parameters can still be saved. */
export type TrainingStatus =
  'idle' | 'preparing' | 'running' | 'paused' | 'completed' | 'stopped' | 'stopped-nan' | 'failed';

/** Sent once the model, tokenizer and corpus are ready, before the first step. */
export interface TrainingInfo {
  /** "nano · GPT-2, new (seed 1)" or the loaded model's name. */
  modelName: string;
  architecture: string;
  modelType: string;
  parameterCount: number;
  layers: number;
  hiddenSize: number;
  heads: number;
  vocabSize: number;
  contextLength: number;
  corpusName: string;
  corpusTokens: number;
  /** How the corpus is tokenized ("character level, built from the corpus", or the model's own). */
  tokenizer: string;
  totalSteps: number;
  /** B * T * accumulation. */
  tokensPerStep: number;
  /** Parameters, gradients, moments and activations on the GPU. */
  gpuBytes: number;
}

/** One optimizer step as the chart plots it. */
export interface TrainingPoint {
  /** 0-based index of the step. */
  step: number;
  loss: number;
  learningRate: number;
  /** Global L2 norm of the gradient before clipping. */
  gradientNorm: number;
  /** Tokens of the step / its wall-clock time. */
  tokensPerSecond: number;
  /** Training time since the start, pauses excluded, at the end of this step. */
  elapsedMs: number;
}

/** How a run ended (the reply to startTraining). */
export interface TrainingOutcome {
  status: 'completed' | 'stopped' | 'stopped-nan';
  stepsDone: number;
  elapsedMs: number;
  /** For stopped-nan: the trainer's message, naming the step and the tensor. */
  message: string | null;
  failedStep: number | null;
  tensor: string | null;
}

/** A checkpoint as one zip archive (a Hugging Face folder inside), ready to download. */
export interface SavedCheckpoint {
  /** "nano-gpt2-step-300.zip" */
  fileName: string;
  /** The folder inside the archive. */
  folderName: string;
  zip: Uint8Array<ArrayBuffer>;
  /** The files in the folder. */
  files: string[];
  stepsDone: number;
}
