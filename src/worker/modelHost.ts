// The worker's model requests: load a model folder (Hub, URL or local files) into the WGSL engine,
// generate from it, stop, and inspect one text (attention map + logit lens). Owns the loaded model,
// its tokenizer and its logit pipeline; GpuHost runs these requests in its queue (stop at once).
// Only the worker imports this file (the engine touches WebGPU globals at module load).
import { generate, pipelineChooser, tokenPiece } from '../decoding/generate';
import { GpuError } from '../gpu/errors';
import { readFloat32 } from '../gpu/readback';
import type { Gpu } from '../gpu/runtime';
import { LogitPipeline } from '../kernels/logits/fused';
import { WgslModel } from '../model/engine/model';
import {
  ModelLoadError,
  hubSource,
  loadModelFolder,
  localFilesSource,
  urlSource,
  type FileProgress,
  type ModelSource,
} from '../model/loading';
import { TextTokenizer, eosTokenIdsFromGenerationConfig } from '../model/tokenizer';
import type {
  GenerateParams,
  InspectParams,
  InspectResult,
  DownloadQuestion,
  LensEntry,
  ModelCard,
  ModelSourceSpec,
} from './modelTypes';
import type { WorkerEvent } from './protocol';
import { imagePromptIds } from './shapesHost';

/** A failure whose message is written for the user (shown without an error class name). */
export class ModelRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelRequestError';
  }
}

/** Browsers do not report free GPU memory; this is what the app allows itself for one model. */
export const GPU_MEMORY_BUDGET_BYTES = 4 * 2 ** 30;
/**
 * Inspection caps: the attention map is tokens² floats and each lens row is a full vocabulary, so
 * the inspected text is cut to this many tokens and only one lens row per layer (the chosen
 * position) is read back: layers × vocab × 4 bytes (24 × 151,936 × 4 ≈ 14.6 MB for Qwen2.5-0.5B).
 * This is an inspection view, not the decoding hot path, so top-k over the vocabulary runs on the CPU.
 */
export const MAX_INSPECT_TOKENS = 128;
export const LENS_TOP = 5;
const PROGRESS_INTERVAL_MS = 50;

type Post = (event: WorkerEvent) => void;

interface LoadedModel {
  model: WgslModel;
  tokenizer: TextTokenizer;
  pipeline: LogitPipeline;
  card: ModelCard;
  /** Where it came from: the Train workbench reads the folder again to train it. */
  spec: ModelSourceSpec;
}

export function sourceOf(spec: ModelSourceSpec): ModelSource {
  switch (spec.kind) {
    case 'hub':
      return hubSource(spec.repo, { revision: spec.revision.trim() || undefined });
    case 'url':
      return urlSource(spec.url, spec.useCache === false ? { cache: null } : {});
    case 'files':
      if (spec.files.length === 0) throw new ModelRequestError('No files were chosen: pick a model folder.');
      return localFilesSource(spec.files);
  }
}

/** Anything that is not already written for the user gets the step it failed in as context. */
function userFacing(cause: unknown, context: string): unknown {
  if (cause instanceof ModelLoadError || cause instanceof GpuError || cause instanceof ModelRequestError)
    return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new ModelRequestError(`${context}: ${message}`);
}

/** The `count` most probable entries of softmax(logits), computed on the CPU. */
export function topProbabilities(logits: Float32Array, count: number): { id: number; prob: number }[] {
  let max = -Infinity;
  for (const l of logits) if (l > max) max = l;
  let sum = 0;
  for (const l of logits) sum += Math.exp(l - max);
  const best: number[] = [];
  for (let id = 0; id < logits.length; id++) {
    if (best.length === count && logits[id] <= logits[best[count - 1]]) continue;
    let at = best.length === count ? count - 1 : best.length;
    while (at > 0 && logits[best[at - 1]] < logits[id]) {
      if (at < count) best[at] = best[at - 1];
      at--;
    }
    best[at] = id;
  }
  return best.map((id) => ({ id, prob: Math.exp(logits[id] - max) / sum }));
}

/** Decodes the ids the tokenizer knows (a padded head can emit others; they are shown as pieces elsewhere). */
function decodeKnown(tokenizer: TextTokenizer, ids: readonly number[]): string {
  return tokenizer.decode(ids.filter((id) => tokenizer.idToToken(id) !== undefined));
}

export class ModelHost {
  private loaded: LoadedModel | null = null;
  private generation: AbortController | null = null;
  /** Loads waiting for the page's answer to their `downloadConfirm`, by request id. */
  private readonly waitingForAnswer = new Map<number, (proceed: boolean) => void>();

