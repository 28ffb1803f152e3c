// Parity of shaders/philox.wgsl (through shaders/random.wgsl) with the CPU spec, in Chromium WebGPU.
import { afterEach, describe, expect, it } from 'vitest';
import { KernelInputError } from '../../gpu/errors';
import { testGpu } from '../../testing/gpu';
import { seedFromNumber, type Seed } from './philox';
import { fillBits, fillUniforms, fillUniforms4, timeRandomFill } from './random';
import {
  fillBitsReference,
  fillUniforms4Reference,
  fillUniformsReference,
  type RandomFillOptions,
} from './reference';
import { checks } from './checks';

const COUNTERS = 8192;
const SEEDS: [string, Seed][] = [
  ['0', seedFromNumber(0)],
  ['42', seedFromNumber(42)],
  ['hi word set (2^40 + 7)', seedFromNumber(2 ** 40 + 7)],
  ['2^53 - 1', seedFromNumber(Number.MAX_SAFE_INTEGER)],
  ['all ones', { lo: 0xffffffff, hi: 0xffffffff }],
];
const STREAMS = [0, 1, 0xffffffff];
const FIRST_COUNTERS = [0, 2 ** 32 - COUNTERS]; // the second ends exactly at counter 2^32 - 1

/** Exact comparison on bit patterns (floats included), reporting the first differing entries. */
function bitMismatches(
  name: string,
  actual: Uint32Array | Float32Array,
  expected: Uint32Array | Float32Array,
) {
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  if (a.length !== e.length) return `${name}: length ${a.length} != ${e.length}`;
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < e.length; i++) {
    if (a[i] !== e[i]) {
      count++;
      if (bad.length < 8) bad.push(`[${i}] GPU ${actual[i]} (0x${a[i].toString(16)}) vs CPU ${expected[i]}`);
    }
  }
  return count === 0 ? null : `${name}: ${count} of ${e.length} differ: ${bad.join('; ')}`;
}

afterEach(async () => {
  const gpu = await testGpu();
  expect(gpu.takeUncapturedErrors()).toEqual([]);
});

describe('Philox on the GPU equals the CPU spec bit for bit', () => {
  const cases: [string, RandomFillOptions][] = [];
  for (const [seedName, seed] of SEEDS) {
    for (const stream of STREAMS) {
      for (const firstCounter of FIRST_COUNTERS) {
        cases.push([
          `seed ${seedName}, stream ${stream}, counters ${firstCounter}+`,
          { seed, stream, firstCounter, count: COUNTERS },
        ]);
      }
    }
  }

  it.each(cases)('raw words, uniforms and uniform4 (%s)', async (_name, opts) => {
    const gpu = await testGpu();
    expect(bitMismatches('bits', await fillBits(gpu, opts), fillBitsReference(opts))).toBeNull();
    expect(bitMismatches('uniforms', await fillUniforms(gpu, opts), fillUniformsReference(opts))).toBeNull();
    expect(
      bitMismatches('uniforms4', await fillUniforms4(gpu, opts), fillUniforms4Reference(opts)),
    ).toBeNull();
  });

  it.each([1, 63, 65, 1000, 8193])('count %i (not a multiple of the workgroup size)', async (count) => {
    const gpu = await testGpu();
    const opts = { seed: seedFromNumber(123456789), stream: 5, firstCounter: 77, count };
    expect(bitMismatches('bits', await fillBits(gpu, opts), fillBitsReference(opts))).toBeNull();
    expect(bitMismatches('uniforms', await fillUniforms(gpu, opts), fillUniformsReference(opts))).toBeNull();
  });

  it('covers a 2D workgroup grid (more workgroups than one dimension allows)', async () => {
    const gpu = await testGpu();
    const perDimension = gpu.device.limits.maxComputeWorkgroupsPerDimension;
    const count = perDimension * 64 + 1000; // needs a second row of workgroups
    const opts = { seed: seedFromNumber(99), stream: 3, firstCounter: 10, count };
    const uniforms = await fillUniforms(gpu, opts);
    expect(uniforms.length).toBe(count);
    // The CPU side checks a stride through the whole range plus both ends of the second row.
    const indices = [
      ...Array.from({ length: 4096 }, (_, k) => Math.floor((k * (count - 1)) / 4095)),
      ...Array.from({ length: 1000 }, (_, k) => count - 1000 + k),
    ];
    const actual = Float32Array.from(indices, (i) => uniforms[i]);
    const expected = Float32Array.from(
      indices,
      (i) => fillUniformsReference({ ...opts, firstCounter: opts.firstCounter + i, count: 1 })[0],
    );
    expect(bitMismatches('2D grid uniforms', actual, expected)).toBeNull();
  });
});

describe('input validation', () => {
  const good: RandomFillOptions = { seed: seedFromNumber(1), stream: 0, firstCounter: 0, count: 16 };
  it.each([
    [{ count: 0 }, /count must be an integer >= 1, got 0/],
    [{ count: 1.5 }, /count must be an integer >= 1, got 1\.5/],
    [{ count: NaN }, /count must be an integer >= 1, got NaN/],
    [{ stream: -1 }, /stream must be an integer in 0\.\.2\^32-1, got -1/],
    [{ stream: 2 ** 32 }, /stream must be .* got 4294967296/],
    [{ firstCounter: 0.5 }, /firstCounter must be .* got 0\.5/],
    [{ firstCounter: 2 ** 32 - 8, count: 9 }, /counters 4294967288\.\.4294967296 run past 2\^32-1/],
    [{ seed: { lo: 2 ** 32, hi: 0 } }, /seed must be \{lo, hi\}.*lo: 4294967296/],
  ])('%o throws KernelInputError naming the value', async (patch, message) => {
    const gpu = await testGpu();
    const bad = { ...good, ...patch };
    await expect(fillUniforms(gpu, bad)).rejects.toThrow(KernelInputError);
    await expect(fillBits(gpu, bad)).rejects.toThrow(message);
  });

  it('rejects a fill whose output would not fit one binding', async () => {
    const gpu = await testGpu();
    const count = 2 ** 32 - 1; // 64 GiB of raw words
    await expect(fillBits(gpu, { ...good, count })).rejects.toThrow(/split the fill/);
  });
});

describe('timing and the check panel', () => {
  it('timeRandomFill returns the same values as the plain fill with a timing source', async () => {
    const gpu = await testGpu();
    const opts = { seed: seedFromNumber(5), stream: 2, firstCounter: 0, count: 4096 };
    const { values, timing } = await timeRandomFill(gpu, opts, 'bits');
    expect(bitMismatches('timed bits', values, fillBitsReference(opts))).toBeNull();
    expect(['gpu-timestamp', 'wall-clock']).toContain(timing.source);
    expect(timing.ms).toBeGreaterThanOrEqual(0);
  });

  it('random/philox check passes and reports times', async () => {
    const gpu = await testGpu();
    const check = checks.find((c) => c.id === 'random/philox');
    expect(check).toBeDefined();
    const result = await check!.run(gpu);
    expect(result.detail).toMatch(/bit-identical/);
    expect(result.pass).toBe(true);
    expect(result.cpuMs).toBeGreaterThanOrEqual(0);
    expect(result.gpuMs).toBeGreaterThanOrEqual(0);
  });
});
