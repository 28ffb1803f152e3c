// The `decode` slice: the Decode workbench. It holds the experiment being edited (prompt, image,
// seed, token budget, 1..6 lanes of method + sampling), the run (status, the Trace growing from
// `decodeStarted` / `decodeTokens` and replaced by the worker's complete trace on `decodeEnded`),
// the token the inspector shows, the colour measure, and the error banner. Edits are stored as
// typed and validated against the catalog (decodeExperiment.ts): an out-of-range value blocks Run
// and the share link, never gets clamped. Links and trace files go through src/share's codec and
// trace-file modules; importing a trace shows it without running anything.
import type { StateCreator } from 'zustand';
import { decodeLink, encodeLink } from '../share/codec';
import type { Experiment, MethodName, ModelRef, SamplingConfig } from '../share/experiment';
import { exportTrace, importTrace } from '../share/trace-file';
import { prepareImage, type ImageInput } from '../world';
import * as edit from './decodeExperiment';
import { modelAvailability, type ModelRole } from './decodeModels';
import {
  applyDecodeEvent,
  initialDecodeState,
  isDecodeActive,
  sentence,
  sha256Hex,
  traceExportable,
  type ColourMeasure,
  type DecodeState,
} from './decodeState';
import { runProblem, startDecodeParams } from './decodeRun';
import { errorOf } from './errors';
import type { AppState, StoreDeps } from './types';

export * from './decodeState';
export { runProblem, startDecodeParams } from './decodeRun';

export interface DecodeSlice {
  decode: DecodeState;
  setDecodePrompt(prompt: string): void;
  setDecodeSeed(seed: number): void;
  setDecodeMaxTokens(maxTokens: number): void;
  /** A Shapes scene by seed and index (values stored as typed; out of range blocks Run). */
  setDecodeScene(seed: number, index: number): void;
  /** No image (text-only models). */
  clearDecodeImage(): void;
  /** Resizes to 48x48 (or refuses), hashes the pixels, and makes them the experiment's image. */
  uploadDecodeImage(input: ImageInput, name: string, onWrongSize?: 'resize' | 'refuse'): Promise<void>;
  /** Sets (or, for the amateur, removes with null) a model; a default ref is pinned once loaded. */
  setDecodeModel(role: ModelRole, ref: ModelRef | null): void;
  /** Re-pins a ref to the files that are loaded now (after a hash mismatch the user accepts). */
  repinDecodeModel(role: ModelRole): void;
  /** Fills the hashes of default refs that pin nothing yet from the loaded Shapes models. */
  pinDecodeModels(): void;
  addLane(method?: MethodName): void;
  removeLane(index: number): void;
  duplicateLane(index: number): void;
  setLaneMethod(index: number, method: MethodName): void;
  setLaneParameter(index: number, name: string, value: number | string): void;
  setLaneSampling(index: number, patch: Partial<SamplingConfig>): void;
  runDecode(): Promise<void>;
  /** While paused: one token in every lane. Otherwise starts a paused run, then steps once. */
  stepDecode(): Promise<void>;
  pauseDecode(): Promise<void>;
  resumeDecode(): Promise<void>;
  stopDecode(): Promise<void>;
  selectToken(selection: { laneId: string; step: number } | null): void;
  setColourMeasure(measure: ColourMeasure): void;
  /**
   * Opens a link: its payload (`x1.…`, what follows `#decode/`), a `#…` hash or a full URL whose hash
   * is the bare payload (src/share/codec.ts reads all three). Replaces the experiment, or shows why not.
   */
  loadDecodeLink(payload: string): boolean;
  /** The link payload of the current experiment, or null while a field is invalid. */
  decodeLinkPayload(): string | null;
  /** The finished (or imported) trace as JSON, or null when there is none to export. */
  exportDecodeTrace(): string | null;
  /** Shows a trace file (and its experiment) without running anything. */
  importDecodeTrace(text: string): void;
  dismissDecodeError(): void;
}