  /** Drops the model (its GPU objects belong to a device that is being replaced or was lost). */
  reset(): void {
    for (const answer of this.waitingForAnswer.values()) answer(false);
    this.waitingForAnswer.clear();
    this.generation?.abort();
    const old = this.loaded;
    this.loaded = null;
    if (!old) return;
    old.pipeline.destroy();
    old.model.dispose();
  }

  /** Ends the running generation after its current token; false when none is running. */
  stop(): boolean {
    if (!this.generation) return false;
    this.generation.abort();
    return true;
  }

  /** The loaded model's source and name (the Train workbench re-reads its files), or null. */
  loadedSource(): { spec: ModelSourceSpec; name: string } | null {
    return this.loaded ? { spec: this.loaded.spec, name: this.loaded.card.name } : null;
  }

  /** The loaded model with its tokenizer, card and source (the Decode workbench runs on it), or null. */
  loadedModel(): {
    model: WgslModel;
    tokenizer: TextTokenizer;
    card: ModelCard;
    spec: ModelSourceSpec;
  } | null {
    if (!this.loaded) return null;
    const { model, tokenizer, card, spec } = this.loaded;
    return { model, tokenizer, card, spec };
  }

  /** Answers the question a waiting load asked (its `downloadConfirm`); false when none waits. */
  answerDownload(loadRequestId: number, proceed: boolean): boolean {
    const answer = this.waitingForAnswer.get(loadRequestId);
    if (!answer) return false;
    this.waitingForAnswer.delete(loadRequestId);
    answer(proceed);
    return true;
  }

  private require(): LoadedModel {
    if (!this.loaded) throw new ModelRequestError('No model is loaded: load one in the Model panel first.');
    return this.loaded;
  }

  /**
   * `askBeforeDownload`: above LARGE_DOWNLOAD_BYTES to download, post `downloadConfirm` and wait
   * for `answerDownload` (the page's Continue / Cancel) before any weight is fetched.
   */
  async load(
    gpu: Gpu,
    requestId: number,
    spec: ModelSourceSpec,
    post: Post,
    options: { askBeforeDownload?: boolean } = {},
  ): Promise<void> {
    const source = sourceOf(spec);
    const confirmDownload = options.askBeforeDownload
      ? (question: DownloadQuestion) =>
          new Promise<boolean>((resolve) => {
            this.waitingForAnswer.set(requestId, resolve);
            post({ type: 'downloadConfirm', requestId, ...question });
          })
      : undefined;
    const lastPost = new Map<string, number>();
    const onProgress = (p: FileProgress) => {
      const now = performance.now();
      const done = p.percent === 100 || p.loadedBytes === 0;
      if (!done && now - (lastPost.get(p.file) ?? -Infinity) < PROGRESS_INTERVAL_MS) return;
      lastPost.set(p.file, now);
      post({ type: 'modelProgress', requestId, ...p });
    };
    const limits = gpu.device.limits;
    const folder = await loadModelFolder(source, {
      onProgress,
      confirmDownload,
      fit: {
        dtype: 'f32',
        maxBufferSize: limits.maxBufferSize,
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        memoryBudgetBytes: GPU_MEMORY_BUDGET_BYTES,
      },
    });
    let tokenizer: TextTokenizer;
    try {
      tokenizer = TextTokenizer.fromJson(folder.tokenizerJson, folder.tokenizerConfig);
      // transformers falls back from generation_config.json to config.json's eos_token_id.
      const configEos = folder.config.eosTokenIds.filter((id) => tokenizer.idToToken(id) !== undefined);
      tokenizer.addEosTokenIds([...eosTokenIdsFromGenerationConfig(folder.generationConfig), ...configEos]);
    } catch (cause) {
      throw userFacing(cause, `${folder.name}: its tokenizer cannot be used`);
    }
    this.reset(); // free the previous model before uploading the next one's weights
    let model: WgslModel | null = null;
    try {
      model = await WgslModel.create(
        gpu,
        folder.config,
        { get: (name) => folder.tensors.get(name)!.toFloat32() },
        { name: folder.name, fileHashes: folder.fileHashes },
      );
      const pipeline = await LogitPipeline.create(gpu, { rows: 1, vocab: folder.config.vocabSize }, 1);
      const { info } = model;
      const c = info.config;
      const card: ModelCard = {
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
        storedDtypes: folder.weightDtypes,
        gpuBytes: info.gpuBytes,
        fileHashes: info.fileHashes,
        files: folder.files.map(({ file, bytes, from }) => ({ file, bytes, from })),
        eosTokenIds: tokenizer.eosTokenIds,
        warnings: folder.warnings,
      };
      this.loaded = { model, tokenizer, pipeline, card, spec };
      post({ type: 'modelLoaded', requestId, card });
    } catch (cause) {
      model?.dispose();
      throw userFacing(cause, `${folder.name} could not be set up on the GPU`);
    }
  }

