// The `model` slice: the loaded models' cards and load progress (with the worker's question before
// a large download, and the engine / dtype choice for a folder with an ONNX export), the generate
// box's stream, and the latest inspection (attention map + logit lens). All GPU work happens in
// the worker.
import type { StateCreator } from 'zustand';
import { collectDroppedFiles } from '../model/loading/localFiles';
import type {
  DownloadQuestion,
  GenerateParams,
  GeneratedTokenEvent,
  GenerationSummary,
  InspectParams,
  InspectResult,
  ModelCard,
  ModelProgress,
  ModelSourceSpec,
  TokenPiece,
} from '../worker/modelTypes';
import type { WorkerEvent } from '../worker/protocol';
import { errorOf } from './errors';
import { choiceSpec, detectLayout, pendingChoice, type PendingChoice } from './modelChoice';
import type { AppState, StoreDeps } from './types';

export type ModelStatus = 'empty' | 'loading' | 'ready' | 'error';

export interface GenerationState {
  running: boolean;
  /** The prompt as typed, for the text the inspector shows (prompt + generated). */
  prompt: string;
  promptTokens: TokenPiece[];
  tokens: GeneratedTokenEvent[];
  summary: GenerationSummary | null;
  error: string | null;
}

export interface InspectionState {
  running: boolean;
  result: InspectResult | null;
  error: string | null;
}

export interface ModelState {
  status: ModelStatus;
  /** What is being (or was last) loaded, for the progress heading. */
  loading: string | null;
  /** Per-file progress of the current or last load, in the order files were opened. */
  progress: ModelProgress[];
  /** The active model: the one Generate and Inspect use (the last loaded). */
  card: ModelCard | null;
  /** Every model the Model tab holds, oldest first (`card` last); setups pick among them. */
  loaded: ModelCard[];
  /** Load the next model beside the loaded ones instead of replacing them. */
  keepLoaded: boolean;
  /** What the folder being chosen holds, while its layout is read (its name), else null. */
  detecting: string | null;
  /** A folder with an ONNX export, waiting for the engine / dtype / provider choice. */
  choice: PendingChoice | null;
  error: string | null;
  /** The worker's question before a large download; the load waits until `answerDownload`. */
  downloadQuestion: (DownloadQuestion & { requestId: number }) | null;
  /** The question of the last load, when the user answered Cancel (a note, not an error). */
  downloadCancelled: DownloadQuestion | null;
  generation: GenerationState;
  inspection: InspectionState;
}

export interface ModelSlice {
  model: ModelState;
  /**
   * Loads into the Model tab's slot (beside the loaded models when `keepLoaded` is set and the
   * source says nothing else); a large download waits for `answerDownload`.
   */
  loadModel(source: ModelSourceSpec): Promise<void>;
  /**
   * The Model tab's Load: reads what the folder holds first; a folder with an ONNX export waits in
   * `choice` for `loadChosen`, any other is loaded at once.
   */
  chooseSource(source: ModelSourceSpec): Promise<void>;
  editChoice(patch: Partial<Pick<PendingChoice, 'engine' | 'dtype' | 'provider'>>): void;
  loadChosen(): Promise<void>;
  dismissChoice(): void;
  setKeepLoaded(keep: boolean): void;
  /** Continue (true) or Cancel (false) the download the worker asked about. */
  answerDownload(proceed: boolean): Promise<void>;
  /** Loads what was dropped on the panel (files or a folder); call it inside the drop handler. */
  loadDropped(items: DataTransferItemList): Promise<void>;
  generate(params: GenerateParams): Promise<void>;
  stopGeneration(): Promise<void>;
  inspect(params: InspectParams): Promise<void>;
}

const initialGeneration: GenerationState = {
  running: false,
  prompt: '',
  promptTokens: [],
  tokens: [],
  summary: null,
  error: null,
};

export const initialModelState: ModelState = {
  status: 'empty',
  loading: null,
  progress: [],
  card: null,
  loaded: [],
  keepLoaded: false,
  detecting: null,
  choice: null,
  error: null,
  downloadQuestion: null,
  downloadCancelled: null,
  generation: initialGeneration,
  inspection: { running: false, result: null, error: null },
};

