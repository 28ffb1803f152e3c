import { describe, expect, test } from 'vitest';
import type { MethodName } from './experiment';
import {
  METHODS,
  METHOD_NAMES,
  answerWords,
  answersProblem,
  SAMPLING_PARAMETERS,
  EXPERIMENT_PARAMETERS,
  defaultExperiment,
  defaultLane,
  defaultMethodConfig,
  methodParameterList,
  nextLaneId,
} from './methods';
import { clampToRange, describeRange, numberProblem, type NumberParameter } from './parameters';
import { validateExperiment } from './schema';

const ALL_METHODS: MethodName[] = [
  'plain',
  'cd',
  'vcd',
  'icd',
  'ritual',
  'debias',
  'debias-calibrate',
  'dola',
  'lol',
  'contrastive-search',
  'speculative',
];

describe('method catalog', () => {
  test('lists every MethodName once, keyed by its own name', () => {
    expect([...METHOD_NAMES].sort()).toEqual([...ALL_METHODS].sort());
    for (const name of METHOD_NAMES) {
      expect(METHODS[name].name).toBe(name);
      expect(METHODS[name].label.length).toBeGreaterThan(0);
      expect(METHODS[name].description.length).toBeGreaterThan(20);
      if (name !== 'plain') expect(METHODS[name].paper).toMatch(/".+", .*20\d\d/);
    }
  });

  test('every parameter is keyed by its own name and its default is allowed', () => {
    for (const name of METHOD_NAMES) {
      for (const [key, spec] of Object.entries(METHODS[name].parameters)) {
        expect(spec.name, `${name}.${key}`).toBe(key);
        if (spec.kind === 'number') {
          expect(numberProblem(spec, spec.default), `${name}.${key}`).toBeNull();
          expect(spec.step).toBeGreaterThan(0);
          if (spec.integer) expect(Number.isInteger(spec.step)).toBe(true);
        } else if (spec.kind === 'choice') {
          expect(spec.choices).toContain(spec.default);
        } else {
          expect(spec.default.length).toBeLessThanOrEqual(spec.maxLength);
        }
      }
    }
    for (const spec of [...Object.values(SAMPLING_PARAMETERS), ...Object.values(EXPERIMENT_PARAMETERS)]) {
      expect(numberProblem(spec, spec.default), spec.name).toBeNull();
    }
  });

  test.each([
    ['cd', { alpha: 1, beta: 0.1 }],
    ['vcd', { alpha: 1, beta: 0.1, noiseStep: 500 }],
    ['icd', { alpha: 1, beta: 0.1 }],
    ['ritual', { alphaPos: 3, alphaNeg: 1, beta: 0.1, noiseStep: 500 }],
    ['debias', { alpha: 1, beta: 0.1 }],
    ['debias-calibrate', { answers: 'yes no', reference: 'no-image' }],
    ['dola', { alpha: 1, beta: 0.1, layers: 'high' }],
    ['contrastive-search', { k: 5, alpha: 0.6 }],
    ['speculative', { variant: 'speculative', draftLength: 4, candidates: 2, rho: 1, stopRule: 'predictor' }],
  ] as const)('%s has the paper defaults', (method, expected) => {
    expect(defaultMethodConfig(method)).toMatchObject({ method, ...expected });
  });

  test('contrastive search k is an integer from 4 to 10; noise steps span 0..999', () => {
    const k = METHODS['contrastive-search'].parameters.k;
    expect([k.min, k.max, k.integer]).toEqual([4, 10, true]);
    const t = METHODS.vcd.parameters.noiseStep;
    expect([t.min, t.max, t.integer]).toEqual([0, 999, true]);
  });

  test('needs: CD and LOL need an amateur; VCD, RITUAL, both debias an image; DoLa, LOL, CS hidden states', () => {
    const needing = (need: 'amateur' | 'image' | 'hiddenStates') =>
      METHOD_NAMES.filter((name) => METHODS[name].needs[need]).sort();
    expect(needing('amateur')).toEqual(['cd', 'lol']);
    expect(needing('image')).toEqual(['debias', 'debias-calibrate', 'ritual', 'vcd']);
    expect(needing('hiddenStates')).toEqual(['contrastive-search', 'dola', 'lol']);
  });

  test('Debias (calibrated): answers are 2 to 8 distinct words, the reference one of three inputs', () => {
    const spec = METHODS['debias-calibrate'];
    expect(spec.label).toBe('Debias (calibrated)');
    expect(spec.parameters.reference.choices).toEqual(['no-image', 'mean-colour', 'noise']);
    expect(spec.formula).toMatch(/q_k ∝ p\(k\|v,x\) \/ p\(k\|∅,x\)/);
    expect(answerWords('  yes\tno \n')).toEqual(['yes', 'no']);
    const check = (answers: string) => spec.check!({ answers, reference: 'no-image' });
    expect(check('yes no')).toEqual([]);
    expect(check('A B C D')).toEqual([]);
    expect(check('')).toEqual([
      {
        parameter: 'answers',
        message:
          '"" names 0 answers (Debias (calibrated) answers allows 2 to 8 words separated by spaces, e.g. "yes no")',
      },
    ]);
    expect(check('a b c d e f g h i')[0].message).toMatch(/names 9 answers/);
    expect(check('yes Yes')[0].message).toBe(
      '"Yes" repeats the answer "yes" (an answer reads every capitalisation of its word): name each answer once',
    );
    expect(check(`yes ${'n'.repeat(33)}`)[0].message).toMatch(
      /is 33 characters long; an answer allows at most 32/,
    );
    expect(answersProblem(5)).toBeNull();
  });

  test('methodParameterList follows catalog order', () => {
    expect(methodParameterList('ritual').map((spec) => spec.name)).toEqual([
      'alphaPos',
      'alphaNeg',
      'beta',
      'noiseStep',
    ]);
    expect(methodParameterList('plain')).toEqual([]);
  });
});

