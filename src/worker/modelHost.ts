// The worker's model requests: load a model folder (Hub, URL or local files) into the WGSL engine
// or, for a Hub ONNX export, into onnxruntime-web (modelLoad.ts), generate from it, stop, and
// inspect one text (attention map + logit lens, WGSL models only). The Model tab's slot holds one
// model, or several when a load asks to keep the others (a target/draft pair): the last loaded is
// the one Generate and Inspect use, and setups find the others by their pinned file hashes.
// GpuHost runs these requests in its queue (stop at once).
// Only the worker imports this file (the engine touches WebGPU globals at module load).
import { generate, pipelineChooser, tokenPiece } from '../decoding/generate';
import type { Gpu } from '../gpu/runtime';
import type { LanguageModel } from '../model/interface';
import { hubSource, localFilesSource, urlSource, type FileProgress, type ModelSource } from '../model/loading'; // prettier-ignore
import type { TextTokenizer } from '../model/tokenizer';
import type { ModelRef } from '../share/experiment';
import {
  ModelRequestError,
  loadOnnx,
  loadWgsl,
  resolveChoice,
  trainingSource,
  userFacing,
  type LoadedModel,
} from './modelLoad';
import type {
  GenerateParams,
  InspectParams,
  DownloadQuestion,
  ModelCard,
  ModelSourceSpec,
} from './modelTypes';
import type { WorkerEvent } from './protocol';
import { decodeKnown, inspectText } from './modelInspect';
import { imagePromptIds } from './shapesHost';

export { ModelRequestError } from './modelLoad';
export { LENS_TOP, MAX_INSPECT_TOKENS, topProbabilities } from './modelInspect';

/** Browsers do not report free GPU memory; this is what the app allows itself for its models. */
export const GPU_MEMORY_BUDGET_BYTES = 4 * 2 ** 30;
const PROGRESS_INTERVAL_MS = 50;

type Post = (event: WorkerEvent) => void;

/** A loaded model as setups use it (SlotModel in decodeSetup.ts). */
export interface LoadedSlotModel {
  model: LanguageModel;
  tokenizer: TextTokenizer;
  card: ModelCard;
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

const sameFiles = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length &&
  Object.entries(a).every(([file, hash]) => b[file] === hash);

const sameSource = (ref: ModelRef, spec: ModelSourceSpec): boolean =>
  ref.source === 'hub'
    ? spec.kind === 'hub' && spec.repo === ref.id && (spec.revision.trim() || undefined) === ref.revision
    : ref.source === 'url' &&
      spec.kind === 'url' &&
      spec.url.replace(/\/+$/, '') === ref.id.replace(/\/+$/, '');

export class ModelHost {
  /** The Model tab's models, oldest first; the last one is the one Generate and Inspect use. */
  private shelf: LoadedModel[] = [];
  private generation: AbortController | null = null;
  /** Loads waiting for the page's answer to their `downloadConfirm`, by request id. */
  private readonly waitingForAnswer = new Map<number, (proceed: boolean) => void>();

  private get active(): LoadedModel | null {
    return this.shelf.at(-1) ?? null;
  }

  /** Drops every model (their GPU objects belong to a device that is being replaced or was lost). */
  reset(): void {
    for (const answer of this.waitingForAnswer.values()) answer(false);
    this.waitingForAnswer.clear();
    this.generation?.abort();
    this.release(this.shelf);
  }

  /** Frees `models` and takes them off the shelf. */
  private release(models: readonly LoadedModel[]): void {
    const gone = new Set(models);
    this.shelf = this.shelf.filter((m) => !gone.has(m));
    for (const { pipeline, model } of gone) {
      pipeline.destroy();
      model.dispose();
    }
  }

  /** Ends the running generation after its current token; false when none is running. */
  stop(): boolean {
    if (!this.generation) return false;
    this.generation.abort();
    return true;
  }