/** "gpt2 @ main", a URL, or "3 local files" (for the progress heading). */
export function describeSource(source: ModelSourceSpec): string {
  if (source.kind === 'hub') return `${source.repo} @ ${source.revision || 'main'}`;
  if (source.kind === 'url') return source.url;
  return `${source.files.length} local file${source.files.length === 1 ? '' : 's'}`;
}

/** Folds a `modelProgress` event into the per-file list (pure). */
export function applyModelProgress(progress: ModelProgress[], event: WorkerEvent): ModelProgress[] {
  if (event.type !== 'modelProgress') return progress;
  const { file, loadedBytes, totalBytes, percent, from } = event;
  const entry: ModelProgress = { file, loadedBytes, totalBytes, percent, from };
  const at = progress.findIndex((p) => p.file === file);
  if (at === -1) return [...progress, entry];
  return progress.map((p, i) => (i === at ? entry : p));
}

/** Folds a streamed generation event into the generate box's state (pure). */
export function applyGenerationEvent(generation: GenerationState, event: WorkerEvent): GenerationState {
  if (event.type === 'generationStarted') return { ...generation, promptTokens: event.promptTokens };
  if (event.type !== 'generatedToken') return generation;
  const { index, id, piece, text, probability } = event;
  return { ...generation, tokens: [...generation.tokens, { index, id, piece, text, probability }] };
}

/** A lost device takes the model's GPU buffers with it: the panel must load it again (pure). */
export function modelOnEvent(model: ModelState, event: WorkerEvent): ModelState {
  if (event.type !== 'deviceLost' || !model.card) return model;
  return {
    ...initialModelState,
    // A load waiting for its answer holds the worker's queue: the question must stay answerable.
    downloadQuestion: model.downloadQuestion,
    error: `The GPU device was lost, and with it ${model.loaded.length > 1 ? `${model.loaded.length} models` : model.card.name}: reconnect the GPU and load ${model.loaded.length > 1 ? 'them' : 'the model'} again.`,
  };
}