export function createDecodeSlice(deps: StoreDeps): StateCreator<AppState, [], [], DecodeSlice> {
  return (set, get) => {
    const setDecode = (patch: (d: DecodeState) => Partial<DecodeState>) =>
      set((s) => ({ decode: { ...s.decode, ...patch(s.decode) } }));
    const editExperiment = (change: (e: Experiment) => Experiment) =>
      setDecode((d) => {
        const experiment = change(d.experiment);
        return experiment === d.experiment ? {} : { experiment };
      });
    const fail = (cause: unknown) => setDecode(() => ({ error: errorOf(cause).message }));

    async function sendStop(): Promise<void> {
      try {
        await deps.client().request({ type: 'stopDecode' });
      } catch (cause) {
        setDecode(() => ({ stopping: false }));
        fail(cause);
      }
    }

    /** Runs the experiment; `paused` starts it paused and `stepOnStart` then steps once. */
    async function start(paused: boolean, stepOnStart: boolean): Promise<void> {
      if (isDecodeActive(get().decode.status)) return;
      get().pinDecodeModels();
      const problem = runProblem(get());
      if (problem) {
        setDecode(() => ({ error: problem }));
        return;
      }
      const previous = get().decode.status;
      const experiment = structuredClone(get().decode.experiment);
      let started = false;
      setDecode(() => ({ status: 'starting', stopping: false, error: null, linkError: null }));
      try {
        const ended = await deps.client().request(
          { type: 'startDecode', ...startDecodeParams(experiment, paused, get().decode.upload) },
          {
            onProgress: (event) => {
              if (event.type === 'decodeStarted') started = true;
              setDecode((d) => applyDecodeEvent(d, event, { experiment, paused }));
              if (event.type !== 'decodeStarted') return;
              // A Stop pressed before the run existed is sent now (the worker would not have seen it).
              if (get().decode.stopping) void sendStop();
              else if (stepOnStart) void get().stepDecode();
            },
          },
        );
        setDecode((d) => applyDecodeEvent(d, ended));
      } catch (cause) {
        const message = errorOf(cause).message;
        if (started) setDecode(() => ({ status: 'error', stopping: false, error: message }));
        else setDecode(() => ({ status: previous, stopping: false, error: `Run refused: ${message}` }));
      }
    }

    return {
      decode: initialDecodeState(),

      setDecodePrompt: (prompt) => editExperiment((e) => ({ ...e, prompt })),
      setDecodeSeed: (seed) => editExperiment((e) => ({ ...e, seed })),
      setDecodeMaxTokens: (maxTokens) => editExperiment((e) => ({ ...e, maxTokens })),
      setDecodeScene: (seed, index) => {
        editExperiment((e) => ({ ...e, image: { kind: 'scene', seed, index } }));
        setDecode(() => ({ imageError: null }));
      },
      clearDecodeImage: () => {
        editExperiment((e) => ({ ...e, image: null }));
        setDecode(() => ({ imageError: null }));
      },

      async uploadDecodeImage(input, name, onWrongSize = 'resize') {
        try {
          const { image, message } = prepareImage(input, { onWrongSize });
          const sha256 = await sha256Hex(image);
          setDecode((d) => ({
            upload: { name, sha256, pixels: image, message },
            imageError: null,
            experiment: { ...d.experiment, image: { kind: 'upload', sha256, name } },
          }));
        } catch (cause) {
          setDecode(() => ({ imageError: `${name}: ${errorOf(cause).message}` }));
        }
      },

      setDecodeModel(role, ref) {
        editExperiment((e) => {
          if (role === 'main') return ref ? { ...e, models: { ...e.models, main: ref } } : e;
          const { amateur: _dropped, ...rest } = e.models;
          return { ...e, models: ref ? { ...rest, amateur: ref } : rest };
        });
        get().pinDecodeModels();
      },

      repinDecodeModel(role) {
        const ref = get().decode.experiment.models[role];
        if (!ref) return;
        const { loadedHashes } = modelAvailability(ref, get().shapes, get().model);
        if (!loadedHashes) return;
        get().setDecodeModel(role, { ...ref, sha256: { ...loadedHashes } });
      },

      pinDecodeModels() {
        const { shapes, model } = get();
        editExperiment((e) => {
          const pin = (ref: ModelRef) =>
            edit.pinModel(ref, modelAvailability(ref, shapes, model).loadedHashes);
          const main = pin(e.models.main);
          const amateur = e.models.amateur ? pin(e.models.amateur) : undefined;
          if (main === e.models.main && amateur === e.models.amateur) return e;
          return { ...e, models: amateur ? { main, amateur } : { main } };
        });
      },

      addLane: (method) => editExperiment((e) => edit.addLane(e, method)),
      removeLane: (index) => {
        const removed = get().decode.experiment.lanes[index]?.id;
        editExperiment((e) => edit.removeLane(e, index));
        setDecode((d) => (d.selected && d.selected.laneId === removed ? { selected: null } : {}));
      },
      duplicateLane: (index) => editExperiment((e) => edit.duplicateLane(e, index)),
      setLaneMethod: (index, method) => editExperiment((e) => edit.setLaneMethod(e, index, method)),
      setLaneParameter: (index, name, value) =>
        editExperiment((e) => edit.setLaneParameter(e, index, name, value)),
      setLaneSampling: (index, patch) => editExperiment((e) => edit.setLaneSampling(e, index, patch)),

      runDecode: () => start(false, false),

      async stepDecode() {
        const { status } = get().decode;
        if (status === 'paused') {
          try {
            await deps.client().request({ type: 'stepDecode' });
          } catch (cause) {
            fail(cause);
          }
        } else if (!isDecodeActive(status)) await start(true, true);
      },

      async pauseDecode() {
        if (get().decode.status !== 'running') return;
        try {
          const { wasRunning } = await deps.client().request({ type: 'pauseDecode' });
          if (wasRunning) setDecode((d) => (d.status === 'running' ? { status: 'paused' } : {}));
        } catch (cause) {
          fail(cause);
        }
      },

      async resumeDecode() {
        if (get().decode.status !== 'paused') return;
        try {
          const { wasPaused } = await deps.client().request({ type: 'resumeDecode' });
          if (wasPaused) setDecode((d) => (d.status === 'paused' ? { status: 'running' } : {}));
        } catch (cause) {
          fail(cause);
        }
      },

      async stopDecode() {
        const { status } = get().decode;
        if (!isDecodeActive(status)) return;
        setDecode(() => ({ stopping: true }));
        // Before decodeStarted the worker has no run to stop yet: start() sends it on decodeStarted.
        if (status !== 'starting') await sendStop();
      },

      selectToken: (selected) => setDecode(() => ({ selected })),
      setColourMeasure: (measure) => setDecode(() => ({ measure })),

      loadDecodeLink(payload) {
        const result = decodeLink(payload);
        if (!result.ok) {
          const { message, details } = result.error;
          const more = details.length > 1 ? ` Also: ${details.slice(1, 4).join('; ')}${details.length > 4 ? '; …' : ''}` : ''; // prettier-ignore
          setDecode(() => ({ linkError: `${sentence(message)}${more} Nothing was changed or run.` }));
          return false;
        }
        setDecode((d) => ({
          experiment: result.experiment,
          linkError: null,
          error: null,
          imageError: null,
          // An upload stays only if it is the image the link names.
          upload:
            result.experiment.image?.kind === 'upload' && d.upload?.sha256 === result.experiment.image.sha256
              ? d.upload
              : null,
        }));
        return true;
      },

      decodeLinkPayload() {
        const { experiment } = get().decode;
        if (Object.keys(edit.experimentProblems(experiment)).length > 0) return null;
        try {
          return encodeLink(experiment);
        } catch {
          return null; // the link validator refuses it (runProblem words why)
        }
      },

      exportDecodeTrace() {
        const { decode } = get();
        if (!decode.trace || !traceExportable(decode)) return null;
        try {
          return exportTrace(decode.trace);
        } catch (cause) {
          fail(cause); // a trace the importer would refuse: the message lists the schema problems
          return null;
        }
      },

      importDecodeTrace(text) {
        if (isDecodeActive(get().decode.status)) {
          setDecode(() => ({ error: 'Stop the run before importing a trace.' }));
          return;
        }
        const result = importTrace(text);
        if (!result.ok) {
          const { message, details } = result.error;
          const more = details.length > 1 ? ` (and ${details.length - 1} more problems)` : '';
          setDecode(() => ({
            error: `The trace file cannot be read: ${sentence(message)}${more} Nothing was changed.`,
          }));
          return;
        }
        const { trace } = result;
        setDecode((d) => ({
          experiment: trace.experiment,
          trace,
          traceSource: 'import',
          status: 'done',
          outcome: null,
          promptPieces: [],
          selected: null,
          error: null,
          linkError: null,
          upload: trace.experiment.image?.kind === 'upload' && d.upload?.sha256 === trace.experiment.image.sha256 ? d.upload : null, // prettier-ignore
        }));
      },

      dismissDecodeError: () => setDecode(() => ({ error: null, linkError: null })),
    };
  };
}
