// Every validator rejects bad values with a KernelInputError whose message names the value and
// the allowed range (STYLE.md convention 5). Boundary values that must pass are checked alongside.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { KernelInputError } from '../../gpu/errors';
import { validateCombine, type CombineParams } from './combine';
import { NO_FILTER, validateFilter } from './filter';
import { MAX_INPUTS, MAX_ROWS, MAX_VOCAB } from './layout';
import {
  checkBaseInput,
  checkBeta,
  checkBuffer,
  checkDraws,
  checkMinP,
  checkShape,
  checkTemperature,
  checkTopK,
  checkTopP,
  checkU32,
  checkWeights,
} from './params';
import { validateSample } from './sample';

/** The message of the KernelInputError `run` throws; fails the test if it throws nothing else. */
function rejection(run: () => void): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(KernelInputError);
    return (error as Error).message;
  }
  throw new Error('expected a KernelInputError, but nothing was thrown');
}

/** Runs `run` and reports whether it accepted the value (any other error fails the test). */
function accepts(run: () => void): boolean {
  run();
  return true;
}

describe('checkShape', () => {
  test.each([0, -1, 1.5, NaN, MAX_VOCAB + 1])('vocab %s is rejected', (vocab) => {
    expect(rejection(() => checkShape({ rows: 1, vocab }))).toBe(
      `vocab must be an integer in 1..262144, got ${vocab}`,
    );
  });

  test.each([0, -3, 2.5, NaN, MAX_ROWS + 1])('rows %s is rejected', (rows) => {
    expect(rejection(() => checkShape({ rows, vocab: 10 }))).toBe(
      `rows (batch) must be an integer in 1..16, got ${rows}`,
    );
  });

  test('vocab 262,145 and rows 17 name the value; the limits themselves pass', () => {
    expect(rejection(() => checkShape({ rows: 1, vocab: 262_145 }))).toContain('got 262145');
    expect(rejection(() => checkShape({ rows: 17, vocab: 1 }))).toContain('got 17');
    expect(accepts(() => checkShape({ rows: MAX_ROWS, vocab: MAX_VOCAB }))).toBe(true);
    expect(accepts(() => checkShape({ rows: 1, vocab: 1 }))).toBe(true);
  });
});

