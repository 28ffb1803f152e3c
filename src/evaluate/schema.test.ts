// The evaluation config schema: defaults filled in, round trips, sweeps expanded in place, and every
// refusal names the field, the value and what to do.
import { describe, expect, it } from 'vitest';
import { defaultLane, METHOD_NAMES } from '../share/methods';
import { POPE_SPLITS } from '../world';
import { defaultEvaluationConfig, EVALUATION_DEFAULTS, type EvaluationConfig } from './config';
import { validateEvaluationConfig } from './schema';
import { expandLanes } from './sweep';

const minimal = {
  version: 1,
  models: { main: { source: 'default', id: 'shapes-vlm', sha256: {} } },
  lanes: [defaultLane('plain', 'greedy')],
  benchmarks: { pope: { scenes: 10 } },
};

function issues(value: unknown): string[] {
  const result = validateEvaluationConfig(value);
  if (result.ok) throw new Error('expected the config to be refused');
  return result.issues;
}

function valid(value: unknown): EvaluationConfig {
  const result = validateEvaluationConfig(value);
  if (!result.ok) throw new Error(result.issues.join('\n'));
  return result.config;
}

describe('evaluation config schema', () => {
  it('fills in the defaults of a minimal config, and a filled config validates to itself', () => {
    const config = valid(minimal);
    expect(config).toMatchObject({
      seed: EVALUATION_DEFAULTS.seed,
      trainingSeed: EVALUATION_DEFAULTS.trainingSeed,
      decodeSeed: 0,
      dataset: { kind: 'shapes' },
      bootstrap: { resamples: 1000, seed: 0, confidence: 0.95 },
      benchmarks: { pope: { splits: [...POPE_SPLITS], scenes: 10, questionsPerScene: 3, maxTokens: 3 } },
    });
    expect(valid(config)).toEqual(config);
    expect(valid(JSON.parse(JSON.stringify(defaultEvaluationConfig())))).toEqual(defaultEvaluationConfig());
  });

  it('takes any catalog method in a lane, validated as the Decode schema validates it', () => {
    const every = METHOD_NAMES.map((method, i) => defaultLane(method, `lane-${i + 1}`));
    const amateur = { source: 'default', id: 'shapes-amateur', sha256: {} };
    expect(valid({ ...minimal, models: { ...minimal.models, amateur }, lanes: every }).lanes).toEqual(every);
    const lanes = [defaultLane('plain', 'a')];
    expect(
      issues({
        ...minimal,
        lanes: [{ ...lanes[0], method: { method: 'vcd', alpha: 9, beta: 0.1, noiseStep: 500 } }],
      }),
    ).toEqual(['lanes[0].method.alpha: 9 is above the maximum 5 (VCD alpha allows 0 to 5)']);
    expect(issues({ ...minimal, lanes: [{ ...lanes[0], method: { method: 'beam' } }] })[0]).toMatch(
      /lanes\[0\]\.method\.method: "beam" is unknown; expected one of plain, cd, vcd/,
    );
  });

  it('refuses duplicate lane ids, an amateur method without an amateur, and no benchmark', () => {
    expect(issues({ ...minimal, lanes: [defaultLane('plain', 'x'), defaultLane('vcd', 'x')] })).toEqual([
      'lanes[1].id: "x" is already the id of lanes[0]; lane ids must be unique',
    ]);
    expect(issues({ ...minimal, lanes: [defaultLane('cd', 'x')] })[0]).toMatch(
      /lanes\[0\]\.method\.method: CD contrasts against an amateur model, but models.amateur is missing/,
    );
    expect(issues({ ...minimal, benchmarks: {} })).toEqual([
      'benchmarks: no benchmark to run: add pope, chair or both',
    ]);
  });

  it('refuses unknown fields, repeated splits, bad counts and seeds that replay training draws', () => {
    expect(issues({ ...minimal, extra: 1 })).toEqual(['(top level): unknown field "extra"']);
    expect(
      issues({ ...minimal, benchmarks: { pope: { scenes: 10, splits: ['random', 'random'] } } }),
    ).toEqual(['benchmarks.pope.splits[1]: "random" is listed twice']);
    expect(issues({ ...minimal, benchmarks: { pope: { scenes: 0 } } })[0]).toMatch(
      /benchmarks.pope.scenes: 0 is below the minimum 1/,
    );
    expect(issues({ ...minimal, seed: 2, trainingSeed: 1 })[0]).toMatch(
      /^seed: scene seed 2 would draw from the keys training seed 1 uses/,
    );
  });

  it('a folder dataset has POPE only and a question template with {object}', () => {
    const folder = { kind: 'folder', name: 'kitchen', annotationsSha256: 'a'.repeat(64) };
    expect(valid({ ...minimal, dataset: folder }).dataset).toEqual({
      ...folder,
      questionTemplate: 'Is there a {object} in the image?',
    });
    expect(
      issues({ ...minimal, dataset: folder, benchmarks: { pope: { scenes: 2 }, chair: { scenes: 2 } } })[0],
    ).toMatch(/^benchmarks.chair: CHAIR runs on Shapes scenes only/);
    expect(issues({ ...minimal, dataset: { ...folder, questionTemplate: 'Is it there?' } })[0]).toMatch(
      /has no "\{object\}"/,
    );
  });
});

