// Bad arguments to every attention kernel: a KernelInputError naming the value, thrown before
// anything is recorded (a valid call in the same pass still works afterwards).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { submitPass } from '../../gpu/dispatch';
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { storage } from '../../testing/run';
import { testGpu } from '../../testing/gpu';
import { DecodeAttention } from './decode';
import { NaiveAttention } from './naive';
import { PrefillAttention } from './prefill';
import { AttentionProbabilities } from './probabilities';
import type { AttentionBuffers, AttentionShape } from './shape';

let gpu: Gpu;
let kernels: { prefill: PrefillAttention; decode: DecodeAttention; naive: NaiveAttention };
let capture: AttentionProbabilities;
const owned: GPUBuffer[] = [];

const SHAPE: AttentionShape = { queries: 4, keys: 10, numHeads: 4, numKvHeads: 2, headDim: 64, capacity: 12 };
const ROWS = 4 * 4 * 64;
const CACHE = 12 * 2 * 64;

function buffer(elements: number, name: string, usage?: GPUBufferUsageFlags): GPUBuffer {
  const made = usage
    ? gpu.device.createBuffer({ label: name, size: Math.max(16, elements * 4), usage })
    : storage(gpu, elements * 4, name);
  owned.push(made);
  return made;
}

function goodBuffers(): AttentionBuffers {
  return {
    query: buffer(ROWS, 'q'),
    key: buffer(CACHE, 'k'),
    value: buffer(CACHE, 'v'),
    output: buffer(ROWS, 'o'),
  };
}

beforeAll(async () => {
  gpu = await testGpu();
  const [prefill, decode, naive] = await Promise.all([
    PrefillAttention.create(gpu, 'validation-prefill'),
    DecodeAttention.create(gpu, 'validation-decode'),
    NaiveAttention.create(gpu, 'validation-naive'),
  ]);
  kernels = { prefill, decode, naive };
  capture = await AttentionProbabilities.create(gpu, 'validation-capture');
});

afterAll(() => {
  for (const kernel of [...Object.values(kernels), capture]) kernel.destroy();
  for (const made of owned.splice(0)) made.destroy();
});

/** Encodes a bad call then a good one in one pass; the bad one must throw, the pass must stay valid. */
async function expectRejected(
  encode: (pass: GPUComputePassEncoder, buffers: AttentionBuffers) => void,
  good: (pass: GPUComputePassEncoder, buffers: AttentionBuffers) => void,
  message: RegExp,
): Promise<void> {
  const buffers = goodBuffers();
  let thrown: unknown = null;
  await submitPass(gpu, 'validation', (pass) => {
    try {
      encode(pass, buffers);
    } catch (error) {
      thrown = error;
    }
    good(pass, buffers);
  });
  expect(gpu.takeUncapturedErrors()).toEqual([]);
  expect(thrown).toBeInstanceOf(KernelInputError);
  expect((thrown as Error).message).toMatch(message);
}

const badShapes: [string, Partial<AttentionShape>, RegExp][] = [
  ['Tq > L', { queries: 11 }, /queries \(Tq\) = 11 exceeds keys \(L\) = 10; write the new tokens/],
  ['Tq = 0', { queries: 0 }, /queries \(Tq\) = 0 must be an integer/],
  ['L fractional', { keys: 9.5 }, /keys \(L\) = 9.5 must be an integer/],
  ['headDim odd', { headDim: 63 }, /headDim = 63 must be an even integer in 2\.\.128/],
  ['headDim > 128', { headDim: 130 }, /headDim = 130 must be an even integer in 2\.\.128/],
  [
    'capacity < L',
    { capacity: 9 },
    /capacity = 9 must be an integer in 10\.\.\d+; the cache must hold at least keys \(L\) = 10/,
  ],
  ['numKvHeads not dividing numHeads', { numKvHeads: 3 }, /numKvHeads = 3 does not divide numHeads = 4/],
  ['numKvHeads > numHeads', { numKvHeads: 8 }, /numKvHeads = 8 must be an integer in 1\.\.4/],
  ['numHeads 0', { numHeads: 0 }, /numHeads = 0 must be an integer in 1\.\.128/],
  ['negative cacheOffset', { cacheOffset: -1 }, /cacheOffset = -1 must be an integer/],
  ['NaN scale', { scale: NaN }, /scale = NaN must be finite/],
  [
    'key buffer too small (capacity)',
    { capacity: 13 },
    /key buffer "k" has 6144 bytes but cacheOffset 0 \+ \[13, 2, 64\] f32 needs 6656/,
  ],
  [
    'key buffer too small (offset)',
    { cacheOffset: 1 },
    /key buffer "k" has 6144 bytes but cacheOffset 1 \+ \[12, 2, 64\] f32 needs 6148/,
  ],
  [
    'query buffer too small',
    { queryOffset: 64 },
    /query buffer "q" has 4096 bytes but queryOffset 64 \+ \[4, 4, 64\] f32 needs 4352/,
  ],
  [
    'output buffer too small',
    { outputOffset: 1 },
    /output buffer "o" has 4096 bytes but outputOffset 1 \+ \[4, 4, 64\] f32 needs 4100/,
  ],
];