export function createModelSlice(deps: StoreDeps): StateCreator<AppState, [], [], ModelSlice> {
  return (set, get) => {
    const setModel = (patch: (m: ModelState) => Partial<ModelState>) =>
      set((s) => ({ model: { ...s.model, ...patch(s.model) } }));
    const setGeneration = (patch: (g: GenerationState) => Partial<GenerationState>) =>
      setModel((m) => ({ generation: { ...m.generation, ...patch(m.generation) } }));
    const setInspection = (patch: Partial<InspectionState>) =>
      setModel((m) => ({ inspection: { ...m.inspection, ...patch } }));
    /** The load whose download the user cancelled: its failure is a note, not an error. */
    let cancelledLoad: number | null = null;
    return {
      model: initialModelState,

      async loadModel(requested) {
        const { model, gpu } = get();
        if (model.status === 'loading' || model.generation.running || gpu.status !== 'ready') return;
        const keepLoaded = requested.load?.keepLoaded ?? model.keepLoaded;
        const source: ModelSourceSpec = { ...requested, load: { ...requested.load, keepLoaded } };
        setModel(() => ({
          choice: null,
          status: 'loading',
          loading: describeSource(source),
          progress: [],
          error: null,
          downloadQuestion: null,
          downloadCancelled: null,
        }));
        let requestId: number | null = null;
        cancelledLoad = null;
        try {
          const { card, loaded } = await deps.client().request(
            { type: 'loadModel', source, askBeforeDownload: true },
            {
              onProgress: (event) => {
                if (event.type === 'downloadConfirm') {
                  const { type: _type, ...question } = event;
                  requestId = event.requestId;
                  setModel(() => ({ downloadQuestion: question }));
                } else {
                  setModel((m) => ({ progress: applyModelProgress(m.progress, event) }));
                }
              },
            },
          );
          setModel(() => ({
            status: 'ready',
            card,
            loaded: loaded ?? [card],
            generation: initialGeneration,
            inspection: { running: false, result: null, error: null },
          }));
        } catch (cause) {
          if (requestId !== null && requestId === cancelledLoad) {
            // Cancelled before any weight was fetched: the previous model (if any) is untouched.
            setModel((m) => ({ status: m.card ? 'ready' : 'empty', downloadQuestion: null }));
            return;
          }
          // A refusal before the upload (config, download, an ONNX graph or session) leaves the
          // loaded models as they were; a WGSL model that fails on the GPU after the replaced
          // ones were freed leaves what was kept.
          setModel((m) => ({
            status: m.card ? 'ready' : 'error',
            error: errorOf(cause).message,
            downloadQuestion: null,
          }));
        }
      },

      async answerDownload(proceed) {
        const question = get().model.downloadQuestion;
        if (!question) return;
        const { requestId: loadRequestId, ...asked } = question;
        if (!proceed) cancelledLoad = loadRequestId;
        setModel(() => ({ downloadQuestion: null, downloadCancelled: proceed ? null : asked }));
        try {
          await deps.client().request({ type: 'answerDownload', loadRequestId, proceed });
        } catch (cause) {
          setModel(() => ({ error: errorOf(cause).message }));
        }
      },

      async chooseSource(source) {
        const { model, gpu } = get();
        if (
          model.status === 'loading' ||
          model.detecting ||
          model.generation.running ||
          gpu.status !== 'ready'
        )
          return;
        setModel(() => ({
          detecting: describeSource(source),
          choice: null,
          error: null,
          downloadCancelled: null,
        }));
        try {
          const { name, layout } = await detectLayout(source);
          const choice = pendingChoice(source, name, layout);
          setModel(() => ({ detecting: null, choice }));
          if (!choice) await get().loadModel(source);
        } catch (cause) {
          setModel(() => ({ detecting: null, error: errorOf(cause).message }));
        }
      },

      editChoice(patch) {
        setModel((m) => (m.choice ? { choice: { ...m.choice, ...patch } } : {}));
      },

      async loadChosen() {
        const { choice, keepLoaded } = get().model;
        if (choice) await get().loadModel(choiceSpec(choice, keepLoaded));
      },

      dismissChoice: () => setModel(() => ({ choice: null })),
      setKeepLoaded: (keepLoaded) => setModel(() => ({ keepLoaded })),

      async loadDropped(items) {
        // collectDroppedFiles takes the entries synchronously, before the browser empties the list.
        const entries = collectDroppedFiles(items);
        try {
          await get().chooseSource({ kind: 'files', files: await entries });
        } catch (cause) {
          setModel(() => ({
            status: 'error',
            error: `The dropped files could not be read: ${errorOf(cause).message}`,
          }));
        }
      },

      async generate(params) {
        const { model } = get();
        if (!model.card || model.generation.running || model.status === 'loading') return;
        setGeneration(() => ({ ...initialGeneration, running: true, prompt: params.prompt }));
        try {
          const {
            type: _type,
            requestId: _id,
            ...summary
          } = await deps
            .client()
            .request(
              { type: 'generate', ...params },
              { onProgress: (event) => setGeneration((g) => applyGenerationEvent(g, event)) },
            );
          setGeneration(() => ({ running: false, summary, promptTokens: summary.promptTokens }));
        } catch (cause) {
          setGeneration(() => ({ running: false, error: errorOf(cause).message }));
        }
      },

      async stopGeneration() {
        if (!get().model.generation.running) return;
        try {
          await deps.client().request({ type: 'stopGeneration' });
        } catch (cause) {
          setGeneration(() => ({ error: errorOf(cause).message }));
        }
      },

      async inspect(params) {
        if (!get().model.card) return;
        setInspection({ running: true, error: null });
        try {
          const {
            type: _type,
            requestId: _id,
            ...result
          } = await deps.client().request({ type: 'inspect', ...params });
          setInspection({ running: false, result });
        } catch (cause) {
          setInspection({ running: false, error: errorOf(cause).message });
        }
      },
    };
  };
}
