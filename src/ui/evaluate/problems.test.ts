// Config problems go under the field that edits their path; the rest stay in the list by Run.
import { describe, expect, it } from 'vitest';
import { defaultEvaluationConfig, validateEvaluationConfig, type EvaluationConfig } from '../../evaluate';
import { placeProblems, splitProblem } from './problems';

const problemsOf = (config: EvaluationConfig) => {
  const validation = validateEvaluationConfig(config);
  return validation.ok ? [] : validation.issues;
};

describe('config problems', () => {
  it('split into the path and the message', () => {
    expect(splitProblem('benchmarks.pope.scenes: 0 is below the minimum 1')).toEqual({
      path: 'benchmarks.pope.scenes',
      message: '0 is below the minimum 1',
    });
    expect(splitProblem('lanes[1].method.alpha: x: y')).toEqual({ path: 'lanes[1].method.alpha', message: 'x: y' }); // prettier-ignore
    expect(splitProblem('(top level): could not be read')).toEqual({ path: '', message: '(top level): could not be read' }); // prettier-ignore
  });

  it("go to the schema's fields when the field is on screen, else to the list", () => {
    const config = defaultEvaluationConfig();
    config.benchmarks.pope!.scenes = 0;
    config.lanes[1].method = { ...config.lanes[1].method, alpha: -3 } as never;
    config.sweep = { lane: 'vcd', parameter: 'alpha', values: [0, Number.NaN] };
    const placed = placeProblems(config, problemsOf(config));
    expect(placed.byField).toEqual(
      new Map([
        ['lanes[1].method.alpha', '-3 is below the minimum 0 (VCD alpha allows 0 to 5)'],
        ['benchmarks.pope.scenes', '0 is below the minimum 1 (POPE scenes allows integers 1 to 10000)'],
        ['sweep.values', expect.stringMatching(/NaN/)],
      ]),
    );
    expect(placed.unplaced).toEqual([]);

    const none = { ...defaultEvaluationConfig(), benchmarks: {} };
    expect(placeProblems(none, problemsOf(none))).toEqual({
      byField: new Map(),
      unplaced: ['benchmarks: no benchmark to run: add pope, chair or both'],
    });
  });
});
