// Editing a Decode experiment, and what is wrong with it (pure, unit-tested). Values are stored as
// typed, even out of range: the field shows the problem and Run is refused until it is fixed, so a
// number is never silently clamped into something the user did not ask for. Every range comes from
// the method catalog (src/share/methods.ts); problems are keyed by the schema's paths
// ("lanes[1].method.alpha"), the same wording the link validator uses.
import type { Experiment, LaneConfig, MethodName, ModelRef, SamplingConfig } from '../share/experiment';
import { MAX_LANES } from '../share/experiment';
import { amateurInUse, speculativeLaneProblems } from '../decoding/methods/speculative-config';
import {
  EXPERIMENT_LIMITS,
  EXPERIMENT_PARAMETERS,
  METHODS,
  SAMPLING_PARAMETERS,
  defaultLane,
  defaultMethodConfig,
  methodParameterList,
  nextLaneId,
} from '../share/methods';
import { describeRange, numberProblem, type NumberParameter } from '../share/parameters';

/** Field path → what is wrong with its value. Empty when the experiment can run. */
export type FieldProblems = Record<string, string>;

/** The schema-style path of a lane field: `lanes[1].method.alpha`, `lanes[0].sampling.topP`. */
export const lanePath = (index: number, group: 'method' | 'sampling', name?: string): string =>
  `lanes[${index}].${group}${name ? `.${name}` : ''}`;

function checkNumber(
  problems: FieldProblems,
  path: string,
  spec: NumberParameter,
  value: unknown,
  owner?: string,
) {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    problems[path] = `enter a number (${owner ? `${owner} ` : ''}${spec.name} allows ${describeRange(spec)})`;
    return;
  }
  const problem = numberProblem(spec, value, owner);
  if (problem) problems[path] = problem;
}

/** Every problem that blocks Run (and a share link), keyed by field path. */
export function experimentProblems(experiment: Experiment): FieldProblems {
  const problems: FieldProblems = {};
  const { lanes } = experiment;
  if (experiment.prompt.length > EXPERIMENT_LIMITS.promptChars) {
    problems.prompt = `is ${experiment.prompt.length} characters long; at most ${EXPERIMENT_LIMITS.promptChars} allowed`;
  }
  checkNumber(problems, 'seed', EXPERIMENT_PARAMETERS.seed, experiment.seed);
  checkNumber(problems, 'maxTokens', EXPERIMENT_PARAMETERS.maxTokens, experiment.maxTokens);
  if (experiment.image?.kind === 'scene') {
    checkNumber(problems, 'image.seed', EXPERIMENT_PARAMETERS.sceneSeed, experiment.image.seed);
    checkNumber(problems, 'image.index', EXPERIMENT_PARAMETERS.sceneIndex, experiment.image.index);
  }
  if (lanes.length < 1 || lanes.length > MAX_LANES) {
    problems.lanes = `has ${lanes.length} lanes; 1 to ${MAX_LANES} allowed`;
  }
  lanes.forEach((lane, index) => {
    const spec = METHODS[lane.method.method];
    const values = lane.method as unknown as Record<string, unknown>;
    for (const parameter of methodParameterList(lane.method.method)) {
      const path = lanePath(index, 'method', parameter.name);
      const value = values[parameter.name];
      if (parameter.kind === 'number') checkNumber(problems, path, parameter, value, spec.label);
      else if (parameter.kind === 'choice' && !parameter.choices.includes(value as string)) {
        problems[path] = `${String(value)} is not one of ${parameter.choices.join(', ')}`;
      } else if (
        parameter.kind === 'text' &&
        typeof value === 'string' &&
        value.length > parameter.maxLength
      ) {
        problems[path] = `is ${value.length} characters long; at most ${parameter.maxLength} allowed`;
      }
    }
    // Cross-field rules of a method (e.g. Debias (calibrated)'s answer words), under their field.
    for (const p of spec.check?.(lane.method as never) ?? []) {
      problems[lanePath(index, 'method', p.parameter)] ??= p.message;
    }
    for (const parameter of Object.values(SAMPLING_PARAMETERS)) {
      const value = lane.sampling[parameter.name as keyof SamplingConfig];
      checkNumber(problems, lanePath(index, 'sampling', parameter.name), parameter, value, 'sampling');
    }
    // The speculative engine's own refusals (a missing draft, SpecTr's rho above k, filters).
    const prefix = `lanes[${index}].`;
    const fieldProblems = Object.keys(problems).some((path) => path.startsWith(prefix));
    const refused = speculativeLaneProblems(lane, experiment, fieldProblems);
    if (refused.length > 0) problems[lanePath(index, 'method')] ??= refused.join('; ');
    if (spec.needs.amateur && !experiment.models.amateur) {
      problems[lanePath(index, 'method')] =
        `${spec.label} contrasts against an amateur model: choose one under Models`;
    } else if (spec.needs.image && !experiment.image) {
      problems[lanePath(index, 'method')] =
        `${spec.label} contrasts views of the image: choose a scene or upload an image`;
    }
  });
  return problems;
}