describe('scalar parameters', () => {
  test.each([0, -1, Infinity, -Infinity, NaN])('temperature %s is rejected', (temperature) => {
    expect(rejection(() => checkTemperature(temperature))).toBe(
      `temperature must be a finite number > 0, got ${temperature}`,
    );
  });

  test.each([-1, 2.5, NaN, Infinity, MAX_VOCAB + 1])('top-k %s is rejected', (topK) => {
    expect(rejection(() => checkTopK(topK))).toBe(
      `top-k must be an integer in 1..262144 (or 0 to turn it off), got ${topK}`,
    );
  });

  // Regression (fixed in src/kernels/logits/params.ts:42): top-k above MAX_VOCAB is rejected, but the message only
  // says "an integer >= 1 (or 0 to turn it off)", so 262145 is refused with a range it satisfies.
  test('top-k above the vocabulary limit names the limit', () => {
    expect(rejection(() => checkTopK(MAX_VOCAB + 1))).toContain(String(MAX_VOCAB));
  });

  test.each([0, -0.25, 1.5, 1.0000001, NaN])('top-p %s is rejected', (topP) => {
    expect(rejection(() => checkTopP(topP))).toBe(
      `top-p must satisfy 0 < top_p <= 1 (1 turns it off), got ${topP}`,
    );
  });

  test.each([-0.01, 1.5, NaN, Infinity])('min-p %s is rejected', (minP) => {
    expect(rejection(() => checkMinP(minP))).toBe(
      `min-p must satisfy 0 <= min_p <= 1 (0 turns it off), got ${minP}`,
    );
  });

  test.each([-0.1, 1.01, NaN])('plausibility beta %s is rejected', (beta) => {
    expect(rejection(() => checkBeta(beta))).toBe(
      `plausibility beta must satisfy 0 <= beta <= 1 (0 turns it off), got ${beta}`,
    );
  });

  // Each range's ends pass and the nearest value outside fails: the bounds are exactly as documented.
  test.each([
    ['temperature', checkTemperature, [Number.MIN_VALUE, 1e30], -Number.MIN_VALUE],
    ['top-k (low)', checkTopK, [0, 1], -1],
    ['top-k (high)', checkTopK, [MAX_VOCAB], MAX_VOCAB + 1],
    ['top-p', checkTopP, [1e-9, 1], 1 + 2 ** -52],
    ['min-p (low)', checkMinP, [0], -Number.MIN_VALUE],
    ['min-p (high)', checkMinP, [1], 1 + 2 ** -52],
    ['beta (low)', checkBeta, [0], -Number.MIN_VALUE],
    ['beta (high)', checkBeta, [1], 1 + 2 ** -52],
  ] as [string, (value: number) => void, number[], number][])(
    '%s: ends pass, one step out fails',
    (_, check, ends, outside) => {
      expect(ends.map((value) => accepts(() => check(value)))).toEqual(ends.map(() => true));
      expect(rejection(() => check(outside))).toContain(`got ${outside}`);
    },
  );

  test.each([-1, 1.5, 2 ** 32, NaN])('u32 %s is rejected with its name', (value) => {
    expect(rejection(() => checkU32(value, 'counter'))).toBe(
      `counter must be an integer in 0..2^32-1, got ${value}`,
    );
  });

  test.each([0, 65_536, 1.5, NaN])('draws %s is rejected', (draws) => {
    expect(rejection(() => checkDraws(draws))).toBe(`draws must be an integer in 1..65535, got ${draws}`);
  });

  test('u32 and draws: ends pass, one step out fails', () => {
    expect(accepts(() => checkU32(0, 'seed'))).toBe(true);
    expect(accepts(() => checkU32(2 ** 32 - 1, 'seed'))).toBe(true);
    expect(rejection(() => checkU32(2 ** 32, 'seed'))).toContain('got 4294967296');
    expect(accepts(() => checkDraws(1))).toBe(true);
    expect(accepts(() => checkDraws(65_535))).toBe(true);
    expect(rejection(() => checkDraws(65_536))).toContain('got 65536');
  });
});

describe('weights and base input', () => {
  test.each([
    [[1, NaN], 'weight 1 must be finite, got NaN'],
    [[Infinity], 'weight 0 must be finite, got Infinity'],
    [[1, 2, -Infinity], 'weight 2 must be finite, got -Infinity'],
    [[0, 0], 'at least one contrastive weight must be non-zero, got all zeros'],
    [[], 'contrastive combination takes 1..8 inputs, got 0'],
    [Array(MAX_INPUTS + 1).fill(1), 'contrastive combination takes 1..8 inputs, got 9'],
  ])('weights %j are rejected', (weights, message) => {
    expect(rejection(() => checkWeights(weights))).toBe(message);
  });

  test('negative weights and a single non-zero weight pass; the same with it zeroed fails', () => {
    expect(accepts(() => checkWeights([1.5, -0.5]))).toBe(true);
    expect(accepts(() => checkWeights([0, 0, 0, 0, 0, 0, 0, -2]))).toBe(true);
    expect(rejection(() => checkWeights([0, 0, 0, 0, 0, 0, 0, 0]))).toContain('all zeros');
  });

  test.each([
    [-1, 2, 'base input must be an index in 0..1, got -1'],
    [2, 2, 'base input must be an index in 0..1, got 2'],
    [0.5, 2, 'base input must be an index in 0..1, got 0.5'],
    [1, 1, 'base input must be an index in 0..0, got 1'],
  ])('base input %s of %s inputs is rejected', (baseInput, inputs, message) => {
    expect(rejection(() => checkBaseInput(baseInput, inputs))).toBe(message);
  });
});

describe('validateCombine', () => {
  const good: CombineParams = { weights: [1.5, -0.5], baseInput: 0, beta: 0.1, temperature: 1 };

  test.each([
    [{ weights: [1, NaN] }, 'weight 1 must be finite, got NaN'],
    [{ weights: [0, 0] }, 'got all zeros'],
    [{ baseInput: 2 }, 'base input must be an index in 0..1, got 2'],
    [{ beta: 1.5 }, 'got 1.5'],
    [{ temperature: 0 }, 'temperature must be a finite number > 0, got 0'],
    [{ temperature: NaN }, 'got NaN'],
  ] as [Partial<CombineParams>, string][])('%j is rejected', (change, message) => {
    expect(rejection(() => validateCombine({ ...good, ...change }))).toContain(message);
  });

  test('the base input is checked against the number of weights', () => {
    expect(accepts(() => validateCombine(good))).toBe(true);
    expect(rejection(() => validateCombine({ ...good, weights: [1], baseInput: 1 }))).toBe(
      'base input must be an index in 0..0, got 1',
    );
  });
});

