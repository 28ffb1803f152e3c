// The `speculative` slice: the Speculative workbench. It holds the setup being edited (models,
// prompt, method and its parameters, sampling, seed, token budget), the run (status, the rounds and
// baseline tokens growing from `speculativeStarted` / `speculativeRounds`, replaced by the engine's
// trace on `speculativeEnded`), and the banners. Edits are stored as typed and checked with the
// engine's own validation (speculativeState.ts): a bad value blocks Run and the link, never gets
// clamped. Links go through src/share/speculative-link.ts with the same checks.
import type { StateCreator } from 'zustand';
import type { ModelRef } from '../share/experiment';
import {
  decodeSpeculativeLink,
  encodeSpeculativeLink,
  type SpeculativeSetup,
  type SpeculativeSetupMethod,
} from '../share/speculative-link';
import { METHOD_DEFAULTS } from '../speculative/defaults';
import type { SpeculativeMethodName, SpeculativeSampling } from '../speculative/types';
import { isShapesModel } from '../worker/shapesTypes';
import { modelAvailability } from './decodeModels';
import { errorOf } from './errors';
import {
  applySpeculativeEvent,
  engineSetupCheck,
  initialSpeculativeState,
  isSpeculativeActive,
  pinRef,
  setupProblems,
  type SpeculativeModelRole,
  type SpeculativeState,
} from './speculativeState';
import type { AppState, StoreDeps } from './types';

export * from './speculativeState';

export interface SpeculativeSlice {
  speculative: SpeculativeState;
  setSpeculativePrompt(prompt: string): void;
  setSpeculativeSeed(seed: number): void;
  setSpeculativeMaxTokens(maxTokens: number): void;
  /** Another method with its defaults (a draft length K carries over when both have one). */
  setSpeculativeMethod(name: SpeculativeMethodName): void;
  /** One method parameter as typed; SpecTr's rho is unset by NaN (an empty field). */
  setSpeculativeParameter(field: string, value: number | string): void;
  setSpeculativeSampling(patch: Partial<SpeculativeSampling>): void;
  setSpeculativeModel(role: SpeculativeModelRole, ref: ModelRef): void;
  /** The Model tab's model for `role`, pinned to its files (or a note saying why it cannot be). */
  chooseWorkbenchModel(role: SpeculativeModelRole): Promise<void>;
  /** Default refs that pin nothing yet take the hashes of the Shapes models the page knows loaded. */
  pinSpeculativeModels(): void;
  runSpeculative(): Promise<void>;
  /** While paused: one round. Otherwise starts a paused run, then steps once. */
  stepSpeculative(): Promise<void>;
  pauseSpeculative(): Promise<void>;
  resumeSpeculative(): Promise<void>;
  stopSpeculative(): Promise<void>;
  /** Opens a link payload (`x1.…`), a `#speculative/…` hash or a full URL; false (and why) when it cannot. */
  loadSpeculativeLink(payload: string): boolean;
  /** The link payload of the current setup, or null while a field is invalid. */
  speculativeLinkPayload(): string | null;
  /** The last run's engine trace (with the setup, its link and the token pieces) as JSON, or null. */
  exportSpeculativeTrace(): string | null;
  dismissSpeculativeError(): void;
}

/** Why a run cannot start (worded for the banner), or null. */
export function speculativeRunProblem(state: AppState): string | null {
  const { speculative, gpu } = state;
  if (gpu.status !== 'ready')
    return 'The GPU is not ready: wait for the worker to connect (or reconnect it).';
  const problems = Object.values(setupProblems(speculative.setup));
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    return `Run refused: ${problems[0]}${more}. Fix the highlighted field${problems.length > 1 ? 's' : ''} first.`;
  }
  const { target, draft } = speculative.setup.models;
  const roles: [SpeculativeModelRole, ModelRef][] = [
    ['target', target],
    ['draft', draft],
  ];
  for (const [role, ref] of roles) {
    if (role === 'draft' && !needsDraft(speculative.setup.method)) continue;
    const available = modelAvailability(ref, state.shapes, state.model);
    // Default models the page has not loaded are loaded by the worker for the run.
    if (ref.source === 'default' && isShapesModel(ref.id) && available.status === 'loading') continue;
    if (available.status !== 'ready') return `Run refused: the ${role} model ${available.message}`;
  }
  return null;
}

const needsDraft = (method: SpeculativeSetupMethod) =>
  method.name !== 'prompt-lookup' && method.name !== 'aded';

function withMethod(current: SpeculativeSetupMethod, name: SpeculativeMethodName): SpeculativeSetupMethod {
  const next: SpeculativeSetupMethod = { ...METHOD_DEFAULTS[name] };
  if ('draftLength' in current && 'draftLength' in next) next.draftLength = current.draftLength;
  return next;
}

