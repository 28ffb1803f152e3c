import { describe, expect, test } from 'vitest';
import type { Experiment } from './experiment';
import { formatIssues, formatPath } from './issues';
import { defaultExperiment, defaultLane, defaultMethodConfig } from './methods';
import { experimentSchema, validateExperiment } from './schema';

/** The validation lines for a copy of the default experiment edited by `edit`. */
function problems(edit: (experiment: Record<string, unknown> & Experiment) => void): string[] {
  const experiment = defaultExperiment() as Record<string, unknown> & Experiment;
  edit(experiment);
  const result = validateExperiment(experiment);
  if (result.ok) throw new Error('expected the edited experiment to be invalid');
  return result.issues;
}

const HASH = 'a'.repeat(64);

describe('experiment schema', () => {
  test('a parameter out of range names the lane, the parameter, the value and the range', () => {
    expect(problems((e) => ((e.lanes[1].method as { alpha: number }).alpha = 7))).toEqual([
      'lanes[1].method.alpha: 7 is above the maximum 5 (VCD alpha allows 0 to 5)',
    ]);
    expect(problems((e) => ((e.lanes[1].method as { noiseStep: number }).noiseStep = 1000))).toEqual([
      'lanes[1].method.noiseStep: 1000 is above the maximum 999 (VCD noiseStep allows integers 0 to 999)',
    ]);
    expect(problems((e) => ((e.lanes[2].method as { k: number }).k = 3))).toEqual([
      'lanes[2].method.k: 3 is below the minimum 4 (Contrastive search k allows integers 4 to 10)',
    ]);
    expect(problems((e) => (e.lanes[0].sampling.temperature = 0))).toEqual([
      'lanes[0].sampling.temperature: 0 must be above 0 (sampling temperature allows above 0 and at most 5)',
    ]);
    expect(problems((e) => (e.maxTokens = 513))).toEqual([
      'maxTokens: 513 is above the maximum 512 (maxTokens allows integers 1 to 512)',
    ]);
  });

  test("Debias (calibrated): the answers' words and the reference are checked, old links still decode", () => {
    const calibrated = (method: Record<string, unknown>) => (e: Experiment) =>
      (e.lanes[0] = { ...defaultLane('debias-calibrate', 'lane-1'), method: { ...defaultLane('debias-calibrate').method, ...method } } as never); // prettier-ignore
    expect(problems(calibrated({ answers: 'yes' }))).toEqual([
      'lanes[0].method.answers: "yes" names 1 answer (Debias (calibrated) answers allows 2 to 8 words separated by spaces, e.g. "yes no")',
    ]);
    expect(problems(calibrated({ answers: 'no No' }))).toEqual([
      'lanes[0].method.answers: "No" repeats the answer "no" (an answer reads every capitalisation of its word): name each answer once',
    ]);
    expect(problems(calibrated({ answers: 'y'.repeat(101) }))).toEqual([
      'lanes[0].method.answers: is 101 characters long; at most 100 allowed',
    ]);
    expect(problems(calibrated({ reference: 'black' }))[0]).toMatch(
      /^lanes\[0\]\.method\.reference: "black" is not one of/,
    );
    expect(problems(calibrated({ answers: 3 }))).toEqual([
      'lanes[0].method.answers: expected a string, got 3',
    ]);
    expect(problems(calibrated({ alpha: 1 }))).toEqual(['lanes[0].method: unknown field "alpha"']);
    const experiment = defaultExperiment();
    experiment.lanes.push({ ...defaultLane('debias-calibrate', 'lane-4'), method: { method: 'debias-calibrate', answers: 'A B C D', reference: 'noise' } }); // prettier-ignore
    expect(validateExperiment(experiment)).toEqual({ ok: true, experiment });
  });

  test('unknown fields are refused at every level', () => {
    expect(problems((e) => (e.colour = 'red'))).toEqual(['(top level): unknown field "colour"']);
    expect(problems((e) => ((e.lanes[0].method as Record<string, unknown>).alpha = 1))).toEqual([
      'lanes[0].method: unknown field "alpha"',
    ]);
    expect(
      problems((e) => ((e.lanes[0].sampling as unknown as Record<string, unknown>).typicalP = 0.9)),
    ).toEqual(['lanes[0].sampling: unknown field "typicalP"']);
  });

  test('wrong types and missing fields say what was expected and what came', () => {
    expect(problems((e) => (e.seed = '42' as unknown as number))).toEqual([
      'seed: expected a number, got "42"',
    ]);
    expect(problems((e) => delete (e as Partial<Experiment>).prompt)).toEqual([
      'prompt: is missing (expected a string)',
    ]);
    expect(problems((e) => (e.lanes[0].method = { method: 'beam' } as never))).toEqual([
      'lanes[0].method.method: "beam" is unknown; expected one of plain, cd, vcd, icd, ritual, debias, debias-calibrate, dola, lol, contrastive-search, speculative',
    ]);
    expect(problems((e) => (e.version = 2 as 1))).toEqual(['version: 2 is not one of 1']);
    expect(problems((e) => ((e.lanes[1].method as { layers: string }).layers = 'x'))).toEqual([
      'lanes[1].method: unknown field "layers"',
    ]);
  });

  test('Speculative: the variant and every parameter are checked; the draft is not a schema need', () => {
    const speculative = (method: Record<string, unknown>) => (e: Experiment) =>
      (e.lanes[0] = { ...defaultLane('speculative', 'lane-1'), method: { ...defaultLane('speculative').method, ...method } } as never); // prettier-ignore
    expect(problems(speculative({ draftLength: 17 }))).toEqual([
      'lanes[0].method.draftLength: 17 is above the maximum 16 (Speculative (draft → verify) draftLength allows integers 1 to 16)',
    ]);
    expect(problems(speculative({ variant: 'medusa' }))).toEqual([
      'lanes[0].method.variant: "medusa" is not one of "speculative", "spectr", "specdecpp", "prompt-lookup", "aded", "entropy-switch", "foreal", "judge"',
    ]);
    expect(problems(speculative({ rho: undefined }))).toEqual([
      'lanes[0].method.rho: is missing (expected a number)',
    ]);
    // Without an amateur the link is still an experiment: the lane refuses to run (src/decoding/methods/speculative.ts).
    const experiment = defaultExperiment();
    experiment.lanes.push({ ...defaultLane('speculative', 'lane-4'), method: { ...defaultMethodConfig('speculative'), variant: 'spectr', candidates: 3, rho: 2.5 } }); // prettier-ignore
    expect(validateExperiment(experiment)).toEqual({ ok: true, experiment });
  });

  test('sha256 values are 64 lowercase hex digits; "__proto__" is not a file name', () => {
    expect(problems((e) => (e.models.main.sha256 = { 'model.safetensors': 'ABC' }))).toEqual([
      'models.main.sha256["model.safetensors"]: "ABC" is not a SHA-256 (64 lowercase hex digits)',
    ]);
    const proto = JSON.parse(`{"__proto__": "${HASH}"}`) as Record<string, string>;
    expect(problems((e) => (e.models.main.sha256 = proto))).toEqual([
      'models.main.sha256.__proto__: "__proto__" is not allowed as a name',
    ]);
    expect(
      problems((e) => (e.image = { kind: 'upload', sha256: HASH.toUpperCase(), name: 'cat.png' })),
    ).toHaveLength(1);
  });

  test('lanes: 1 to 6, unique ids, well-formed ids', () => {
    expect(problems((e) => (e.lanes = []))).toEqual(['lanes: has 0 entries; at least 1 allowed']);
    expect(
      problems((e) => (e.lanes = Array.from({ length: 7 }, (_, i) => defaultLane('plain', `l${i}`)))),
    ).toEqual(['lanes: has 7 entries; at most 6 allowed']);
    expect(problems((e) => (e.lanes[2].id = 'lane-1'))).toEqual([
      'lanes[2].id: "lane-1" is already the id of lanes[0]; lane ids must be unique',
    ]);
    expect(problems((e) => (e.lanes[0].id = 'has space'))[0]).toMatch(
      /^lanes\[0\]\.id: "has space" is not a lane id/,
    );
  });

  test('methods that need an amateur model or an image are refused without one', () => {
    expect(problems((e) => (e.lanes[0] = defaultLane('cd', 'lane-1')))).toEqual([
      'lanes[0].method.method: CD contrasts against an amateur model, but models.amateur is missing: add one or pick another method',
    ]);
    expect(problems((e) => (e.lanes[0] = defaultLane('lol', 'lane-1')))[0]).toMatch(
      /LOL contrasts against an amateur/,
    );
    expect(problems((e) => (e.image = null))).toEqual([
      'lanes[1].method.method: VCD needs an image, but image is null: choose a scene or upload one, or pick another method',
    ]);
  });

  test('model ids must fit their source', () => {
    expect(problems((e) => (e.models.main = { source: 'hub', id: 'gpt2', sha256: {} }))).toEqual([
      'models.main.id: "gpt2" is not a Hugging Face repo id ("owner/name")',
    ]);
    expect(
      problems((e) => (e.models.main = { source: 'url', id: 'javascript:alert(1)', sha256: {} })),
    ).toEqual(['models.main.id: "javascript:alert(1)" is not an http(s) URL']);
    expect(problems((e) => (e.models.main.id = '../etc'))[0]).toMatch(/is not a default model folder name/);
  });

  test('long values are quoted short and the prompt length is limited', () => {
    expect(problems((e) => (e.prompt = 'p'.repeat(4001)))).toEqual([
      'prompt: is 4001 characters long; at most 4000 allowed',
    ]);
    expect(problems((e) => (e.seed = 'q'.repeat(100) as unknown as number))).toEqual([
      `seed: expected a number, got "${'q'.repeat(37)}..."`,
    ]);
  });

  test('non-objects are refused with a message', () => {
    for (const value of [null, 42, 'x', [], undefined]) {
      const result = validateExperiment(value);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.issues[0]).toMatch(/^\(top level\): (expected an object|is missing)/);
    }
  });
});

describe('formatIssues and formatPath', () => {
  test('paths use brackets for indices and odd keys', () => {
    expect(formatPath(['lanes', 1, 'method', 'alpha'])).toBe('lanes[1].method.alpha');
    expect(formatPath(['sha256', 'a.b'])).toBe('sha256["a.b"]');
    expect(formatPath([], 'trace')).toBe('trace');
    expect(formatPath([0, 'x'], 'trace')).toBe('trace[0].x');
  });

  test('the number of lines is limited', () => {
    const experiment = defaultExperiment() as unknown as Record<string, unknown>;
    for (let i = 0; i < 30; i++) experiment[`unknown${i}`] = i;
    experiment.seed = -1;
    experiment.prompt = 5;
    const result = experimentSchema.safeParse(experiment, { reportInput: true });
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(formatIssues(result.error, { limit: 1 })).toEqual([
        'prompt: expected a string, got 5',
        '... and 2 more problems',
      ]);
      expect(formatIssues(result.error)[2]).toBe(
        '(top level): unknown fields "unknown0", "unknown1", "unknown2", "unknown3", "unknown4" and 25 more',
      );
    }
  });
});