describe('validateFilter', () => {
  test.each([
    [{ topK: -1 }, 'top-k must be an integer in 1..262144 (or 0 to turn it off), got -1'],
    [{ topK: 2.5 }, 'got 2.5'],
    [{ topP: 0 }, 'top-p must satisfy 0 < top_p <= 1 (1 turns it off), got 0'],
    [{ topP: 1.5 }, 'got 1.5'],
    [{ topP: NaN }, 'got NaN'],
    [{ minP: -0.5 }, 'min-p must satisfy 0 <= min_p <= 1 (0 turns it off), got -0.5'],
  ])('%j is rejected', (change, message) => {
    expect(rejection(() => validateFilter({ ...NO_FILTER, ...change }))).toContain(message);
  });

  test('the off values pass; top-p is checked even when top-k is set', () => {
    expect(accepts(() => validateFilter(NO_FILTER))).toBe(true);
    expect(rejection(() => validateFilter({ topK: 40, topP: 0, minP: 0 }))).toContain('top-p');
  });
});

describe('validateSample', () => {
  const good = { seed: { lo: 1, hi: 2 }, streamBase: 0, counter: 0, draws: 1 };

  test.each([
    [{ seed: { lo: -1, hi: 0 } }, 'seed (low word) must be an integer in 0..2^32-1, got -1'],
    [{ seed: { lo: 0, hi: 2 ** 32 } }, 'seed (high word) must be an integer in 0..2^32-1, got 4294967296'],
    [{ streamBase: 2 ** 32 - 1 }, 'stream of the last row must be an integer in 0..2^32-1, got 4294967299'],
    [
      { counter: 2 ** 32 - 1, draws: 2 },
      'counter of the last draw must be an integer in 0..2^32-1, got 4294967296',
    ],
    [{ draws: 0 }, 'draws must be an integer in 1..65535, got 0'],
  ])('%j is rejected', (change, message) => {
    expect(rejection(() => validateSample({ ...good, ...change }, 5))).toBe(message);
  });

  test('the last stream and counter may be exactly 2^32 - 1, not one more', () => {
    const edge = { ...good, streamBase: 2 ** 32 - 5, counter: 2 ** 32 - 3, draws: 3 };
    expect(accepts(() => validateSample(edge, 5))).toBe(true);
    expect(rejection(() => validateSample(edge, 6))).toContain('stream of the last row');
    expect(rejection(() => validateSample({ ...edge, draws: 4 }, 5))).toContain('counter of the last draw');
  });
});

describe('checkBuffer', () => {
  // GPUBufferUsage is a browser global; these are its numeric values.
  afterEach(() => {
    vi.unstubAllGlobals();
  });
  const buffer = (size: number, usage: number) =>
    ({ size, usage, label: 'logits-in' }) as unknown as GPUBuffer;

  test('a buffer smaller than the shape needs names both sizes', () => {
    vi.stubGlobal('GPUBufferUsage', { STORAGE: 0x80 });
    expect(rejection(() => checkBuffer(buffer(1024, 0x80), 4000, 'logits'))).toBe(
      'logits buffer "logits-in" has 1024 bytes but the shape needs 4000',
    );
  });

  test('a buffer without STORAGE usage is rejected; a big enough storage buffer passes', () => {
    vi.stubGlobal('GPUBufferUsage', { STORAGE: 0x80 });
    expect(rejection(() => checkBuffer(buffer(4096, 0x01 | 0x08), 4000, 'summary'))).toBe(
      'summary buffer "logits-in" lacks STORAGE usage',
    );
    expect(accepts(() => checkBuffer(buffer(4000, 0x80 | 0x04), 4000, 'summary'))).toBe(true);
  });
});
