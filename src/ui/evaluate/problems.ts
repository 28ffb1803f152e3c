// Where the config's problems are shown (pure, unit-tested): a problem "benchmarks.pope.scenes: 0 is
// below the minimum 1 (…)" goes under the field that edits benchmarks.pope.scenes, in red; the ones
// no field edits (no benchmark chosen, a Decode experiment a lane group makes) are listed by Run.
import type { EvaluationConfig } from '../../evaluate';
import { methodParameterList } from '../../share/methods';

/** A problem line split into the path it is about and what is wrong ('' path: the whole config). */
export function splitProblem(line: string): { path: string; message: string } {
  const match = /^([\w.[\]]+): (.*)$/s.exec(line);
  return match ? { path: match[1], message: match[2] } : { path: '', message: line };
}

/** The paths the editors have a field for, given what the config shows. */
export function fieldPaths(config: EvaluationConfig): Set<string> {
  const paths = ['seed', 'decodeSeed', 'bootstrap.resamples'];
  config.lanes.forEach((lane, i) => {
    paths.push(`lanes[${i}].id`, `lanes[${i}].method.method`);
    for (const parameter of methodParameterList(lane.method.method))
      paths.push(`lanes[${i}].method.${parameter.name}`);
  });
  if (config.benchmarks.pope)
    paths.push('benchmarks.pope.splits', 'benchmarks.pope.scenes', 'benchmarks.pope.questionsPerScene');
  if (config.benchmarks.chair) paths.push('benchmarks.chair.scenes', 'benchmarks.chair.maxTokens');
  if (config.sweep) paths.push('sweep.lane', 'sweep.parameter', 'sweep.values');
  return new Set(paths);
}

export interface PlacedProblems {
  /** Field path → its first problem, for the fields on screen. */
  byField: Map<string, string>;
  /** Whole lines of the problems no field shows. */
  unplaced: string[];
}

/** Sorts the problems into those a field shows and the rest. */
export function placeProblems(config: EvaluationConfig, problems: readonly string[]): PlacedProblems {
  const fields = fieldPaths(config);
  const byField = new Map<string, string>();
  const unplaced: string[] = [];
  for (const line of problems) {
    const { path, message } = splitProblem(line);
    // A problem inside a field's value (sweep.values[2]) belongs to that field.
    const field = [...fields].find((f) => path === f || path.startsWith(`${f}[`) || path.startsWith(`${f}.`));
    if (field === undefined) unplaced.push(line);
    else if (!byField.has(field)) byField.set(field, message);
  }
  return { byField, unplaced };
}