/** Whether a lane uses the amateur model (CD, LOL). */
export function usesAmateur(experiment: Experiment): boolean {
  return amateurInUse(experiment).contrast;
}

// ---- edits (each returns a new experiment; an edit that cannot apply returns the same object) ----

const withLanes = (experiment: Experiment, lanes: LaneConfig[]): Experiment => ({ ...experiment, lanes });

function mapLane(experiment: Experiment, index: number, edit: (lane: LaneConfig) => LaneConfig): Experiment {
  if (index < 0 || index >= experiment.lanes.length) return experiment;
  return withLanes(
    experiment,
    experiment.lanes.map((lane, i) => (i === index ? edit(lane) : lane)),
  );
}

/** A new greedy plain lane at the end (up to MAX_LANES). */
export function addLane(experiment: Experiment, method: MethodName = 'plain'): Experiment {
  if (experiment.lanes.length >= MAX_LANES) return experiment;
  return withLanes(experiment, [...experiment.lanes, defaultLane(method, nextLaneId(experiment.lanes))]);
}

/** Removes a lane; the last one stays (an experiment has at least one lane). */
export function removeLane(experiment: Experiment, index: number): Experiment {
  if (experiment.lanes.length <= 1 || index < 0 || index >= experiment.lanes.length) return experiment;
  return withLanes(
    experiment,
    experiment.lanes.filter((_, i) => i !== index),
  );
}

/** A copy of a lane (method, parameters and sampling) with a fresh id, right after it. */
export function duplicateLane(experiment: Experiment, index: number): Experiment {
  const lane = experiment.lanes[index];
  if (!lane || experiment.lanes.length >= MAX_LANES) return experiment;
  const copy: LaneConfig = {
    id: nextLaneId(experiment.lanes),
    method: { ...lane.method },
    sampling: { ...lane.sampling },
  };
  return withLanes(experiment, [
    ...experiment.lanes.slice(0, index + 1),
    copy,
    ...experiment.lanes.slice(index + 1),
  ]);
}

/** Switches a lane's method; its parameters start at the paper defaults of the new method. */
export function setLaneMethod(experiment: Experiment, index: number, method: MethodName): Experiment {
  return mapLane(experiment, index, (lane) =>
    lane.method.method === method ? lane : { ...lane, method: defaultMethodConfig(method) },
  );
}

/** One method parameter, stored as given (a number field passes NaN for text that is no number). */
export function setLaneParameter(
  experiment: Experiment,
  index: number,
  name: string,
  value: number | string,
): Experiment {
  return mapLane(experiment, index, (lane) => {
    const known = methodParameterList(lane.method.method).some((p) => p.name === name);
    return known ? { ...lane, method: { ...lane.method, [name]: value } as LaneConfig['method'] } : lane;
  });
}

export function setLaneSampling(
  experiment: Experiment,
  index: number,
  patch: Partial<SamplingConfig>,
): Experiment {
  return mapLane(experiment, index, (lane) => ({ ...lane, sampling: { ...lane.sampling, ...patch } }));
}

/** Pins a 'default' ref that pins nothing yet to the hashes of the files that were loaded. */
export function pinModel(ref: ModelRef, loadedHashes: Record<string, string> | null): ModelRef {
  if (ref.source !== 'default' || !loadedHashes || Object.keys(ref.sha256).length > 0) return ref;
  return { ...ref, sha256: { ...loadedHashes } };
}