describe.each(['prefill', 'decode', 'naive'] as const)('%s rejects bad arguments', (name) => {
  const label = { prefill: 'PrefillAttention', decode: 'DecodeAttention', naive: 'NaiveAttention' }[name];
  const good = (pass: GPUComputePassEncoder, buffers: AttentionBuffers) =>
    kernels[name].encode(pass, buffers, SHAPE);

  test.each(badShapes)('%s', (_, overrides, message) =>
    expectRejected(
      (pass, buffers) => kernels[name].encode(pass, buffers, { ...SHAPE, ...overrides }),
      good,
      new RegExp(`^${label}: ${message.source}`),
    ),
  );

  test('an output that is also an input, and a buffer without STORAGE usage', async () => {
    await expectRejected(
      (pass, buffers) => kernels[name].encode(pass, { ...buffers, output: buffers.query }, SHAPE),
      good,
      /output buffer "q" is also the query buffer/,
    );
    const uniform = buffer(CACHE, 'uniform-v', GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    await expectRejected(
      (pass, buffers) => kernels[name].encode(pass, { ...buffers, value: uniform }, SHAPE),
      good,
      /value buffer "uniform-v" lacks STORAGE usage/,
    );
  });
});

describe('decode and capture reject their own arguments', () => {
  test.each([0, 11, 2.5])('decode splits = %s', (splits) =>
    expectRejected(
      (pass, buffers) => kernels.decode.encode(pass, buffers, SHAPE, { splits }),
      (pass, buffers) => kernels.decode.encode(pass, buffers, SHAPE),
      new RegExp(`splits = ${splits} must be an integer in 1\\.\\.10`),
    ),
  );

  test('decode chunk that does not fit workgroup memory', async () => {
    await expect(DecodeAttention.create(gpu, 'bad-chunk', 1 << 20)).rejects.toThrow(/chunk = 1048576/);
  });

  const probabilities = () => buffer(4 * 10, 'p');
  const good = (pass: GPUComputePassEncoder, buffers: AttentionBuffers) =>
    capture.encode(
      pass,
      { query: buffers.query, key: buffers.key, probabilities: probabilities() },
      SHAPE,
      0,
    );

  test.each([-1, 4, 1.5])('capture head = %s', (head) =>
    expectRejected(
      (pass, buffers) =>
        capture.encode(
          pass,
          { query: buffers.query, key: buffers.key, probabilities: probabilities() },
          SHAPE,
          head,
        ),
      good,
      new RegExp(`^AttentionProbabilities: head = ${head} must be an integer in 0\\.\\.3`),
    ),
  );

  test('capture into a buffer smaller than [Tq, L]', () =>
    expectRejected(
      (pass, buffers) =>
        capture.encode(
          pass,
          { query: buffers.query, key: buffers.key, probabilities: buffer(39, 'small-p') },
          SHAPE,
          0,
        ),
      good,
      /probabilities buffer "small-p" has 156 bytes but \[4, 10\] f32 needs 160/,
    ));

  test('capture with Tq > L', () =>
    expectRejected(
      (pass, buffers) =>
        capture.encode(
          pass,
          { query: buffers.query, key: buffers.key, probabilities: probabilities() },
          { ...SHAPE, keys: 3 },
          0,
        ),
      good,
      /AttentionProbabilities: queries \(Tq\) = 4 exceeds keys \(L\) = 3/,
    ));
});
