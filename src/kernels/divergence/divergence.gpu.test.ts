// Parity of shaders/divergence.wgsl with the f64 reference, in Chromium with WebGPU.
// Tolerance: DIVERGENCE_TOLERANCE (atol 2e-6, rtol 1e-5; reasoning in ./checks.ts); infinities exact.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmptyDistributionError, KernelInputError } from '../../gpu/errors';
import { uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { compareArrays } from '../../testing/compare';
import { testGpu } from '../../testing/gpu';
import {
  DIVERGENCE_QUANTITIES as N,
  DIVERGENCE_TOLERANCE,
  argmaxVector,
  checks,
  compareArgmaxes,
  divergenceVector,
  referenceDivergence,
  worstError,
} from './checks';
import { RowDivergence, type DivergenceArgs, type DivergencePair } from './divergence';

const NEG = -Infinity;
const LN2 = Math.log(2);

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Row {
  scale?: number;
  offset?: number;
  constant?: number;
  /** Fraction of entries (never index 0) set to -Infinity, placed by maskSeed. */
  negInf?: number;
  maskSeed?: number;
}

/** [rows.length, vocab] logits, row-major. */
function logits(seed: number, vocab: number, rows: Row[]): Float32Array {
  const out = new Float32Array(rows.length * vocab);
  const random = mulberry32(seed);
  rows.forEach((row, r) => {
    const mask = mulberry32(row.maskSeed ?? 1000 + seed + r);
    for (let i = 0; i < vocab; i++) {
      const value = row.constant ?? (row.offset ?? 0) + (row.scale ?? 1) * (random() * 2 - 1) * 3;
      out[r * vocab + i] = i > 0 && mask() < (row.negInf ?? 0) ? NEG : value;
    }
  });
  return out;
}

function allPairs(pRows: number, qRows: number): DivergencePair[] {
  const pairs: DivergencePair[] = [];
  for (let p = 0; p < pRows; p++) for (let q = 0; q < qRows; q++) pairs.push([p, q]);
  return pairs;
}

let gpu: Gpu;
let divergence: RowDivergence;
const owned: GPUBuffer[] = [];
const worst = { abs: 0, rel: 0, where: '' };

function upload(data: Float32Array, label: string): GPUBuffer {
  const buffer = uploadStorage(gpu, data, label);
  owned.push(buffer);
  return buffer;
}

/** Runs the GPU kernel on (pData, qData) and asserts parity with the reference; returns both. */
async function expectParity(
  name: string,
  vocab: number,
  pData: Float32Array,
  qData: Float32Array | 'same',
  pairs: DivergencePair[],
  kernel: RowDivergence = divergence,
): Promise<{ actual: number[]; expected: number[]; argmaxes: number[] }> {
  const p = upload(pData, `${name}:p`);
  const q = qData === 'same' ? p : upload(qData, `${name}:q`);
  const qHost = qData === 'same' ? pData : qData;
  const args: DivergenceArgs = {
    p,
    q,
    vocab,
    pRows: pData.length / vocab,
    qRows: qHost.length / vocab,
    pairs,
  };
  const results = await kernel.compute(args);
  const reference = referenceDivergence(pData, qHost, vocab, pairs);
  const actual = divergenceVector(results);
  const expected = divergenceVector(reference);
  const error = worstError(actual, expected);
  if (error.abs > worst.abs) Object.assign(worst, { abs: error.abs, where: `${name}: ${error.where}` });
  worst.rel = Math.max(worst.rel, error.rel);
  expect(compareArrays(name, actual, expected, DIVERGENCE_TOLERANCE)).toBeNull();
  const argmaxes = argmaxVector(results);
  expect(compareArgmaxes(argmaxes, argmaxVector(reference))).toBeNull();
  return { actual, expected, argmaxes };
}

beforeAll(async () => {
  gpu = await testGpu();
  divergence = await RowDivergence.create(gpu);
});

afterEach(() => {
  expect(gpu.takeUncapturedErrors()).toEqual([]);
});

afterAll(() => {
  divergence?.dispose();
  for (const buffer of owned) buffer.destroy();
});

describe('RowDivergence parity with the reference', () => {
  it.each([1, 7, 255, 257, 1000])('vocab %i: masks, ties, mismatched supports, all pairs', async (vocab) => {
    const pData = logits(vocab, vocab, [{ scale: 3, negInf: 0.2, maskSeed: 5 }, { scale: 1 }]);
    const qData = logits(vocab + 1, vocab, [
      { scale: 2, negInf: 0.2, maskSeed: 5 },
      { constant: -0.75 },
      { scale: 3, negInf: 0.4 },
    ]);
    await expectParity(`vocab ${vocab}`, vocab, pData, qData, allPairs(2, 3));
  });

  it.each([50_257, 151_936])(
    'vocab %i, DoLa layout: final layer vs 4 layers in one buffer',
    async (vocab) => {
      const data = logits(vocab, vocab, [
        { scale: 4 },
        { scale: 3, negInf: 0.1 },
        { constant: 2 },
        { scale: 10, offset: 1e4 },
        { scale: 3 },
      ]);
      const pairs: DivergencePair[] = [...[0, 1, 2, 3].map((layer) => [4, layer] as const), [1, 4]];
      const { actual } = await expectParity(`dola ${vocab}`, vocab, data, 'same', pairs);
      expect(actual[N + 2]).toBe(Infinity); // KL(final || layer with -Infinity holes)
      expect(actual[4 * N + 3]).toBe(Infinity); // KL(final || masked row) seen from the other side
    },
  );

  it('magnitude 1e4 logits (max subtraction), including near-ties quantised by f32', async () => {
    const vocab = 4099;
    const pData = logits(3, vocab, [
      { scale: 10, offset: 1e4 },
      { scale: 0.001, offset: 1e4 },
    ]);
    const qData = logits(4, vocab, [
      { scale: 10, offset: -1e4 },
      { scale: 5, offset: 3e4, negInf: 0.5 },
    ]);
    await expectParity('1e4', vocab, pData, qData, allPairs(2, 2));
  });

  it('all-equal rows: H = ln V, KL = JS = TV = 0, argmax = 0, p(argmax Q) = 1/V', async () => {
    const vocab = 3001;
    const { actual, argmaxes } = await expectParity(
      'ties',
      vocab,
      logits(5, vocab, [{ constant: 1e4 }]),
      logits(6, vocab, [{ constant: -3 }]),
      [[0, 0]],
    );
    expect(actual[0]).toBeCloseTo(Math.log(vocab), 5);
    expect(actual.slice(2, 6)).toEqual([0, 0, 0, 0]);
    expect(actual[6]).toBeCloseTo(1 / vocab, 9);
    expect(argmaxes).toEqual([0, 0]);
  });

  it('identical rows give KL = JS = 0, across buffers and within one', async () => {
    const vocab = 50_257;
    const data = logits(7, vocab, [{ scale: 3, negInf: 0.05 }, { scale: 2 }]);
    const copy = data.slice();
    const across = await expectParity('identical', vocab, data, copy, [
      [0, 0],
      [1, 1],
    ]);
    const within = await expectParity('identical-same', vocab, data, 'same', [[0, 0]]);
    // Nearly identical: KL ~ 1e-5, where the two-sum forms must not cancel into noise.
    const nudged = data.map((x, i) => x + 0.01 * Math.sin(i));
    const near = await expectParity('nearly identical', vocab, data, nudged, [[0, 0]]);
    expect(near.expected[2]).toBeLessThan(1e-4);
    expect(near.expected[2]).toBeGreaterThan(0);
    for (const { actual } of [across, within]) {
      for (let k = 0; k < actual.length / N; k++) {
        expect(Math.abs(actual[k * N + 2])).toBeLessThanOrEqual(1e-7);
        expect(Math.abs(actual[k * N + 3])).toBeLessThanOrEqual(1e-7);
        expect(Math.abs(actual[k * N + 4])).toBeLessThanOrEqual(1e-7);
        expect(actual[k * N + 5]).toBe(0); // TV of identical rows is exactly 0: the acceptance rate is 1
      }
    }
  });

  it('support mismatch: KL = +Infinity, JS finite; disjoint supports: JS = ln 2, TV = 1', async () => {
    const vocab = 1024;
    const even = new Float32Array(vocab).map((_, i) => (i % 2 === 0 ? i / vocab : NEG));
    const odd = new Float32Array(vocab).map((_, i) => (i % 2 === 1 ? -i / vocab : NEG));
    const full = logits(8, vocab, [{ scale: 2 }]);
    const pData = new Float32Array([...even, ...full]);
    const { actual } = await expectParity('mismatch', vocab, pData, odd, [
      [0, 0],
      [1, 0],
    ]);
    expect(actual.slice(2, 6)).toEqual([Infinity, Infinity, expect.closeTo(LN2, 6), expect.closeTo(1, 6)]);
    expect(actual[6]).toBe(0); // Q's top token is -Infinity in P
    expect(actual[N + 2]).toBe(Infinity);
    expect(Number.isFinite(actual[N + 3])).toBe(true);
    expect(actual[N + 4]).toBeGreaterThan(0);
    expect(actual[N + 4]).toBeLessThan(LN2);
  });

  it('total variation and p(argmax Q) by hand: P = (1/2, 1/4, 1/4), Q = (1/8, 1/8, 3/4)', async () => {
    const pData = Float32Array.from([0.5, 0.25, 0.25], Math.log);
    const qData = Float32Array.from([0.125, 0.125, 0.75], Math.log);
    const { actual, argmaxes } = await expectParity('tv by hand', 3, pData, qData, [[0, 0]]);
    expect(actual[5]).toBeCloseTo(0.5, 6); // 1/2 (3/8 + 1/8 + 1/2)
    expect(actual[6]).toBeCloseTo(0.25, 6);
    expect(argmaxes).toEqual([0, 2]);
  });

  it.each([1, 255, 256, 257, 50_257])(
    'argmax ties across threads and at the last index, vocab %i: the lowest index wins',
    async (vocab) => {
      // Planted maxima over seeded noise in [-1, 0) (long plateaus of equal logits would test the
      // f32 sums of KL rather than the argmax).
      const half = Math.floor(vocab / 2);
      const rows = [
        // ties between the first and the last index (different threads once vocab > 256)
        (i: number) => (i === 0 || i === vocab - 1 ? 5 : null),
        // a single maximum at the last index
        (i: number) => (i === vocab - 1 ? 2 : null),
        // -Infinity in front, then ties: the first finite maximum wins
        (i: number) => (i < half ? NEG : i === half || i === vocab - 1 ? 0.5 : null),
        // ties at two indices handled by the same thread (i and i + 256)
        (i: number) => (i === vocab - 1 || (vocab > 256 && i === vocab - 257) ? 3 : null),
      ];
      const data = logits(
        vocab + 17,
        vocab,
        rows.map(() => ({ scale: 1 / 6, offset: -0.5 })),
      );
      rows.forEach((row, r) => {
        for (let i = 0; i < vocab; i++) data[r * vocab + i] = row(i) ?? data[r * vocab + i];
      });
      const pairs = allPairs(rows.length, rows.length);
      const { argmaxes } = await expectParity(`argmax ${vocab}`, vocab, data, 'same', pairs);
      const expectedTop = [0, vocab - 1, half, vocab > 256 ? vocab - 257 : vocab - 1];
      if (vocab === 1) expectedTop.fill(0);
      expect(argmaxes.filter((_, i) => i % 2 === 1).slice(0, rows.length)).toEqual(expectedTop);
    },
  );

  it('ascending logits at vocab 151,936 (the online normaliser rescales on every token)', async () => {
    const vocab = 151_936;
    const ramp = new Float32Array(vocab).map((_, i) => -20 + (40 * i) / vocab);
    const descending = ramp.slice().reverse();
    await expectParity('ramp', vocab, ramp, descending, [[0, 0]]);
  });

  it.each([1, 32, 64])('workgroup size %i gives the same parity', async (workgroupSize) => {
    const vocab = 1000;
    const kernel = await RowDivergence.create(gpu, { workgroupSize });
    try {
      const pData = logits(9, vocab, [{ scale: 3, negInf: 0.1 }]);
      const qData = logits(10, vocab, [{ scale: 3, negInf: 0.1, maskSeed: 11 }, { scale: 1 }]);
      await expectParity(`wg ${workgroupSize}`, vocab, pData, qData, allPairs(1, 2), kernel);
    } finally {
      kernel.dispose();
    }
  });
});

describe('RowDivergence errors and reuse', () => {
  const vocab = 257;
  const args = (overrides: Partial<DivergenceArgs> = {}): DivergenceArgs => {
    const p = upload(logits(12, vocab, [{}, {}]), 'args:p');
    return { p, q: p, vocab, pRows: 2, qRows: 2, pairs: [[0, 1]], ...overrides };
  };

  it('throws EmptyDistributionError naming all -Infinity rows', async () => {
    const data = logits(13, vocab, [{}, { constant: NEG }, {}]);
    const p = upload(data, 'empty:p');
    const call = divergence.compute({
      p,
      q: p,
      vocab,
      pRows: 3,
      qRows: 3,
      pairs: [
        [0, 2],
        [1, 0],
        [1, 2],
      ],
    });
    await expect(call).rejects.toBeInstanceOf(EmptyDistributionError);
    await expect(call).rejects.toMatchObject({ rows: [1] });
    const asQ = divergence.compute({ p, q: p, vocab, pRows: 3, qRows: 3, pairs: [[0, 1]] });
    await expect(asQ).rejects.toThrow(/RowDivergence \(Q\): row 1 has no finite logit/);
  });

  it('throws KernelInputError with the NaN count, and for +Infinity', async () => {
    const data = logits(14, vocab, [{}, {}, {}, {}]);
    for (let i = 0; i < 12; i++) data[3 * vocab + 10 * i] = NaN;
    data[vocab + 5] = Infinity;
    const p = upload(data, 'nan:p');
    const nan = divergence.compute({ p, q: p, vocab, pRows: 4, qRows: 4, pairs: [[3, 0]] });
    await expect(nan).rejects.toThrow(KernelInputError);
    await expect(nan).rejects.toThrow(/row 3 of P contains 12 NaN logits/);
    const inf = divergence.compute({ p, q: p, vocab, pRows: 4, qRows: 4, pairs: [[0, 1]] });
    await expect(inf).rejects.toThrow(/row 1 of Q contains \+Infinity logits/);
    // A row of nothing but NaN is reported as NaN input, not as an empty distribution.
    const nanRow = upload(new Float32Array(vocab).fill(NaN), 'nan:row');
    const allNan = divergence.compute({ p: nanRow, q: p, vocab, pRows: 1, qRows: 4, pairs: [[0, 0]] });
    await expect(allNan).rejects.toThrow(/row 0 of P contains 257 NaN logits/);
  });

  it.each<[string, Partial<DivergenceArgs>, RegExp]>([
    ['vocab 0', { vocab: 0 }, /vocab = 0 must be an integer/],
    ['fractional vocab', { vocab: 1.5 }, /vocab = 1.5/],
    ['vocab too large', { vocab: 262_145 }, /vocab = 262145 must be an integer in \[1, 262144\]/],
    ['pRows 0', { pRows: 0 }, /pRows = 0/],
    ['no pairs', { pairs: [] }, /pairs has 0 entries/],
    ['row out of range', { pairs: [[0, 2]] }, /pair 0 names row 2 of Q, which has rows 0..1/],
    ['negative row', { pairs: [[-1, 0]] }, /pair 0 names row -1 of P/],
    ['buffer too small', { pRows: 3, pairs: [[2, 0]] }, /buffer p \("args:p"\) has \d+ bytes but \[3, 257\]/],
  ])('rejects %s', async (_, overrides, message) => {
    await expect(divergence.compute(args(overrides))).rejects.toThrow(message);
    expect(() => divergence.validate(args(overrides))).toThrow(KernelInputError);
  });

  it('rejects a buffer without STORAGE usage and a bad workgroup size', async () => {
    const mappable = gpu.device.createBuffer({
      label: 'args:mappable',
      size: vocab * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    owned.push(mappable);
    expect(() => divergence.validate(args({ q: mappable, qRows: 1, pairs: [[0, 0]] }))).toThrow(
      /buffer q \("args:mappable"\) lacks STORAGE usage/,
    );
    await expect(RowDivergence.create(gpu, { workgroupSize: 100 })).rejects.toThrow(/workgroupSize = 100/);
  });

  it('reuses the per-shape buffers: no allocation and the same output on repeated calls', async () => {
    const shape = args({
      pairs: [
        [0, 1],
        [1, 0],
      ],
    });
    const first = await divergence.compute(shape);
    const allocated = gpu.buffers.allocatedBytes;
    const again = await divergence.compute(shape);
    expect(gpu.buffers.allocatedBytes).toBe(allocated);
    expect(again).toEqual(first);
    const encoder = gpu.device.createCommandEncoder({ label: 'reuse-test' });
    const pass = encoder.beginComputePass({ label: 'reuse-test' });
    expect(divergence.encode(pass, shape)).toBe(divergence.encode(pass, shape));
    pass.end();
    gpu.device.queue.submit([encoder.finish()]);
  });
});

describe('divergence kernel check', () => {
  it('passes at V=151,936 and reports its worst error', async ({ annotate }) => {
    const result = await checks[0].run(gpu);
    expect(result.detail).toMatch(/worst \|gpu-ref\|/);
    expect(result.pass).toBe(true);
    expect(result.gpuMs).toBeGreaterThan(0);
    await annotate(
      `${result.detail}; gpu ${result.gpuMs.toFixed(1)} ms (${result.timing}), cpu ${result.cpuMs.toFixed(1)} ms`,
    );
    await annotate(
      `parity tests: worst |gpu-ref| ${worst.abs.toExponential(2)} in ${worst.where}; worst relative ${worst.rel.toExponential(2)}`,
    );
  });
});