describe('defaults', () => {
  test('the default experiment is valid: greedy plain, VCD and contrastive search on scene 1', () => {
    const experiment = defaultExperiment();
    expect(validateExperiment(experiment)).toEqual({ ok: true, experiment });
    expect(experiment.lanes.map((lane) => lane.method.method)).toEqual([
      'plain',
      'vcd',
      'contrastive-search',
    ]);
    expect(experiment.lanes.every((lane) => lane.sampling.greedy)).toBe(true);
    expect(experiment).toMatchObject({ prompt: 'the picture shows', maxTokens: 24, seed: 0 });
    expect(experiment.image).toEqual({ kind: 'scene', seed: 1, index: 0 });
    expect(experiment.models.main).toEqual({ source: 'default', id: 'shapes-vlm', sha256: {} });
  });

  test('each call returns a fresh object', () => {
    const a = defaultExperiment();
    a.lanes[0].sampling.temperature = 2;
    expect(defaultExperiment().lanes[0].sampling.temperature).toBe(1);
  });

  test('defaultLane of every method validates in an experiment that has an amateur and an image', () => {
    for (const name of METHOD_NAMES) {
      const experiment = defaultExperiment();
      experiment.models.amateur = { source: 'default', id: 'shapes-amateur', sha256: {} };
      experiment.lanes = [defaultLane(name, 'lane-7')];
      expect(validateExperiment(experiment), name).toMatchObject({ ok: true });
    }
  });

  test('nextLaneId takes the first free lane-N', () => {
    expect(nextLaneId([])).toBe('lane-1');
    expect(nextLaneId([{ id: 'lane-1' }, { id: 'lane-3' }])).toBe('lane-2');
  });
});

describe('parameter ranges', () => {
  const temperature = SAMPLING_PARAMETERS.temperature;
  const minP = SAMPLING_PARAMETERS.minP;
  const alpha = METHODS.vcd.parameters.alpha;
  const noiseStep = METHODS.vcd.parameters.noiseStep;

  test('describeRange words inclusive, exclusive and integer ranges', () => {
    expect(describeRange(alpha)).toBe('0 to 5');
    expect(describeRange(noiseStep)).toBe('integers 0 to 999');
    expect(describeRange(temperature)).toBe('above 0 and at most 5');
    expect(describeRange(minP)).toBe('at least 0 and below 1');
  });

  test('numberProblem names the value, the bound and the range', () => {
    expect(numberProblem(alpha, 7, 'VCD')).toBe('7 is above the maximum 5 (VCD alpha allows 0 to 5)');
    expect(numberProblem(alpha, -0.5, 'VCD')).toBe('-0.5 is below the minimum 0 (VCD alpha allows 0 to 5)');
    expect(numberProblem(noiseStep, 2.5)).toBe(
      '2.5 is not a whole number (noiseStep allows integers 0 to 999)',
    );
    expect(numberProblem(temperature, 0)).toBe(
      '0 must be above 0 (temperature allows above 0 and at most 5)',
    );
    expect(numberProblem(minP, 1)).toBe('1 must be below 1 (minP allows at least 0 and below 1)');
    expect(numberProblem(alpha, NaN)).toBe('NaN is not a finite number (alpha allows 0 to 5)');
    expect(numberProblem(alpha, 5)).toBeNull();
    expect(numberProblem(alpha, 0.1 + 0.2)).toBeNull();
  });

  test('clampToRange always lands on an allowed value', () => {
    const specs: NumberParameter[] = [temperature, minP, alpha, noiseStep, SAMPLING_PARAMETERS.topP];
    for (const spec of specs) {
      for (const value of [-1e9, -1, 0, 0.5, 1, 2.4, 998.6, 1e9, NaN, Infinity]) {
        expect(numberProblem(spec, clampToRange(spec, value)), `${spec.name} ${value}`).toBeNull();
      }
    }
    expect(clampToRange(noiseStep, 998.6)).toBe(999);
    expect(clampToRange(alpha, 9)).toBe(5);
  });
});
