// The `shapes` slice: the landing tab. It loads the Shapes default models served with the app
// (public/models/, no network beyond this origin), shows the VLM a scene (from a seed, empty, or
// an uploaded image resized to 48x48), and streams its caption and its answers to questions.
//
// VLM requests are sent one at a time from a small queue here (a caption for the current image
// first, then a question), so a stop always reaches the request it is meant for: when the image
// changes mid-caption, the running request is stopped, its tokens are dropped, and the new
// image's caption follows.
import type { StateCreator } from 'zustand';
import {
  DEFAULT_WORLD,
  imageToFloat32,
  prepareImage,
  rasterize,
  sampleSceneAt,
  type ImageInput,
  type Scene,
} from '../world';
import type { SamplingSettings } from '../decoding/generate';
import { CAPTION_PROMPT } from '../defaults/data';
import type { ModelCard, ModelProgress } from '../worker/modelTypes';
import type { WorkerEvent } from '../worker/protocol';
import { SHAPES_MODELS, type ShapesModelName } from '../worker/shapesTypes';
import { errorOf } from './errors';
import { applyGenerationEvent, applyModelProgress, type GenerationState } from './modelSlice';
import type { AppState, StoreDeps } from './types';

export const VLM: ShapesModelName = 'shapes-vlm';
export const DEFAULT_SEED = 1;
/** Greedy tokens for a caption (six objects with relations fit) and for an answer ("yes <eos>"). */
export const CAPTION_TOKENS = 40;
export const ANSWER_TOKENS = 6;
export const DEFAULT_QUESTION = 'is there a red star ?';
/** The VLM decodes greedily (the sampling knobs are then ignored): its output is reproducible. */
const GREEDY: SamplingSettings = { greedy: true, temperature: 1, topK: 0, topP: 1, minP: 0, seed: 0 };

export interface ShapesModelState {
  status: 'idle' | 'loading' | 'ready' | 'error';
  card: ModelCard | null;
  progress: ModelProgress[];
  error: string | null;
}

/** What the VLM looks at: a seeded scene, the empty scene, or an uploaded picture. */
export type ShapesImage =
  | { kind: 'scene'; seed: number; scene: Scene }
  | { kind: 'empty'; scene: Scene }
  | { kind: 'upload'; name: string; message: string | null };

/**
 * A caption or an answer, as the Model tab's generate box holds it: `prompt` is the text after
 * the image (the caption prompt, or the question) and `running` is true from the moment it is
 * asked for (waiting behind another VLM request counts).
 */
export type ShapesRun = GenerationState;

export interface ShapesState {
  /** The tab asked for the default models (once per device). */
  started: boolean;
  models: Record<ShapesModelName, ShapesModelState>;
  image: ShapesImage;
  /** The 48x48 RGB bytes the VLM is shown (what the canvas draws). */
  pixels: Uint8Array;
  /** Bumped on every image change: runs about an older image are dropped. */
  version: number;
  /** Why the last upload was refused (the image before it stays). */
  imageError: string | null;
  caption: ShapesRun;
  answer: ShapesRun;
}

export interface ShapesSlice {
  shapes: ShapesState;
  /** Loads the VLM, captions the scene, then loads the three caption LMs; once per device. */
  startShapes(): Promise<void>;
  setSeed(seed: number): void;
  /** The next seed's scene. */
  newScene(): void;
  clearScene(): void;
  /** Shows the VLM a decoded picture; another size is resized to 48x48 (saying so) or refused. */
  uploadImage(input: ImageInput, name: string, onWrongSize?: 'resize' | 'refuse'): void;
  caption(): void;
  ask(question: string): void;
  stopShapes(): Promise<void>;
}

const idleModel: ShapesModelState = { status: 'idle', card: null, progress: [], error: null };
const idleRun = (prompt: string): ShapesRun => ({
  running: false,
  prompt,
  promptTokens: [],
  tokens: [],
  summary: null,
  error: null,
});