  /**
   * The active model's source and name (the Train workbench re-reads its files), or null. An ONNX
   * model's source refuses to be read, with a message saying it cannot be trained.
   */
  loadedSource(): { spec: ModelSourceSpec; name: string; source: ModelSource } | null {
    const loaded = this.active;
    if (!loaded) return null;
    return {
      spec: loaded.spec,
      name: loaded.card.name,
      source: trainingSource(loaded, sourceOf(loaded.spec)),
    };
  }

  /** The active model with its tokenizer, card and source (Decode runs on it), or null. */
  loadedModel(): LoadedSlotModel | null {
    return this.active && this.slotModel(this.active);
  }

  /** Every model in the slot, oldest first (the last is the active one). */
  loadedModels(): LoadedSlotModel[] {
    return this.shelf.map((m) => this.slotModel(m));
  }

  /**
   * The model a setup's ref names: for pinned refs the one whose files have every pinned hash,
   * else the one loaded from the ref's Hub repo or URL; the active one first. Null when none is.
   */
  findLoaded(ref: ModelRef): LoadedSlotModel | null {
    const pins = Object.entries(ref.sha256);
    const matches = (m: LoadedModel) =>
      pins.length > 0
        ? pins.every(([file, hash]) => m.card.fileHashes[file] === hash)
        : sameSource(ref, m.spec);
    const found = [...this.shelf].reverse().find(matches);
    return found ? this.slotModel(found) : null;
  }

  private slotModel({ model, tokenizer, card, spec }: LoadedModel): LoadedSlotModel {
    return { model, tokenizer, card, spec };
  }

  /** The cards of every loaded model, oldest first (the `modelLoaded` event carries them). */
  cards(): ModelCard[] {
    return this.shelf.map((m) => m.card);
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
    const loaded = this.active;
    if (!loaded) throw new ModelRequestError('No model is loaded: load one in the Model panel first.');
    return loaded;
  }

  /**
   * `askBeforeDownload`: above LARGE_DOWNLOAD_BYTES to download, post `downloadConfirm` and wait
   * for `answerDownload` (the page's Continue / Cancel) before any weight is fetched.
   * `spec.load` chooses the engine, ONNX dtype and provider, and whether the models loaded in the
   * slot stay (`keepLoaded`: the new one is added, or replaces the one with the same files).
   * Otherwise they are released: a WGSL model's before its weights are uploaded (GPU memory), an
   * ONNX model's once its session exists. A refused load leaves them as they were.
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
    const choice = await resolveChoice(source, spec.load ?? {});
    const kept = choice.keepLoaded ? [...this.shelf] : [];
    const replaced = this.shelf.filter((m) => !kept.includes(m));
    const keptBytes = kept.reduce((sum, m) => sum + m.card.gpuBytes, 0);
    const context = {
      gpu,
      source,
      spec: { ...spec, load: choice },
      onProgress,
      confirmDownload,
      memoryBudgetBytes: Math.max(0, GPU_MEMORY_BUDGET_BYTES - keptBytes),
      beforeUpload: () => {
        this.generation?.abort();
        this.release(replaced);
      },
    };
    const loaded = choice.engine === 'onnx' ? await loadOnnx(context, choice) : await loadWgsl(context);
    // The same files loaded again replace their older copy; the rest of a non-keeping load goes now.
    const duplicates = this.shelf.filter((m) => sameFiles(m.card.fileHashes, loaded.card.fileHashes));
    this.release([...replaced, ...duplicates]);
    this.shelf.push(loaded);
    post({ type: 'modelLoaded', requestId, card: loaded.card, loaded: this.cards() });
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

  /** One forward with capture over a text: attention map and logit lens (modelInspect.ts). */
  async inspect(gpu: Gpu, requestId: number, params: InspectParams, post: Post): Promise<void> {
    const loaded = this.require();
    post({ type: 'inspected', requestId, ...(await inspectText(gpu, loaded, params)) });
  }
}
