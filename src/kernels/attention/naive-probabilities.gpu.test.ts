// The naive WGSL attention (benchmark baseline) against the reference and as a second GPU
// cross-check of the tiled kernels; probability capture of one head; the Attention facade.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { submitPass } from '../../gpu/dispatch';
import { readFloat32 } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { compareArrays } from '../../testing/compare';
import { storage } from '../../testing/run';
import { testGpu } from '../../testing/gpu';
import { Attention } from './attention';
import { DecodeAttention } from './decode';
import {
  attentionTolerance,
  FixtureBuffers,
  makeFixture,
  probabilityTolerance,
  runParity,
  worstAbsError,
  WorstError,
} from './fixtures';
import { NaiveAttention } from './naive';
import { PrefillAttention } from './prefill';
import { AttentionProbabilities } from './probabilities';
import { attentionProbabilitiesReference } from './reference';
import type { AttentionBuffers, AttentionShape } from './shape';

let gpu: Gpu;
let naive: NaiveAttention;
let prefill: PrefillAttention;
let decode: DecodeAttention;
let capture: AttentionProbabilities;
const worst = new WorstError();
const worstProbability = new WorstError();

beforeAll(async () => {
  gpu = await testGpu();
  [naive, prefill, decode, capture] = await Promise.all([
    NaiveAttention.create(gpu),
    PrefillAttention.create(gpu),
    DecodeAttention.create(gpu),
    AttentionProbabilities.create(gpu),
  ]);
});

afterAll(() => {
  for (const kernel of [naive, prefill, decode, capture]) kernel.destroy();
  console.warn(`naive: ${worst}`);
  console.warn(`probabilities: ${worstProbability}`);
});

const gqa = { numHeads: 8, numKvHeads: 2 };

describe('naive WGSL attention matches the reference', () => {
  test.each<[string, AttentionShape, number]>([
    [
      'prefill Tq = L = 130, GQA, headDim 128',
      { queries: 130, keys: 130, ...gqa, headDim: 128, capacity: 130 },
      1,
    ],
    [
      'Tq = 30 over L = 100, MHA, headDim 80',
      { queries: 30, keys: 100, numHeads: 4, numKvHeads: 4, headDim: 80, capacity: 100 },
      1,
    ],
    [
      'decode Tq = 1, L = 1500, headDim 64',
      { queries: 1, keys: 1500, ...gqa, headDim: 64, capacity: 1500 },
      1,
    ],
    [
      'scores ~1e3 with offsets',
      {
        queries: 9,
        keys: 60,
        ...gqa,
        headDim: 64,
        capacity: 64,
        cacheOffset: 5,
        queryOffset: 3,
        outputOffset: 8,
      },
      16,
    ],
  ])('%s', async (where, shape, magnitude) => {
    const result = await runParity(gpu, makeFixture(where.length, shape, magnitude), where, (pass, buffers) =>
      naive.encode(pass, buffers, shape),
    );
    worst.note(result, `naive ${where}`);
    expect(result.report).toBeNull();
    expect(result.clobbered).toBe(0);
  });
});

async function runOn(buffers: AttentionBuffers, work: (pass: GPUComputePassEncoder) => void, count: number) {
  await submitPass(gpu, 'cross-check', work);
  expect(gpu.takeUncapturedErrors()).toEqual([]);
  return readFloat32(gpu, buffers.output, count);
}

describe('GPU cross-check: naive, prefill and decode agree on the same buffers', () => {
  test.each<[string, AttentionShape]>([
    [
      'Tq = 12 over L = 700, GQA 8/2, headDim 80',
      { queries: 12, keys: 700, ...gqa, headDim: 80, capacity: 700 },
    ],
    [
      'Tq = L = 96, MHA 6, headDim 64',
      { queries: 96, keys: 96, numHeads: 6, numKvHeads: 6, headDim: 64, capacity: 96 },
    ],
  ])('%s', async (where, shape) => {
    const fixture = makeFixture(17, shape);
    const gpuBuffers = new FixtureBuffers(gpu, fixture, 'cross-check');
    try {
      const { buffers, outputElements } = gpuBuffers;
      const fromNaive = await runOn(buffers, (pass) => naive.encode(pass, buffers, shape), outputElements);
      const fromPrefill = await runOn(
        buffers,
        (pass) => prefill.encode(pass, buffers, shape),
        outputElements,
      );
      const fromDecode = await runOn(buffers, (pass) => decode.encode(pass, buffers, shape), outputElements);
      // Both sides carry f32 error, so twice the one-sided tolerance.
      const atol = 2 * attentionTolerance(fixture).atol;
      expect(
        compareArrays(`prefill vs naive, ${where}`, fromPrefill, fromNaive, { atol, rtol: 0 }),
      ).toBeNull();
      expect(compareArrays(`decode vs naive, ${where}`, fromDecode, fromNaive, { atol, rtol: 0 })).toBeNull();
    } finally {
      gpuBuffers.destroy();
    }
  });
});