describe('sweeps', () => {
  const sweepConfig = (
    sweep: unknown,
    lanes = [defaultLane('plain', 'greedy'), defaultLane('vcd', 'vcd')],
  ) => ({ ...minimal, lanes, sweep });

  it('replace the swept lane in place by one lane per value, ids <lane>-k', () => {
    const config = valid(sweepConfig({ lane: 'vcd', parameter: 'alpha', values: [0, 1.5, 3] }));
    const lanes = expandLanes(config);
    expect(lanes.map((l) => [l.config.id, l.sweepValue])).toEqual([
      ['greedy', null],
      ['vcd-1', 0],
      ['vcd-2', 1.5],
      ['vcd-3', 3],
    ]);
    expect(lanes.map((l) => (l.config.method as { alpha?: number }).alpha)).toEqual([undefined, 0, 1.5, 3]);
    expect(lanes[2].config.method).toEqual({ ...defaultLane('vcd').method, alpha: 1.5 });
  });

  it('sweep sampling parameters too', () => {
    const config = valid(
      sweepConfig({ lane: 'greedy', parameter: 'sampling.temperature', values: [0.5, 1] }),
    );
    expect(expandLanes(config).map((l) => [l.config.id, l.config.sampling.temperature])).toEqual([
      ['greedy-1', 0.5],
      ['greedy-2', 1],
      ['vcd', 1],
    ]);
  });

  it('refuse an unknown lane or parameter, a value out of range, and too many lanes', () => {
    expect(issues(sweepConfig({ lane: 'nope', parameter: 'alpha', values: [1] }))).toEqual([
      'sweep.lane: no lane has the id "nope"; the lanes are greedy, vcd',
    ]);
    expect(issues(sweepConfig({ lane: 'vcd', parameter: 'gamma', values: [1] }))).toEqual([
      'sweep.parameter: VCD has no numeric parameter "gamma"; sweepable ones are alpha, beta, noiseStep, sampling.temperature, sampling.topK, sampling.topP, sampling.minP',
    ]);
    expect(issues(sweepConfig({ lane: 'vcd', parameter: 'alpha', values: [1, 7] }))).toEqual([
      'sweep.values[1]: 7 is above the maximum 5 (VCD alpha allows 0 to 5)',
    ]);
    expect(issues(sweepConfig({ lane: 'vcd', parameter: 'noiseStep', values: [1.5] }))[0]).toMatch(
      /sweep.values\[0\]: 1.5 is not a whole number/,
    );
    const many = Array.from({ length: 24 }, (_, i) => i / 10);
    expect(issues(sweepConfig({ lane: 'vcd', parameter: 'alpha', values: many }))).toEqual([
      'sweep.values: the sweep makes 25 lanes; at most 24 allowed',
    ]);
    expect(
      issues(
        sweepConfig({ lane: 'vcd', parameter: 'alpha', values: [1, 2] }, [
          defaultLane('plain', 'vcd-2'),
          defaultLane('vcd', 'vcd'),
        ]),
      ),
    ).toEqual(['sweep.lane: the swept lane "vcd-2" would have the id of another lane: rename that lane']);
  });
});