function withParameter(
  method: SpeculativeSetupMethod,
  field: string,
  value: number | string,
): SpeculativeSetupMethod {
  const known =
    field === 'rho' ? method.name === 'spectr' : field !== 'name' && field in METHOD_DEFAULTS[method.name];
  if (!known) return method;
  if (field === 'rho' && typeof value === 'number' && Number.isNaN(value)) {
    const { rho: _unset, ...rest } = method as Extract<SpeculativeSetupMethod, { name: 'spectr' }>;
    return rest;
  }
  return { ...method, [field]: value } as SpeculativeSetupMethod;
}

export function createSpeculativeSlice(deps: StoreDeps): StateCreator<AppState, [], [], SpeculativeSlice> {
  return (set, get) => {
    const setSpeculative = (patch: (s: SpeculativeState) => Partial<SpeculativeState>) =>
      set((s) => ({ speculative: { ...s.speculative, ...patch(s.speculative) } }));
    const editSetup = (change: (setup: SpeculativeSetup) => SpeculativeSetup) =>
      setSpeculative((s) => {
        const setup = change(s.setup);
        return setup === s.setup ? {} : { setup };
      });
    const fail = (cause: unknown) => setSpeculative(() => ({ error: errorOf(cause).message }));
    /** Pins default refs to the files the run loaded (a link then reproduces it). */
    const pinToRun = (target: Record<string, string>, draft: Record<string, string> | null) =>
      editSetup((setup) => {
        const models = {
          target: pinRef(setup.models.target, target),
          draft: pinRef(setup.models.draft, draft),
        };
        return models.target === setup.models.target && models.draft === setup.models.draft ? setup : { ...setup, models }; // prettier-ignore
      });

    async function sendStop(): Promise<void> {
      try {
        await deps.client().request({ type: 'stopSpeculative' });
      } catch (cause) {
        setSpeculative(() => ({ stopping: false }));
        fail(cause);
      }
    }

    async function start(paused: boolean, stepOnStart: boolean): Promise<void> {
      if (isSpeculativeActive(get().speculative.status)) return;
      get().pinSpeculativeModels();
      const problem = speculativeRunProblem(get());
      if (problem) {
        setSpeculative(() => ({ error: problem }));
        return;
      }
      const previous = get().speculative.status;
      const setup = structuredClone(get().speculative.setup);
      let started = false;
      setSpeculative(() => ({
        status: 'starting',
        stopping: false,
        error: null,
        linkError: null,
        loading: null,
      }));
      try {
        const ended = await deps.client().request(
          { type: 'startSpeculative', setup, paused },
          {
            onProgress: (event) => {
              setSpeculative((s) => applySpeculativeEvent(s, event, { setup, paused }));
              if (event.type !== 'speculativeStarted') return;
              started = true;
              pinToRun(event.target.fileHashes, event.draft?.fileHashes ?? null);
              // A Stop pressed before the run existed is sent now (the worker would not have seen it).
              if (get().speculative.stopping) void sendStop();
              else if (stepOnStart) void get().stepSpeculative();
            },
          },
        );
        setSpeculative((s) => applySpeculativeEvent(s, ended));
      } catch (cause) {
        const message = errorOf(cause).message;
        if (started) setSpeculative(() => ({ status: 'error', stopping: false, loading: null, error: message }));
        else setSpeculative(() => ({ status: previous, stopping: false, loading: null, error: `Run refused: ${message}` })); // prettier-ignore
      }
    }

    /** Immediate steering requests; `apply` runs when the worker says it took effect. */
    async function steer(
      type: 'pauseSpeculative' | 'resumeSpeculative',
      from: SpeculativeState['status'],
      to: SpeculativeState['status'],
    ): Promise<void> {
      if (get().speculative.status !== from) return;
      try {
        const reply = await deps.client().request({ type });
        const tookEffect = 'wasRunning' in reply ? reply.wasRunning : reply.wasPaused;
        if (tookEffect) setSpeculative((s) => (s.status === from ? { status: to } : {}));
      } catch (cause) {
        fail(cause);
      }
    }

    return {
      speculative: initialSpeculativeState(),

      setSpeculativePrompt: (prompt) => editSetup((s) => ({ ...s, prompt })),
      setSpeculativeSeed: (seed) => editSetup((s) => ({ ...s, seed })),
      setSpeculativeMaxTokens: (maxTokens) => editSetup((s) => ({ ...s, maxTokens })),
      setSpeculativeMethod: (name) =>
        editSetup((s) => (s.method.name === name ? s : { ...s, method: withMethod(s.method, name) })),
      setSpeculativeParameter: (field, value) =>
        editSetup((s) => {
          const method = withParameter(s.method, field, value);
          return method === s.method ? s : { ...s, method };
        }),
      setSpeculativeSampling: (patch) => editSetup((s) => ({ ...s, sampling: { ...s.sampling, ...patch } })),

      setSpeculativeModel(role, ref) {
        editSetup((s) => ({ ...s, models: { ...s.models, [role]: ref } }));
        setSpeculative((s) => ({ modelNotes: { ...s.modelNotes, [role]: undefined } }));
        get().pinSpeculativeModels();
      },

      async chooseWorkbenchModel(role) {
        try {
          const { ref, problem } = await deps.client().request({ type: 'describeWorkbenchModel' });
          if (!ref) {
            setSpeculative((s) => ({ modelNotes: { ...s.modelNotes, [role]: problem ?? 'The Model tab has no model.' } })); // prettier-ignore
            return;
          }
          get().setSpeculativeModel(role, ref);
        } catch (cause) {
          fail(cause);
        }
      },

      pinSpeculativeModels() {
        const { shapes } = get();
        const hashes = (ref: ModelRef) => {
          if (ref.source !== 'default' || !isShapesModel(ref.id)) return null;
          const slot = shapes.models[ref.id];
          return slot.status === 'ready' ? (slot.card?.fileHashes ?? null) : null;
        };
        editSetup((setup) => {
          const { target, draft } = setup.models;
          const models = { target: pinRef(target, hashes(target)), draft: pinRef(draft, hashes(draft)) };
          return models.target === target && models.draft === draft ? setup : { ...setup, models };
        });
      },

      runSpeculative: () => start(false, false),

      async stepSpeculative() {
        const { status } = get().speculative;
        if (status === 'paused') {
          try {
            await deps.client().request({ type: 'stepSpeculative' });
          } catch (cause) {
            fail(cause);
          }
        } else if (!isSpeculativeActive(status)) await start(true, true);
      },

      pauseSpeculative: () => steer('pauseSpeculative', 'running', 'paused'),
      resumeSpeculative: () => steer('resumeSpeculative', 'paused', 'running'),

      async stopSpeculative() {
        const { status } = get().speculative;
        if (!isSpeculativeActive(status)) return;
        setSpeculative(() => ({ stopping: true }));
        // Before speculativeStarted the worker has no run to stop yet: start() sends it then.
        if (status !== 'starting') await sendStop();
      },

      loadSpeculativeLink(payload) {
        const result = decodeSpeculativeLink(payload, engineSetupCheck);
        if (!result.ok) {
          const { message, details } = result.error;
          const more = details.length > 1 ? ` Also: ${details.slice(1, 4).join('; ')}${details.length > 4 ? '; …' : ''}` : ''; // prettier-ignore
          const text = /[.!?]$/.test(message) ? message : `${message}.`;
          setSpeculative(() => ({ linkError: `${text}${more} Nothing was changed or run.` }));
          return false;
        }
        setSpeculative(() => ({ setup: result.setup, linkError: null, error: null, modelNotes: {} }));
        return true;
      },

      speculativeLinkPayload() {
        const { setup } = get().speculative;
        if (Object.keys(setupProblems(setup)).length > 0) return null;
        try {
          return encodeSpeculativeLink(setup, engineSetupCheck);
        } catch {
          return null;
        }
      },

      exportSpeculativeTrace() {
        const { trace, run, pieces } = get().speculative;
        if (!trace || !run) return null;
        let link: string | null = null;
        try {
          link = encodeSpeculativeLink(run.setup, engineSetupCheck);
        } catch {
          link = null;
        }
        const ids = new Set<number>([...run.promptTokens, ...trace.speculative.tokens, ...(trace.baseline?.tokens.map((t) => t.id) ?? [])]); // prettier-ignore
        for (const round of trace.speculative.rounds) for (const token of round.tokens) ids.add(token.id);
        const usedPieces = Object.fromEntries(
          [...ids].sort((a, b) => a - b).map((id) => [id, pieces[id] ?? null]),
        );
        // NaN ratios (nothing measured yet) are written as null, as JSON has no NaN.
        const file = { format: 'logitlab-speculative-trace', version: 1, link: link && `#speculative/${link}`, setup: run.setup, models: { target: run.target, draft: run.draft }, promptPieces: run.promptPieces, pieces: usedPieces, trace }; // prettier-ignore
        return JSON.stringify(file, null, 2);
      },

      dismissSpeculativeError: () => setSpeculative(() => ({ error: null, linkError: null })),
    };
  };
}
