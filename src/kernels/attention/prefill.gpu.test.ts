// Prefill attention against the f64 reference: Tq = L (fresh prompts), prompts continuing a cache,
// GQA and MHA, headDim 64 / 80 / 128 (and 2, 32, 66), scores of magnitude ~1e3, offsets into
// shared buffers. Tolerance: attentionTolerance (fixtures.ts), max|v| (2e-6 + 2 u S).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../../gpu/runtime';
import { testGpu } from '../../testing/gpu';
import { makeFixture, runParity, WorstError } from './fixtures';
import { PrefillAttention } from './prefill';
import type { AttentionShape } from './shape';

let gpu: Gpu;
let kernel: PrefillAttention;
const worst = new WorstError();

beforeAll(async () => {
  gpu = await testGpu();
  kernel = await PrefillAttention.create(gpu, 'prefill-test');
});

afterAll(() => {
  kernel.destroy();
  console.warn(`prefill: ${worst}`);
});

async function checkPrefill(seed: number, shape: AttentionShape, magnitude = 1): Promise<void> {
  const where = `prefill ${JSON.stringify({ ...shape, magnitude })}`;
  const result = await runParity(gpu, makeFixture(seed, shape, magnitude), where, (pass, buffers) =>
    kernel.encode(pass, buffers, shape),
  );
  worst.note(result, where);
  expect(result.report).toBeNull();
  expect(result.clobbered, 'output elements before outputOffset overwritten').toBe(0);
}

const mha = { numHeads: 4, numKvHeads: 4 };
const gqa = { numHeads: 8, numKvHeads: 2 };

describe('prefill attention matches the reference (Tq = L)', () => {
  test.each([1, 7, 64, 130])('L = %i, MHA, headDim 64', (length) =>
    checkPrefill(length, { queries: length, keys: length, ...mha, headDim: 64, capacity: length }),
  );
  test.each([1, 7, 64, 130])('L = %i, GQA 8/2, headDim 128', (length) =>
    checkPrefill(100 + length, { queries: length, keys: length, ...gqa, headDim: 128, capacity: length }),
  );
  test.each([80, 32, 2, 66])('headDim %i, GQA 8/2, L = 40', (headDim) =>
    checkPrefill(200 + headDim, { queries: 40, keys: 40, ...gqa, headDim, capacity: 48 }),
  );
});

describe('prefill continuing a cache', () => {
  test('L = 100, Tq = 30, GQA 8/2, headDim 64', () =>
    checkPrefill(301, { queries: 30, keys: 100, ...gqa, headDim: 64, capacity: 128 }));
  test('L = 100, Tq = 30, MHA, headDim 80', () =>
    checkPrefill(302, { queries: 30, keys: 100, ...mha, headDim: 80, capacity: 100 }));
  test('L = 100, Tq = 30, MQA 4/1, headDim 128', () =>
    checkPrefill(303, { queries: 30, keys: 100, numHeads: 4, numKvHeads: 1, headDim: 128, capacity: 100 }));
  test('L = 100, Tq = 1 (one token through the prefill kernel)', () =>
    checkPrefill(304, { queries: 1, keys: 100, ...gqa, headDim: 64, capacity: 100 }));
});

describe('prefill edge cases', () => {
  test('scores of magnitude ~1e3 do not overflow (headDim 64, Tq = L = 70)', () =>
    checkPrefill(401, { queries: 70, keys: 70, ...gqa, headDim: 64, capacity: 70 }, 16));
  test('scores of magnitude ~1e3, headDim 128, continuing a cache', () =>
    checkPrefill(402, { queries: 20, keys: 90, ...mha, headDim: 128, capacity: 90 }, 12));
  test('cacheOffset, queryOffset and outputOffset inside larger buffers', () =>
    checkPrefill(403, {
      queries: 19,
      keys: 45,
      ...gqa,
      headDim: 80,
      capacity: 60,
      cacheOffset: 3 * 60 * 2 * 80 + 7,
      queryOffset: 13,
      outputOffset: 1000,
    }));
  test('a caller-supplied scale', () =>
    checkPrefill(404, { queries: 33, keys: 33, ...mha, headDim: 64, capacity: 33, scale: 0.37 }));
});
