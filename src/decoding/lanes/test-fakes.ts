// Test doubles for the lane runner's Node unit tests: a LanguageModel that records its forwards
// and sequences (no GPU), and methods whose steps choose scripted tokens. The real methods'
// components (pure TS) are kept, so prefill sharing is tested on real inputs.
import expertConfig from '../../../public/models/shapes-expert/config.json';
import vlmConfig from '../../../public/models/shapes-vlm/config.json';
import { parseModelConfig } from '../../model/config';
import type {
  ForwardRequest,
  ForwardResult,
  LanguageModel,
  ModelCapabilities,
  SequenceId,
} from '../../model/interface';
import type { Experiment, MethodConfig, MethodName, SamplingConfig } from '../../share/experiment';
import { defaultMethodConfig, defaultSampling } from '../../share/methods';
import { decodingMethod } from '../methods';
import type {
  DecodingMethod,
  LaneStepper,
  ObservedStep,
  PendingDecision,
  StepDecision,
} from '../methods/types';

export const SHAPES_VLM_CONFIG: Record<string, unknown> = vlmConfig;
export const SHAPES_LM_CONFIG: Record<string, unknown> = expertConfig;

export interface FakeModel extends LanguageModel {
  requests: ForwardRequest[];
  lengths: Map<SequenceId, number>;
  released: SequenceId[];
  forks: [SequenceId, SequenceId][];
}

export function fakeModel(
  name: string,
  configJson: Record<string, unknown>,
  capabilities: Partial<ModelCapabilities> = {},
): FakeModel {
  const config = parseModelConfig(configJson);
  let next = 1;
  const model: FakeModel = {
    requests: [],
    lengths: new Map(),
    released: [],
    forks: [],
    info: { name, config, parameterCount: 0, dtype: 'f32', fileHashes: {}, gpuBytes: 0 },
    capabilities: {
      hiddenStates: true,
      logitLens: true,
      attention: false,
      fork: true,
      truncate: true,
      images: config.vision !== null,
      trainable: false,
      ...capabilities,
    },
    createSequence() {
      const id = next++;
      model.lengths.set(id, 0);
      return id;
    },
    sequenceLength: (sequence) => model.lengths.get(sequence) ?? 0,
    fork(sequence) {
      const id = next++;
      model.lengths.set(id, model.lengths.get(sequence)!);
      model.forks.push([sequence, id]);
      return id;
    },
    truncate: (sequence, length) => void model.lengths.set(sequence, length),
    releaseSequence(sequence) {
      if (!model.lengths.delete(sequence))
        throw new Error(`${name}: sequence ${sequence} released twice or unknown`);
      model.released.push(sequence);
    },
    async forward(request): Promise<ForwardResult> {
      model.requests.push(request);
      const rows = request.sequences.map(({ sequence, tokens }) => {
        const length = model.lengths.get(sequence);
        if (length === undefined) throw new Error(`${name}: forward of unknown sequence ${sequence}`);
        model.lengths.set(sequence, length + tokens.length);
        return { sequence, position: length + tokens.length - 1 };
      });
      return { logits: { label: `${name}:logits` } as GPUBuffer, rows };
    },
    dispose() {},
  };
  return model;
}

/** What a scripted step sees and answers; `bytes` is counted as its readback. */
export type Script = (laneId: string, observed: ObservedStep) => number | Error | { pending: number };

/** The real method's components, with a step that follows `script` (no GPU). */
export function scriptedMethods(script: Script, seen: Map<string, ObservedStep[]>, bytes = 100) {
  return (name: MethodName): DecodingMethod => {
    const real = decodingMethod(name) as DecodingMethod;
    return {
      ...real,
      async createStepper(_config, setup): Promise<LaneStepper> {
        const laneId = setup.laneId;
        const decision = (token: number): StepDecision => ({
          token,
          record: {
            components: setup.components.map((c) => ({ label: c.label, top: [], entropy: 1, chosenProbability: 0.5, chosenRank: 1 })), // prettier-ignore
            combined: { label: 'combined', top: [], entropy: 2, chosenProbability: 0.5, chosenRank: 1 },
            plausibleCount: 3,
            divergences: [],
            changedByMethod: false,
          },
        });
        return {
          async observe(observed): Promise<StepDecision | PendingDecision> {
            seen.set(laneId, [...(seen.get(laneId) ?? []), observed]);
            observed.countReadback(bytes);
            const answer = script(laneId, observed);
            if (answer instanceof Error) throw answer;
            if (typeof answer === 'number') return decision(answer);
            return {
              async decide(context) {
                const fork = context.models.main.fork(context.sequences[0]);
                await context.models.main.forward({
                  sequences: [{ sequence: fork, tokens: [answer.pending] }],
                });
                context.models.main.releaseSequence(fork);
                return decision(answer.pending);
              },
            };
          },
          dispose() {},
        };
      },
    };
  };
}

export function lane(
  id: string,
  method: MethodName,
  sampling: Partial<SamplingConfig> = {},
  params: Partial<MethodConfig> = {},
) {
  return { id, method: { ...defaultMethodConfig(method), ...params } as MethodConfig, sampling: { ...defaultSampling(), ...sampling } }; // prettier-ignore
}

export function experiment(lanes: Experiment['lanes'], overrides: Partial<Experiment> = {}): Experiment {
  return {
    version: 1,
    models: { main: { source: 'default', id: 'shapes-vlm', sha256: {} } },
    prompt: 'the picture shows',
    image: { kind: 'scene', seed: 1, index: 0 },
    seed: 7,
    maxTokens: 3,
    lanes,
    ...overrides,
  };
}