  async generate(requestId: number, params: GenerateParams, post: Post): Promise<void> {
    const { model, tokenizer, pipeline, card } = this.require();
    const prompt = params.image
      ? imagePromptIds(tokenizer, model.info.config.vision, params.prompt, card.name)
      : params.prompt;
    const controller = new AbortController();
    this.generation = controller;
    const started = performance.now();
    try {
      const result = await generate({
        model,
        tokenizer,
        choose: pipelineChooser(pipeline, params),
        prompt,
        image: params.image,
        maxTokens: params.maxTokens,
        signal: controller.signal,
        onToken: (token) => post({ type: 'generatedToken', requestId, ...token }),
        onPrompt: (ids) => {
          const promptTokens = ids.map((id) => ({ id, piece: tokenPiece(tokenizer, id) }));
          post({ type: 'generationStarted', requestId, promptTokens });
        },
      });
      post({
        type: 'generated',
        requestId,
        promptTokens: result.promptTokens.map((id) => ({ id, piece: tokenPiece(tokenizer, id) })),
        generated: result.tokens.length,
        text: result.text,
        fullText: decodeKnown(tokenizer, [...result.promptTokens, ...result.tokens.map((t) => t.id)]),
        stopReason: result.stopReason,
        elapsedMs: performance.now() - started,
      });
    } catch (cause) {
      throw userFacing(cause, 'Generation failed');
    } finally {
      if (this.generation === controller) this.generation = null;
    }
  }

  async inspect(gpu: Gpu, requestId: number, params: InspectParams, post: Post): Promise<void> {
    const { model, tokenizer } = this.require();
    const config = model.info.config;
    const { layer, head } = params;
    if (!Number.isInteger(layer) || layer < 0 || layer >= config.numLayers)
      throw new ModelRequestError(`layer must be in 0..${config.numLayers - 1}, got ${layer}`);
    if (!Number.isInteger(head) || head < 0 || head >= config.numHeads)
      throw new ModelRequestError(`head must be in 0..${config.numHeads - 1}, got ${head}`);
    let ids: number[];
    try {
      ids = params.tokenIds ? [...params.tokenIds] : tokenizer.encode(params.text);
    } catch (cause) {
      throw userFacing(cause, 'The text could not be tokenized');
    }
    if (ids.length === 0)
      throw new ModelRequestError('The text to inspect is empty: type or generate some text.');
    const cap = Math.min(MAX_INSPECT_TOKENS, config.maxPositions);
    const dropped = Math.max(0, ids.length - cap);
    ids = ids.slice(0, cap);
    const n = ids.length;
    const lensPosition = Math.min(Math.max(0, params.lensPosition ?? n - 1), n - 1);
    const layers = Array.from({ length: config.numLayers }, (_, i) => i + 1);
    const vocab = config.vocabSize;

    // Attention over the whole text; the lens at `lensPosition` is the last row of a forward over
    // the prefix ending there (the same forward when it is the last position).
    const full = model.createSequence();
    let attention: Float32Array;
    let lensRows: Float32Array[];
    try {
      const sameForward = lensPosition === n - 1;
      const out = await model.forward({
        sequences: [{ sequence: full, tokens: ids }],
        capture: { attention: { layer, head }, logitLensLayers: sameForward ? layers : undefined },
      });
      attention = await readFloat32(gpu, out.attention!.buffer, n * n);
      if (sameForward) {
        lensRows = await Promise.all(
          layers.map((_, i) => readFloat32(gpu, out.logitLens!, vocab, i * vocab)),
        );
      } else {
        const prefix = model.createSequence();
        try {
          const lensOut = await model.forward({
            sequences: [{ sequence: prefix, tokens: ids.slice(0, lensPosition + 1) }],
            capture: { logitLensLayers: layers },
          });
          lensRows = await Promise.all(
            layers.map((_, i) => readFloat32(gpu, lensOut.logitLens!, vocab, i * vocab)),
          );
        } finally {
          model.releaseSequence(prefix);
        }
      }
    } catch (cause) {
      throw userFacing(cause, 'Inspection failed');
    } finally {
      model.releaseSequence(full);
    }
    const entry = ({ id, prob }: { id: number; prob: number }): LensEntry => ({
      id,
      piece: tokenPiece(tokenizer, id),
      prob,
    });
    const result: InspectResult = {
      text: decodeKnown(tokenizer, ids),
      tokens: ids.map((id) => ({ id, piece: tokenPiece(tokenizer, id) })),
      droppedTokens: dropped,
      layer,
      head,
      attention: Array.from(attention),
      lensPosition,
      lens: lensRows.map((row, i) => ({ layer: layers[i], top: topProbabilities(row, LENS_TOP).map(entry) })),
    };
    post({ type: 'inspected', requestId, ...result });
  }
}
