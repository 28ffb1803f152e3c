// Parameter sweeps: one lane of an evaluation becomes a lane per value of one numeric parameter
// (VCD's alpha from 0 to 3, a temperature ladder). The sweep is kept in the config (so a link stays
// short and the UI can draw metric against value) and expanded here, in place: lanes before the
// swept one keep their positions, so the baseline (the first lane) stays first unless it is itself
// swept, and then its first value is the baseline.
// Expanded ids are `<lane>-<k>` (k = 1..values): a lane id names its sampling stream, so the same
// sweep always draws the same tokens, and an example's Decode link reproduces them.
import type { LaneConfig } from '../share/experiment';
import { EXPERIMENT_LIMITS, METHODS, SAMPLING_PARAMETERS } from '../share/methods';
import { numberProblem, type NumberParameter, type ParameterSpec } from '../share/parameters';
import type { EvaluationConfig, SweepConfig } from './config';

/** A lane as the evaluation runs it, with the value the sweep gave it (null outside the sweep). */
export interface EvaluationLane {
  config: LaneConfig;
  sweepValue: number | null;
}

const SAMPLING_PREFIX = 'sampling.';

/** The spec of a sweepable parameter of `lane`, or a sentence saying why there is none. */
export function sweepParameterSpec(lane: LaneConfig, parameter: string): NumberParameter | string {
  if (parameter.startsWith(SAMPLING_PREFIX)) {
    const name = parameter.slice(SAMPLING_PREFIX.length);
    const spec = (SAMPLING_PARAMETERS as Record<string, NumberParameter | undefined>)[name];
    if (spec && Object.hasOwn(SAMPLING_PARAMETERS, name)) return spec;
    return `"${parameter}" is not a numeric sampling parameter; sweepable ones are ${Object.keys(
      SAMPLING_PARAMETERS,
    )
      .map((n) => SAMPLING_PREFIX + n)
      .join(', ')}`;
  }
  const method = METHODS[lane.method.method] as (typeof METHODS)[keyof typeof METHODS] | undefined;
  if (!method) return `lane ${lane.id} has no known method to sweep`;
  const parameters = method.parameters as Record<string, ParameterSpec>;
  const numeric = Object.values(parameters).filter((p): p is NumberParameter => p.kind === 'number');
  const spec = Object.hasOwn(parameters, parameter) ? parameters[parameter] : undefined;
  if (spec?.kind === 'number') return spec;
  const options = [
    ...numeric.map((p) => p.name),
    ...Object.keys(SAMPLING_PARAMETERS).map((n) => SAMPLING_PREFIX + n),
  ];
  return `${method.label} has no numeric parameter "${parameter}"; sweepable ones are ${options.join(', ')}`;
}

/** The lane with `parameter` set to `value` (no validation). */
function withValue(lane: LaneConfig, parameter: string, value: number, id: string): LaneConfig {
  if (parameter.startsWith(SAMPLING_PREFIX)) {
    return { ...lane, id, sampling: { ...lane.sampling, [parameter.slice(SAMPLING_PREFIX.length)]: value } };
  }
  return { ...lane, id, method: { ...lane.method, [parameter]: value } as LaneConfig['method'] };
}

export const sweptLaneId = (lane: string, k: number) => `${lane}-${k + 1}`;

/**
 * What is wrong with the sweep for these lanes, one line each, with the path it concerns
 * (`values[2]`): an unknown lane or parameter, a value out of the parameter's range, an expanded id
 * that is too long or collides with another lane.
 */
export function sweepProblems(
  lanes: readonly LaneConfig[],
  sweep: SweepConfig,
): { path: (string | number)[]; message: string }[] {
  const lane = lanes.find((l) => l.id === sweep.lane);
  if (!lane) {
    return [
      {
        path: ['lane'],
        message: `no lane has the id "${sweep.lane}"; the lanes are ${lanes.map((l) => l.id).join(', ')}`,
      },
    ];
  }
  const spec = sweepParameterSpec(lane, sweep.parameter);
  if (typeof spec === 'string') return [{ path: ['parameter'], message: spec }];
  const problems: { path: (string | number)[]; message: string }[] = [];
  const owner = METHODS[lane.method.method].label;
  sweep.values.forEach((value, k) => {
    const problem = numberProblem(
      spec,
      value,
      sweep.parameter.startsWith(SAMPLING_PREFIX) ? 'sampling' : owner,
    );
    if (problem) problems.push({ path: ['values', k], message: problem });
  });
  const others = new Set(lanes.filter((l) => l !== lane).map((l) => l.id));
  for (let k = 0; k < sweep.values.length; k++) {
    const id = sweptLaneId(lane.id, k);
    if (!EXPERIMENT_LIMITS.laneIdPattern.test(id)) {
      problems.push({
        path: ['lane'],
        message: `the swept lane ids ("${id}") would be longer than 32 characters: shorten the lane id`,
      });
      break;
    }
    if (others.has(id)) {
      problems.push({
        path: ['lane'],
        message: `the swept lane "${id}" would have the id of another lane: rename that lane`,
      });
      break;
    }
  }
  return problems;
}

/** The lanes the evaluation runs, in order: the swept lane replaced by one lane per value. */
export function expandLanes(config: Pick<EvaluationConfig, 'lanes' | 'sweep'>): EvaluationLane[] {
  const { sweep } = config;
  return config.lanes.flatMap((lane): EvaluationLane[] =>
    sweep && lane.id === sweep.lane
      ? sweep.values.map((value, k) => ({
          config: withValue(lane, sweep.parameter, value, sweptLaneId(lane.id, k)),
          sweepValue: value,
        }))
      : [{ config: lane, sweepValue: null }],
  );
}
