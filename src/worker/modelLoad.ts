// How ModelHost turns a folder into a loaded model, for both engines: a safetensors checkpoint in
// the WGSL engine, or a Hub ONNX export (decoder_model_merged of the chosen dtype) in
// onnxruntime-web on our GPUDevice. Which one comes from the load choice the page sends (the Model
// tab detects the folder's layout and offers the dtypes it has), else from the folder itself.
// Both ask before a large download, report per-file progress, hash every file, and give the same
// model card. Nothing here decides what happens to the models already loaded (modelHost.ts).
// onnxruntime-web is imported on the first ONNX load, so a worker that never loads one never
// fetches its wasm (loadOnnxFolder.ts and layout.ts are plain code without it).
import { GpuError } from '../gpu/errors';
import type { Gpu } from '../gpu/runtime';
import { LogitPipeline } from '../kernels/logits/fused';
import { WgslModel } from '../model/engine/model';
import type { LanguageModel, ModelInfo } from '../model/interface';
import {
  ModelLoadError,
  loadModelFolder,
  type ConfirmDownload,
  type LoadedFileInfo,
  type ModelSource,
  type ProgressCallback,
} from '../model/loading';
import { isIdefics3ConfigJson } from '../model/onnx/idefics3-config';
import { loadIdefics3Folder, type LoadedIdefics3Folder } from '../model/onnx/idefics3-folder';
import {
  defaultOnnxDtype,
  detectFolderLayout,
  loadOnnxFolder,
  type LoadedOnnxFolder,
} from '../model/onnx/loadOnnxFolder';
import { TextTokenizer, eosTokenIdsFromGenerationConfig } from '../model/tokenizer';
import { refOfSource, type LoadChoice, type ModelCard, type ModelSourceSpec, type OnnxCardInfo } from './modelTypes'; // prettier-ignore

/** A failure whose message is written for the user (shown without an error class name). */
export class ModelRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelRequestError';
  }
}

/** A model as the Model tab's slot holds it. */
export interface LoadedModel {
  model: LanguageModel;
  /** The WGSL engine's model (attention and the logit lens for inspect); null for ONNX models. */
  wgsl: WgslModel | null;
  tokenizer: TextTokenizer;
  pipeline: LogitPipeline;
  card: ModelCard;
  /** Where it came from: the Train workbench reads the folder again to train it. */
  spec: ModelSourceSpec;
}

export interface LoadContext {
  gpu: Gpu;
  source: ModelSource;
  spec: ModelSourceSpec;
  onProgress: ProgressCallback;
  confirmDownload?: ConfirmDownload;
  /** GPU memory this model may take (the app's budget minus the models it keeps). */
  memoryBudgetBytes: number;
  /** Runs once the folder is read and checked, before anything is uploaded (frees replaced models). */
  beforeUpload(): void;
}

/** Anything that is not already written for the user gets the step it failed in as context. */
export function userFacing(cause: unknown, context: string): unknown {
  if (cause instanceof ModelLoadError || cause instanceof GpuError || cause instanceof ModelRequestError)
    return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new ModelRequestError(`${context}: ${message}`);
}

/**
 * The engine a choice names, else the folder's: safetensors first (what LogitLab loaded before it
 * read ONNX), then the ONNX export's first dtype. A folder with neither goes to the WGSL loader,
 * whose message lists what is missing.
 */
export async function resolveChoice(source: ModelSource, choice: LoadChoice): Promise<LoadChoice> {
  if (choice.engine === 'wgsl' || (choice.engine === 'onnx' && choice.onnxDtype)) return choice;
  const layout = await detectFolderLayout(source, { safetensorsFirst: choice.engine !== 'onnx' });
  const dtype = defaultOnnxDtype(layout);
  if (choice.engine !== 'onnx' && (layout.safetensors || dtype === null))
    return { ...choice, engine: 'wgsl' };
  return { ...choice, engine: 'onnx', onnxDtype: dtype ?? 'fp32' };
}

function tokenizerOf(
  name: string,
  folder: { tokenizerJson: unknown; tokenizerConfig: unknown; generationConfig: unknown },
  configEos: readonly number[],
): TextTokenizer {
  try {
    const tokenizer = TextTokenizer.fromJson(folder.tokenizerJson, folder.tokenizerConfig);
    // transformers falls back from generation_config.json to config.json's eos_token_id.
    const known = configEos.filter((id) => tokenizer.idToToken(id) !== undefined);
    tokenizer.addEosTokenIds([...eosTokenIdsFromGenerationConfig(folder.generationConfig), ...known]);
    return tokenizer;
  } catch (cause) {
    throw userFacing(cause, `${name}: its tokenizer cannot be used`);
  }
}

function cardOf(
  info: ModelInfo,
  model: LanguageModel,
  tokenizer: TextTokenizer,
  spec: ModelSourceSpec,
  rest: Pick<ModelCard, 'storedDtypes' | 'files' | 'warnings' | 'engine' | 'onnx'>,
): ModelCard {
  const c = info.config;
  const { ref, problem } = refOfSource(spec, info.name, info.fileHashes);
  return {
    name: info.name,
    architecture: c.architecture,
    modelType: c.modelType,
    parameterCount: info.parameterCount,
    layers: c.numLayers,
    heads: c.numHeads,
    kvHeads: c.numKeyValueHeads,
    headDim: c.headDim,
    vocabSize: c.vocabSize,
    tokenizerVocabSize: tokenizer.vocabSize,
    hiddenSize: c.hiddenSize,
    maxPositions: c.maxPositions,
    dtype: info.dtype,
    gpuBytes: info.gpuBytes,
    fileHashes: info.fileHashes,
    eosTokenIds: tokenizer.eosTokenIds,
    capabilities: { ...model.capabilities },
    ref,
    refProblem: problem,
    ...rest,
  };
}

