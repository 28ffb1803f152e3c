// Everything a training run needs before the GPU is touched: validated settings, the corpus as
// token ids, and the model to start from (a new one from a size preset with seeded weights and a
// character tokenizer built from the corpus, or the loaded model's folder read again). Engine
// code with no WebGPU at module load, so Node unit tests run it.
import { parameterCount } from '../model/architectures/tensors';
import { parseModelConfig, type ModelConfig } from '../model/config';
import type { TensorSource } from '../model/engine/weights';
import { loadModelFolder, parseJsonFile, type ModelSource } from '../model/loading';
import { TextTokenizer } from '../model/tokenizer';
import {
  builtinCorpus,
  checkCorpusLength,
  textCorpus,
  tokenizeCorpus,
  type Corpus,
} from '../training/corpus';
import { characterTokenizerFiles } from '../training/corpus-tokenizer';
import { initialWeights } from '../training/init';
import { sizePreset } from '../training/presets';
import { validateTrainingSettings, type TrainingSettings } from '../training/settings';
import type { StartTrainingParams, TrainCorpusSpec } from './trainTypes';

/** Parameters, gradients and two AdamW moments in f32: what training needs per parameter. */
export const TRAINING_BYTES_PER_PARAMETER = 16;

/** A failure whose message is written for the user (shown as is). */
export class TrainRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainRequestError';
  }
}

export interface PreparedRun {
  /** "nano · GPT-2, new (seed 1)" or the loaded model's name. */
  modelName: string;
  /** For checkpoint folder names: "nano-gpt2", or the loaded model's name. */
  baseName: string;
  /** The model card's "started from". */
  startedFrom: string;
  config: ModelConfig;
  configJson: Record<string, unknown>;
  tensors: TensorSource;
  tokenizerJson: unknown;
  tokenizerConfig: unknown;
  generationConfig: unknown;
  /** How the corpus is tokenized. */
  tokenizer: string;
  corpusName: string;
  tokens: Uint32Array;
  settings: TrainingSettings;
}

/** The loaded model's folder, as the worker's ModelHost knows it. */
export interface LoadedModelSource {
  source: ModelSource;
  name: string;
}

function corpusOf(spec: TrainCorpusSpec): Corpus {
  return spec.kind === 'builtin' ? builtinCorpus() : textCorpus(spec.name, spec.text);
}

function newModel(params: StartTrainingParams & { model: { kind: 'preset' } }, corpus: Corpus): PreparedRun {
  const { settings } = params;
  const preset = sizePreset(params.model.preset);
  const files = characterTokenizerFiles(corpus.text, settings.contextLength);
  const configJson = preset.configJson(files.vocabSize, settings.contextLength);
  const config = parseModelConfig(configJson);
  const weights = initialWeights(config, settings.seed);
  const tokenizer = TextTokenizer.fromJson(files.tokenizerJson, files.tokenizerConfig);
  const tokens = tokenizeCorpus(corpus, tokenizer, config.vocabSize);
  checkCorpusLength(corpus.name, tokens.length, settings.contextLength);
  return {
    modelName: `${preset.label}, new (seed ${settings.seed})`,
    baseName: `${preset.id}-${preset.architecture}`,
    startedFrom: `a new "${preset.id}" ${preset.architecture} model, GPT-2 initialisation with seed ${settings.seed}`,
    config,
    configJson,
    tensors: {
      get(name) {
        const values = weights.get(name);
        if (!values) throw new TrainRequestError(`The new model has no tensor ${name}`);
        return values;
      },
    },
    tokenizerJson: files.tokenizerJson,
    tokenizerConfig: files.tokenizerConfig,
    generationConfig: null,
    tokenizer: `character level, built from the corpus (${files.vocabSize} ids)`,
    corpusName: corpus.name,
    tokens,
    settings,
  };
}

async function loadedModel(
  settings: TrainingSettings,
  loaded: LoadedModelSource | null,
  corpus: Corpus,
  memoryBudgetBytes: number,
): Promise<PreparedRun> {
  if (!loaded)
    throw new TrainRequestError('No model is loaded: load one in the Model tab, or train a new model from a size preset.'); // prettier-ignore
  const { source, name } = loaded;
  const configFile = await source.open('config.json');
  if (!configFile) throw new TrainRequestError(`${name}: config.json cannot be read again`);
  const configJson = parseJsonFile(configFile.bytes, 'config.json') as Record<string, unknown>;
  const config = parseModelConfig(configJson);
  validateTrainingSettings(settings, config.maxPositions);
  const needed = parameterCount(config) * TRAINING_BYTES_PER_PARAMETER;
  if (needed > memoryBudgetBytes) {
    throw new TrainRequestError(
      `${name} has ${parameterCount(config).toLocaleString('en-US')} parameters: training needs about ` +
        `${(needed / 2 ** 30).toFixed(1)} GiB (weights, gradients and two AdamW moments in f32) before activations, ` +
        `over the ${(memoryBudgetBytes / 2 ** 30).toFixed(1)} GiB budget: train a smaller model`,
    );
  }
  const folder = await loadModelFolder(source);
  const tokenizer = TextTokenizer.fromJson(folder.tokenizerJson, folder.tokenizerConfig);
  const tokens = tokenizeCorpus(corpus, tokenizer, config.vocabSize);
  checkCorpusLength(corpus.name, tokens.length, settings.contextLength);
  return {
    modelName: name,
    baseName: name.replace(/^local folder /, ''),
    startedFrom: name,
    config,
    configJson,
    tensors: { get: (tensor) => folder.tensors.get(tensor)!.toFloat32() },
    tokenizerJson: folder.tokenizerJson,
    tokenizerConfig: folder.tokenizerConfig,
    generationConfig: folder.generationConfig,
    tokenizer: `the model's own (${tokenizer.modelType}, ${tokenizer.vocabSize.toLocaleString('en-US')} ids)`,
    corpusName: corpus.name,
    tokens,
    settings,
  };
}

/** Validates everything and builds the run's inputs; throws a message naming the refused value. */
export async function prepareRun(
  params: StartTrainingParams,
  loaded: LoadedModelSource | null,
  memoryBudgetBytes: number,
): Promise<PreparedRun> {
  validateTrainingSettings(params.settings);
  const corpus = corpusOf(params.corpus);
  if (params.model.kind === 'preset') return newModel({ ...params, model: params.model }, corpus);
  return loadedModel(params.settings, loaded, corpus, memoryBudgetBytes);
}