export function sceneImage(seed: number): Extract<ShapesImage, { kind: 'scene' }> {
  return { kind: 'scene', seed, scene: sampleSceneAt(DEFAULT_WORLD, seed, 0) };
}

export const initialShapesState: ShapesState = {
  started: false,
  models: Object.fromEntries(SHAPES_MODELS.map((name) => [name, idleModel])) as ShapesState['models'],
  image: sceneImage(DEFAULT_SEED),
  pixels: rasterize(sceneImage(DEFAULT_SEED).scene),
  version: 0,
  imageError: null,
  caption: idleRun(CAPTION_PROMPT),
  answer: idleRun(''),
};

/** A lost device takes the loaded models with it: the tab loads them again after a reconnect (pure). */
export function shapesOnEvent(shapes: ShapesState, event: WorkerEvent): ShapesState {
  if (event.type !== 'deviceLost' || !shapes.started) return shapes;
  const lost = 'The GPU device was lost, and the default models with it; they load again after a reconnect.';
  return {
    ...shapes,
    started: false,
    models: Object.fromEntries(
      SHAPES_MODELS.map((name) => [name, { ...idleModel, error: shapes.models[name].card ? lost : null }]),
    ) as ShapesState['models'],
  };
}

export function createShapesSlice(deps: StoreDeps): StateCreator<AppState, [], [], ShapesSlice> {
  return (set, get) => {
    const setShapes = (patch: (s: ShapesState) => Partial<ShapesState>) =>
      set((s) => ({ shapes: { ...s.shapes, ...patch(s.shapes) } }));
    const setModel = (name: ShapesModelName, patch: (m: ShapesModelState) => Partial<ShapesModelState>) =>
      setShapes((s) => ({
        models: { ...s.models, [name]: { ...s.models[name], ...patch(s.models[name]) } },
      }));

    // The VLM queue: at most one request in flight; a caption of the current image goes first.
    let inFlight: { kind: 'caption' | 'answer'; version: number } | null = null;
    let wantCaption = false;
    let wantQuestion: string | null = null;
    /** Bumped by every (re)start: a queue loop from before a lost device stops. */
    let epoch = 0;

    async function loadModel(name: ShapesModelName): Promise<boolean> {
      setModel(name, () => ({ status: 'loading', progress: [], error: null }));
      try {
        const { card } = await deps.client().request(
          {
            type: 'loadModel',
            slot: name,
            source: { kind: 'url', url: deps.modelFolderUrl(name), useCache: false },
          },
          {
            onProgress: (event) =>
              setModel(name, (m) => ({ progress: applyModelProgress(m.progress, event) })),
          },
        );
        setModel(name, () => ({ status: 'ready', card }));
        return true;
      } catch (cause) {
        setModel(name, () => ({ status: 'error', card: null, error: errorOf(cause).message }));
        return false;
      }
    }

    async function run(kind: 'caption' | 'answer', text: string, maxTokens: number): Promise<void> {
      const { version, pixels } = get().shapes;
      const me = { kind, version };
      inFlight = me;
      const current = () => get().shapes.version === version;
      const setRun = (patch: (r: ShapesRun) => Partial<ShapesRun>) => {
        if (current()) setShapes((s) => ({ [kind]: { ...s[kind], ...patch(s[kind]) } }));
      };
      setRun(() => ({ ...idleRun(text), running: true }));
      try {
        const {
          type: _type,
          requestId: _id,
          ...summary
        } = await deps.client().request(
          {
            type: 'generate',
            slot: VLM,
            prompt: text,
            image: imageToFloat32(pixels),
            maxTokens,
            ...GREEDY,
          },
          { onProgress: (event) => setRun((r) => applyGenerationEvent(r, event)) },
        );
        setRun(() => ({ running: false, summary, promptTokens: summary.promptTokens }));
      } catch (cause) {
        setRun(() => ({ running: false, error: errorOf(cause).message }));
      } finally {
        if (inFlight === me) inFlight = null;
      }
    }

    async function pump(): Promise<void> {
      if (inFlight || get().shapes.models[VLM].status !== 'ready') return;
      const started = epoch;
      while (started === epoch) {
        if (wantCaption) {
          wantCaption = false;
          await run('caption', CAPTION_PROMPT, CAPTION_TOKENS);
        } else if (wantQuestion !== null) {
          const question = wantQuestion;
          wantQuestion = null;
          await run('answer', question, ANSWER_TOKENS);
        } else return;
      }
    }

    /** The image changed: drop both results, stop what runs for the old image, caption the new one. */
    function showImage(patch: Pick<ShapesState, 'image' | 'pixels'>): void {
      setShapes((s) => ({
        ...patch,
        version: s.version + 1,
        imageError: null,
        caption: idleRun(CAPTION_PROMPT),
        answer: idleRun(''),
      }));
      wantQuestion = null;
      void stopInFlight();
      requestCaption();
    }

    function requestCaption(): void {
      wantCaption = true;
      if (get().shapes.models[VLM].status !== 'ready') return;
      setShapes(() => ({ caption: { ...idleRun(CAPTION_PROMPT), running: true } }));
      void pump();
    }

    return {
      shapes: initialShapesState,

      async startShapes() {
        if (get().shapes.started || get().gpu.status !== 'ready') return;
        // A first start, or a restart after a lost device: whatever was queued or running is gone.
        epoch++;
        inFlight = null;
        wantQuestion = null;
        setShapes(() => ({ started: true, answer: idleRun('') }));
        wantCaption = true;
        if (await loadModel(VLM)) await Promise.all([pump(), loadRest()]);
        else await loadRest();
      },

      setSeed(seed) {
        if (!Number.isSafeInteger(seed) || seed < 0) return;
        const image = sceneImage(seed);
        showImage({ image, pixels: rasterize(image.scene) });
      },

      newScene() {
        const { image } = get().shapes;
        get().setSeed(image.kind === 'scene' ? image.seed + 1 : DEFAULT_SEED);
      },

      clearScene() {
        const scene: Scene = { objects: [] };
        showImage({ image: { kind: 'empty', scene }, pixels: rasterize(scene) });
      },

      uploadImage(input, name, onWrongSize = 'resize') {
        try {
          const { image, message } = prepareImage(input, { onWrongSize });
          showImage({ image: { kind: 'upload', name, message }, pixels: image });
        } catch (cause) {
          setShapes(() => ({ imageError: `${name}: ${errorOf(cause).message}` }));
        }
      },

      caption() {
        if (get().shapes.caption.running) return;
        requestCaption();
      },

      ask(question) {
        if (question.trim() === '' || get().shapes.models[VLM].status !== 'ready') return;
        wantQuestion = question;
        setShapes(() => ({ answer: { ...idleRun(question), running: true } }));
        void pump();
      },

      async stopShapes() {
        // Whatever waits is dropped too: Stop means "the VLM should be idle".
        const dropped = { caption: wantCaption, answer: wantQuestion !== null };
        wantCaption = false;
        wantQuestion = null;
        setShapes((s) => ({
          caption: dropped.caption ? { ...s.caption, running: false } : s.caption,
          answer: dropped.answer ? { ...s.answer, running: false } : s.answer,
        }));
        await stopInFlight();
      },
    };

    async function stopInFlight(): Promise<void> {
      if (!inFlight) return;
      try {
        await deps.client().request({ type: 'stopGeneration', slot: VLM });
      } catch {
        // The running request reports what went wrong.
      }
    }

    /** The three caption LMs, one after another, behind the VLM's first requests. */
    async function loadRest(): Promise<void> {
      for (const name of SHAPES_MODELS) if (name !== VLM) await loadModel(name);
    }
  };
}