const filesOf = (files: LoadedFileInfo[]) => files.map(({ file, bytes, from }) => ({ file, bytes, from }));

/** A safetensors folder in the WGSL engine. */
export async function loadWgsl(context: LoadContext): Promise<LoadedModel> {
  const { gpu, source, spec } = context;
  const limits = gpu.device.limits;
  const folder = await loadModelFolder(source, {
    onProgress: context.onProgress,
    confirmDownload: context.confirmDownload,
    fit: {
      dtype: 'f32',
      maxBufferSize: limits.maxBufferSize,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      memoryBudgetBytes: context.memoryBudgetBytes,
    },
  });
  const tokenizer = tokenizerOf(folder.name, folder, folder.config.eosTokenIds);
  context.beforeUpload(); // free the replaced models before uploading the next one's weights
  let model: WgslModel | null = null;
  try {
    model = await WgslModel.create(
      gpu,
      folder.config,
      { get: (name) => folder.tensors.get(name)!.toFloat32() },
      { name: folder.name, fileHashes: folder.fileHashes },
    );
    const pipeline = await LogitPipeline.create(gpu, { rows: 1, vocab: folder.config.vocabSize }, 1);
    const card = cardOf(model.info, model, tokenizer, spec, {
      engine: 'wgsl',
      storedDtypes: folder.weightDtypes,
      files: filesOf(folder.files),
      warnings: folder.warnings,
    });
    return { model, wgsl: model, tokenizer, pipeline, card, spec };
  } catch (cause) {
    model?.dispose();
    throw userFacing(cause, `${folder.name} could not be set up on the GPU`);
  }
}

/**
 * A Hub ONNX export in onnxruntime-web. The session is created before anything loaded is
 * released: a graph that is not a supported layout, a session that cannot be created or does not
 * fit is refused with the loader's message, and the models loaded before stay as they were.
 */
export async function loadOnnx(context: LoadContext, choice: LoadChoice): Promise<LoadedModel> {
  const { gpu, source, spec } = context;
  // An Idefics3 / SmolVLM folder (three graphs, src/model/onnx/vlm.ts) or a text decoder.
  const vlm = isIdefics3ConfigJson(await optionalJson(source, 'config.json'));
  const folder = vlm
    ? await loadIdefics3Folder(source, { dtype: choice.onnxDtype, onProgress: context.onProgress })
    : await loadOnnxFolder(source, {
        dtype: choice.onnxDtype,
        onProgress: context.onProgress,
        confirmDownload: context.confirmDownload,
        memoryBudgetBytes: context.memoryBudgetBytes,
      });
  const tokenizer = tokenizerOf(folder.name, folder, folder.config.eosTokenIds);
  const providerChoice = choice.provider ?? 'auto';
  let model: LanguageModel | null = null;
  try {
    const options = { provider: providerChoice };
    const ort = vlm
      ? await (await import('../model/onnx/vlm')).OrtVisionLanguageModel.createVlm(gpu, folder as LoadedIdefics3Folder, options) // prettier-ignore
      : await (await import('../model/onnx/model')).OrtLanguageModel.create(gpu, folder as LoadedOnnxFolder, options); // prettier-ignore
    model = ort;
    const pipeline = await LogitPipeline.create(gpu, { rows: 1, vocab: folder.config.vocabSize }, 1);
    const onnx: OnnxCardInfo = {
      dtype: folder.dtype,
      decoderFile: folder.decoderFile,
      providerChoice,
      provider: ort.provider,
      notice: ort.notice,
      batching: ort.batching,
    };
    const card = cardOf(ort.info, ort, tokenizer, spec, {
      engine: 'onnx',
      onnx,
      storedDtypes: [folder.dtype],
      files: filesOf(folder.files),
      warnings: folder.warnings,
    });
    return { model: ort, wgsl: null, tokenizer, pipeline, card, spec };
  } catch (cause) {
    model?.dispose();
    throw userFacing(cause, `${folder.name} could not be set up with onnxruntime-web`);
  }
}

/** A JSON file of the folder, or null when it is missing or does not parse (the loaders report why). */
async function optionalJson(source: ModelSource, file: string): Promise<unknown> {
  const opened = await source.open(file, { optional: true });
  if (!opened) return null;
  try {
    return JSON.parse(new TextDecoder().decode(opened.bytes)) as unknown;
  } catch {
    return null;
  }
}

/**
 * The loaded model's folder for the Train workbench: ONNX graphs hold no trainable weights, so
 * reading one fails with a message that says so (before any file is read).
 */
export function trainingSource(loaded: LoadedModel, source: ModelSource): ModelSource {
  if (loaded.card.engine !== 'onnx') return source;
  const refuse = async (): Promise<never> => {
    throw new ModelRequestError(
      `${loaded.card.name} runs on onnxruntime-web (an ONNX graph, not trainable weights): the Train tab trains ` +
        'safetensors models in the WGSL engine. Load one in the Model tab, or train a new model from a size preset.',
    );
  };
  return {
    kind: source.kind,
    describe: () => source.describe(),
    locate: (file) => source.locate(file),
    list: () => source.list(),
    open: refuse,
  };
}