async function captureProbabilities(shape: AttentionShape, head: number, magnitude = 1, seed = 5) {
  const fixture = makeFixture(seed, shape, magnitude);
  const gpuBuffers = new FixtureBuffers(gpu, fixture, 'capture');
  const count = shape.queries * shape.keys;
  const probabilities = storage(gpu, count * 4, 'capture:probabilities');
  try {
    const { query, key } = gpuBuffers.buffers;
    await submitPass(gpu, 'capture', (pass) =>
      capture.encode(pass, { query, key, probabilities }, shape, head),
    );
    expect(gpu.takeUncapturedErrors()).toEqual([]);
    const got = await readFloat32(gpu, probabilities, count);
    const want = attentionProbabilitiesReference(fixture.host, shape, head);
    return { got, want, tolerance: probabilityTolerance(fixture) };
  } finally {
    gpuBuffers.destroy();
    probabilities.destroy();
  }
}

describe('attention probability capture', () => {
  test.each<[string, AttentionShape, number, number]>([
    [
      'prefill Tq = L = 70, head 5 of GQA 8/2',
      { queries: 70, keys: 70, ...gqa, headDim: 64, capacity: 70 },
      5,
      1,
    ],
    [
      'Tq = 30 over L = 100, head 0, headDim 80',
      { queries: 30, keys: 100, ...gqa, headDim: 80, capacity: 128, cacheOffset: 9 },
      0,
      1,
    ],
    [
      'decode Tq = 1 over L = 1500, head 7, headDim 128',
      { queries: 1, keys: 1500, ...gqa, headDim: 128, capacity: 1500 },
      7,
      1,
    ],
    ['scores ~1e3, Tq = 40 over L = 64', { queries: 40, keys: 64, ...gqa, headDim: 64, capacity: 64 }, 3, 16],
  ])('%s: rows sum to 1, zeros past the causal limit', async (where, shape, head, magnitude) => {
    const { got, want, tolerance } = await captureProbabilities(shape, head, magnitude);
    const { queries, keys } = shape;
    worstProbability.note({ error: worstAbsError(got, want), atol: tolerance.atol }, where);
    expect(compareArrays(where, got, want, tolerance)).toBeNull();
    for (let t = 0; t < queries; t++) {
      const row = got.subarray(t * keys, (t + 1) * keys);
      const limit = keys - queries + t;
      let sum = 0;
      for (let j = 0; j <= limit; j++) sum += row[j];
      expect(Math.abs(sum - 1), `row ${t} sums to ${sum}`).toBeLessThan(1e-5);
      for (let j = limit + 1; j < keys; j++) expect(row[j], `row ${t} key ${j} past the limit`).toBe(0);
    }
  });
});

describe('the Attention facade', () => {
  test('uses decode for Tq <= 16 and prefill above, and captures alongside', async () => {
    const attention = await Attention.create(gpu, 'facade-test');
    try {
      for (const [queries, kind] of [
        [16, 'decode'],
        [17, 'prefill'],
      ] as const) {
        const shape = { queries, keys: 80, ...gqa, headDim: 64, capacity: 80 };
        const probabilities = storage(gpu, queries * 80 * 4, 'facade:probabilities');
        let used = '';
        const result = await runParity(
          gpu,
          makeFixture(queries, shape),
          `facade Tq = ${queries}`,
          (pass, buffers) => {
            used = attention.encode(pass, buffers, shape, { head: 2, probabilities });
          },
        );
        const rows = await readFloat32(gpu, probabilities, queries * 80);
        probabilities.destroy();
        expect(used).toBe(kind);
        expect(result.report).toBeNull();
        expect(rows.slice(0, 80 - queries + 1).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
      // A bad capture head throws before the attention dispatch is recorded.
      const shape = { queries: 2, keys: 80, ...gqa, headDim: 64, capacity: 80 };
      const probabilities = storage(gpu, 2 * 80 * 4, 'facade:bad-head');
      const fixture = new FixtureBuffers(gpu, makeFixture(3, shape), 'facade-bad-head');
      const encode = vi.spyOn(DecodeAttention.prototype, 'encode');
      try {
        await submitPass(gpu, 'facade-bad-head', (pass) => {
          expect(() => attention.encode(pass, fixture.buffers, shape, { head: 8, probabilities })).toThrow(
            /AttentionProbabilities: head = 8 must be an integer in 0\.\.7/,
          );
        });
        expect(encode).not.toHaveBeenCalled();
      } finally {
        encode.mockRestore();
        probabilities.destroy();
        fixture.destroy();
      }
    } finally {
      attention.destroy();
    }
  });
});
