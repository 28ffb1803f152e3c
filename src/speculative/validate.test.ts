// Bad input is refused up front with messages naming the value: K outside 1..16, thresholds outside
// [0, 1], temperatures <= 0, models with different vocabularies or tokenizers, models that cannot
// truncate (or fork, for SpecTr), a missing draft model; every problem is listed at once.
import { describe, expect, test } from 'vitest';
import expertConfig from '../../public/models/shapes-expert/config.json';
import { parseModelConfig } from '../model/config';
import type { LanguageModel, ModelCapabilities } from '../model/interface';
import { METHOD_DEFAULTS } from './defaults';
import type { SpeculativeMethod } from './types';
import { methodProblems, modelProblems, samplingProblems, SpeculativeSetupError, validateSpeculative } from './validate'; // prettier-ignore

function model(
  name: string,
  overrides: { vocab?: number; tokenizer?: string; capabilities?: Partial<ModelCapabilities> } = {},
): LanguageModel {
  const config = parseModelConfig({ ...expertConfig, vocab_size: overrides.vocab ?? 62 });
  const fileHashes: Record<string, string> = overrides.tokenizer
    ? { 'tokenizer.json': overrides.tokenizer }
    : {};
  const capabilities: ModelCapabilities = {
    hiddenStates: true,
    logitLens: true,
    attention: true,
    fork: true,
    truncate: true,
    images: false,
    trainable: false,
    ...overrides.capabilities,
  };
  // Validation reads info and capabilities only.
  return { info: { name, config, parameterCount: 0, dtype: 'f32', fileHashes, gpuBytes: 0 }, capabilities } as LanguageModel; // prettier-ignore
}

describe('method parameters', () => {
  test('every default is valid', () => {
    for (const method of Object.values(METHOD_DEFAULTS)) expect(methodProblems(method)).toEqual([]);
  });

  test.each([
    [
      { name: 'speculative', draftLength: 0 },
      'speculative draft length K must be an integer in 1..16, got 0',
    ],
    [{ name: 'speculative', draftLength: 17 }, 'got 17'],
    [{ name: 'speculative', draftLength: 2.5 }, 'got 2.5'],
    [
      { name: 'spectr', draftLength: 4, candidates: 9 },
      'spectr candidates k must be an integer in 1..8, got 9',
    ],
    [{ name: 'spectr', draftLength: 4, candidates: 2, rho: 3 }, 'spectr rho must be in [1, candidates = 2]'],
    [{ ...METHOD_DEFAULTS.specdecpp, threshold: 1.5 }, 'specdecpp threshold must be in [0, 1], got 1.5'],
    [{ ...METHOD_DEFAULTS.specdecpp, threshold: -0.1 }, 'got -0.1'],
    [
      { ...METHOD_DEFAULTS.specdecpp, maxDraftLength: 20 },
      'max draft length K must be an integer in 1..16, got 20',
    ],
    [{ ...METHOD_DEFAULTS.judge, threshold: NaN }, 'judge threshold must be in [0, 1], got NaN'],
    [{ ...METHOD_DEFAULTS.foreal, gate: 2 }, 'foreal gate must be in [0, 1], got 2'],
    [{ ...METHOD_DEFAULTS['prompt-lookup'], minNgram: 4, maxNgram: 2 }, 'min n-gram 4 exceeds max n-gram 2'],
    [
      { ...METHOD_DEFAULTS['entropy-switch'], threshold: -1 },
      'entropy threshold must be a finite number >= 0',
    ],
  ])('%o is refused', (method, message) => {
    expect(methodProblems(method as SpeculativeMethod).join('; ')).toContain(message);
  });

  test('temperatures must be > 0 unless greedy', () => {
    expect(samplingProblems({ greedy: false, temperature: 0, draftTemperature: -1 })).toEqual([
      'target temperature must be a finite number > 0, got 0',
      'draft temperature must be a finite number > 0, got -1',
    ]);
    expect(samplingProblems({ greedy: true, temperature: 0, draftTemperature: 0 })).toEqual([]);
  });
});

describe('model pairs', () => {
  const method = METHOD_DEFAULTS.speculative;

  test('a matching pair passes; different vocabularies name both models and sizes', () => {
    expect(modelProblems(model('expert', { tokenizer: 'ab' }), model('draft', { tokenizer: 'ab' }), method)).toEqual([]); // prettier-ignore
    const [problem] = modelProblems(model('expert'), model('other', { vocab: 100 }), method);
    expect(problem).toContain('the target "expert" has vocab_size 62 but the draft "other" has 100');
  });

  test('different tokenizer.json hashes are refused, naming both models', () => {
    const [problem] = modelProblems(
      model('expert', { tokenizer: 'aaaaaaaaaaaaaaaa' }),
      model('draft', { tokenizer: 'bbbbbbbbbbbbbbbb' }),
      method,
    );
    expect(problem).toContain('the target "expert" and the draft "draft" come with different tokenizers');
    expect(problem).toContain('aaaaaaaaaaaa… vs bbbbbbbbbbbb…');
  });

  test('truncation is required of both; SpecTr needs fork; the judge needs hidden states', () => {
    const noTruncate = model('stuck', { capabilities: { truncate: false } });
    expect(modelProblems(noTruncate, model('draft'), method)[0]).toContain(
      'the target "stuck" cannot truncate',
    );
    expect(modelProblems(model('t'), noTruncate, method)[0]).toContain('the draft "stuck" cannot truncate');
    const noFork = model('solo', { capabilities: { fork: false } });
    expect(modelProblems(model('t'), noFork, METHOD_DEFAULTS.spectr)[0]).toContain('SpecTr forks sequences, but the draft "solo" cannot'); // prettier-ignore
    const opaque = model('opaque', { capabilities: { hiddenStates: false } });
    expect(modelProblems(opaque, model('d'), METHOD_DEFAULTS.judge)[0]).toContain(
      "reads the target's hidden states",
    );
  });

  test('a draft model is required unless the draft is model-free', () => {
    expect(modelProblems(model('t'), null, method)).toEqual(['speculative needs a draft model; load one']);
    expect(modelProblems(model('t'), null, METHOD_DEFAULTS['prompt-lookup'])).toEqual([]);
    expect(modelProblems(model('t'), null, METHOD_DEFAULTS.aded)).toEqual([]);
  });

  test('validateSpeculative lists every problem in one SpeculativeSetupError', () => {
    const run = () =>
      validateSpeculative({
        target: model('expert'),
        draft: model('other', { vocab: 100 }),
        method: { name: 'speculative', draftLength: 0 },
        sampling: { greedy: false, temperature: 1, draftTemperature: 0 },
        prompt: [70],
        maxTokens: 0,
        seed: -1,
      });
    expect(run).toThrow(SpeculativeSetupError);
    try {
      run();
    } catch (error) {
      expect((error as SpeculativeSetupError).problems).toHaveLength(6);
      expect((error as Error).message).toMatch(
        /^the speculative run has 6 problems: .*prompt token 70 is outside/,
      );
    }
  });
});
