// Decode attention (key splits + exact merge) against the f64 reference: Tq in {1, 5} over caches
// of 1, 17, 300 and 1500 keys, GQA and MHA, headDim 64 / 80 / 128, the split counts of the GPU
// tuning (the software adapter's tuning mostly picks 1) and forced ones (1, many, one key per
// split), scores of magnitude ~1e3, offsets.
// Tolerance: attentionTolerance (fixtures.ts), max|v| (2e-6 + 2 u S).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../../gpu/runtime';
import { testGpu } from '../../testing/gpu';
import { DecodeAttention, type DecodeOptions } from './decode';
import { makeFixture, runParity, WorstError } from './fixtures';
import type { AttentionShape } from './shape';
import { chooseDecodeSplits, DECODE_SPLIT_TUNING } from './splits';

let gpu: Gpu;
let kernel: DecodeAttention;
let smallChunks: DecodeAttention;
const worst = new WorstError();

beforeAll(async () => {
  gpu = await testGpu();
  kernel = await DecodeAttention.create(gpu, 'decode-test');
  // 16-key chunks: several chunks per split, so the in-workgroup recurrence is exercised too.
  smallChunks = await DecodeAttention.create(gpu, 'decode-test-chunk16', 16);
});

afterAll(() => {
  kernel.destroy();
  smallChunks.destroy();
  console.warn(`decode: ${worst}`);
});

/** The split count a GPU adapter would use for `shape`. */
const gpuTuned = (shape: AttentionShape): DecodeOptions => ({
  splits: chooseDecodeSplits(shape.keys, shape.queries, shape.numHeads, DECODE_SPLIT_TUNING),
});

async function checkDecode(
  seed: number,
  shape: AttentionShape,
  options: DecodeOptions = gpuTuned(shape),
  magnitude = 1,
  instance = kernel,
): Promise<void> {
  const where = `decode ${JSON.stringify({ ...shape, ...options, magnitude })}`;
  const result = await runParity(gpu, makeFixture(seed, shape, magnitude), where, (pass, buffers) =>
    instance.encode(pass, buffers, shape, options),
  );
  worst.note(result, where);
  expect(result.report).toBeNull();
  expect(result.clobbered, 'output elements before outputOffset overwritten').toBe(0);
  const requested = options.splits ?? instance.splitsFor(shape.keys, shape.queries, shape.numHeads);
  expect(instance.plan?.splits).toBe(Math.ceil(shape.keys / Math.ceil(shape.keys / requested)));
}

const LENGTHS = [1, 17, 300, 1500];

describe('decode attention matches the reference', () => {
  for (const queries of [1, 5]) {
    const lengths = LENGTHS.filter((length) => length >= queries);
    test.each(lengths)(`Tq = ${queries}, L = %i, GQA 8/2, headDim 128`, (keys) =>
      checkDecode(keys * 10 + queries, {
        queries,
        keys,
        numHeads: 8,
        numKvHeads: 2,
        headDim: 128,
        capacity: keys + 3,
      }),
    );
    test.each(lengths)(`Tq = ${queries}, L = %i, MHA 12, headDim 64`, (keys) =>
      checkDecode(keys * 10 + queries + 5000, {
        queries,
        keys,
        numHeads: 12,
        numKvHeads: 12,
        headDim: 64,
        capacity: keys,
      }),
    );
  }
  test.each([1, 5])('Tq = %i, L = 300, MHA 4, headDim 80', (queries) =>
    checkDecode(600 + queries, {
      queries,
      keys: 300,
      numHeads: 4,
      numKvHeads: 4,
      headDim: 80,
      capacity: 320,
    }),
  );
  test('Tq = 16 (speculative verification of 15 drafts), L = 200, GQA 8/2', () =>
    checkDecode(700, { queries: 16, keys: 200, numHeads: 8, numKvHeads: 2, headDim: 64, capacity: 200 }));
});

describe('decode split counts: the merge is exact for any split', () => {
  const shape = { queries: 5, keys: 300, numHeads: 8, numKvHeads: 2, headDim: 64, capacity: 300 };
  test.each([1, 2, 7, 64, 150, 300])('splits = %i', (splits) => checkDecode(800 + splits, shape, { splits }));
  test('several chunks per split (chunk 16, one split of 300 keys)', () =>
    checkDecode(851, shape, { splits: 1 }, 1, smallChunks));
  test('several chunks per split with large scores (chunk 16, 3 splits)', () =>
    checkDecode(852, shape, { splits: 3 }, 16, smallChunks));
  test('splits past the first query causal limit weigh 0 (Tq = 5, L = 5, 5 splits)', () =>
    checkDecode(853, { ...shape, keys: 5, capacity: 5 }, { splits: 5 }));
});

describe('decode edge cases', () => {
  test('the default split count is the adapter tuning', async () => {
    const shape = { queries: 1, keys: 1500, numHeads: 4, numKvHeads: 4, headDim: 64, capacity: 1500 };
    await checkDecode(900, shape, {});
    expect(kernel.plan?.splits).toBe(kernel.splitsFor(1500, 1, 4));
  });
  test('scores of magnitude ~1e3 do not overflow (L = 1500, Tq = 5)', () => {
    const shape = { queries: 5, keys: 1500, numHeads: 8, numKvHeads: 2, headDim: 64, capacity: 1500 };
    return checkDecode(901, shape, gpuTuned(shape), 16);
  });
  test('cacheOffset, queryOffset and outputOffset inside larger buffers', () =>
    checkDecode(902, {
      queries: 3,
      keys: 257,
      numHeads: 8,
      numKvHeads: 2,
      headDim: 80,
      capacity: 300,
      cacheOffset: 2 * 300 * 2 * 80 + 11,
      queryOffset: 77,
      outputOffset: 500,
    }));
});
