// Parity of RoPE with the f64 reference at positions 0, 1, 4095, 32767 (and more) with theta
// 10000 and 1e6, head dims 2..128, packed-QKV row strides and offsets. Criterion:
// |gpu - ref| <= 6e-7 (|a| + |b|) per pair: the angle to ~5e-8 rad and sin/cos to ~1.2e-7
// (shaders/rope.wgsl), plus two roundings of a cos - b sin.
import { afterAll, describe, expect, test } from 'vitest';
import { submitPass } from '../../gpu/dispatch';
import { readFloat32, uploadStorage } from '../../gpu/readback';
import { testGpu } from '../../testing/gpu';
import { storage } from '../../testing/run';
import { gaussianArray } from '../matmul/testing';
import { ropeInverseFrequencies } from './frequencies';
import { ropeReference, transformersAngle } from './reference';
import { RopeKernel, type RopeShape } from './rope';

const TOLERANCE = 6e-7;
const kernel = testGpu().then((gpu) => RopeKernel.create(gpu, 'rope-test'));
const worst = { ratio: 0, angleError: 0, transformersAngleError: 0 };
afterAll(() => {
  console.warn(
    `rope parity: worst |gpu - ref| / (|a| + |b|) = ${(worst.ratio * TOLERANCE).toExponential(2)} ` +
      `(${worst.ratio.toFixed(3)} of the tolerance); transformers' f32 angle is off by up to ` +
      `${worst.transformersAngleError.toExponential(2)} rad at positions <= 32767`,
  );
});

async function checkRope(shape: RopeShape, positions: number[], theta: number, seed: number) {
  const gpu = await testGpu();
  const rope = await kernel;
  const rowStride = shape.rowStride ?? shape.heads * shape.headDim;
  const x = gaussianArray(seed, shape.tokens * rowStride, 2);
  const inverse = ropeInverseFrequencies(shape.headDim, theta);
  const want = ropeReference(x, positions, inverse, shape);
  const xBuffer = uploadStorage(gpu, x, 'rope-test:x');
  const positionBuffer = uploadStorage(gpu, Uint32Array.from(positions), 'rope-test:positions');
  await submitPass(gpu, 'rope-test', (pass) => rope.encode(pass, xBuffer, positionBuffer, shape, { theta }));
  const got = await readFloat32(gpu, xBuffer, x.length);
  xBuffer.destroy();
  positionBuffer.destroy();
  expect(gpu.takeUncapturedErrors()).toEqual([]);

  const half = shape.headDim / 2;
  const offset = shape.offset ?? 0;
  let failures = 0;
  let first = '';
  for (let t = 0; t < shape.tokens; t++) {
    for (let h = 0; h < shape.heads; h++) {
      for (let i = 0; i < half; i++) {
        const base = t * rowStride + offset + h * shape.headDim + i;
        const scale = Math.abs(x[base]) + Math.abs(x[base + half]);
        for (const j of [base, base + half]) {
          const ratio = Math.abs(got[j] - want[j]) / (TOLERANCE * scale + 1e-30);
          worst.ratio = Math.max(worst.ratio, ratio);
          if (!(ratio <= 1) && failures++ === 0)
            first = `p ${positions[t]} head ${h} i ${i}: GPU ${got[j]} vs ${want[j]}`;
        }
        const exact = positions[t] * inverse[i];
        if (positions[t] <= 32_767) {
          const hfError = Math.abs(transformersAngle(positions[t], inverse[i]) - exact);
          worst.transformersAngleError = Math.max(worst.transformersAngleError, hfError);
        }
      }
    }
  }
  expect(failures, `${failures} over the tolerance, first ${first}`).toBe(0);
  // Everything outside the rotated heads is untouched, bit for bit.
  for (let j = 0; j < x.length; j++) {
    const inRow = (j % rowStride) - offset;
    if (inRow < 0 || inRow >= shape.heads * shape.headDim) expect(got[j]).toBe(x[j]);
  }
}

const HARD_POSITIONS = [0, 1, 4095, 32767];

describe('RoPE matches the f64 reference', () => {
  for (const theta of [10_000, 1e6]) {
    test.each([
      { tokens: 4, heads: 14, headDim: 64 },
      { tokens: 4, heads: 2, headDim: 128 },
      { tokens: 4, heads: 3, headDim: 2 },
      { tokens: 4, heads: 1, headDim: 6 },
    ])(`theta ${theta}, positions 0, 1, 4095, 32767, heads $heads D $headDim`, (shape) =>
      checkRope(shape, HARD_POSITIONS, theta, shape.headDim + theta),
    );
  }
  test('positions across 0..65535 and beyond (1e6, 2^24 - 1), theta 1e6, D 64', () => {
    const positions = [2, 3, 100, 1023, 1024, 8191, 16_384, 32_768, 65_535, 1_000_000, 2 ** 24 - 1];
    return checkRope({ tokens: positions.length, heads: 2, headDim: 64 }, positions, 1e6, 5);
  });
  test('packed QKV rows: Q and K heads (offset 0) rotated, V untouched', () => {
    const shape = { tokens: 3, heads: 4 + 2, headDim: 64, rowStride: (4 + 2 + 2) * 64 };
    return checkRope(shape, [7, 4095, 32767], 1e4, 6);
  });
  test('packed QKV rows: only K (offset 4 heads)', () => {
    const shape = { tokens: 3, heads: 2, headDim: 64, rowStride: 8 * 64, offset: 4 * 64 };
    return checkRope(shape, [0, 17, 30_000], 1e6, 7);
  });
});

describe('bad arguments are refused with the value named', () => {
  test('odd head dim, short buffers, bad theta, stride too small, wrong frequency count', async () => {
    const gpu = await testGpu();
    const rope = await kernel;
    const x = storage(gpu, 4 * 64 * 4, 'bad:x');
    const positions = storage(gpu, 16, 'bad:positions');
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    const shape = { tokens: 4, heads: 1, headDim: 64 };
    expect(() => rope.encode(pass, x, positions, { ...shape, headDim: 63 }, { theta: 1e4 })).toThrow(
      /rope: headDim must be even, got 63/,
    );
    expect(() => rope.encode(pass, x, positions, { ...shape, tokens: 5 }, { theta: 1e4 })).toThrow(
      /rope: x buffer "bad:x" has 1024 bytes but the shape needs 1280/,
    );
    expect(() => rope.encode(pass, x, positions, shape, { theta: 0.5 })).toThrow(
      /theta \(rope_theta\) must be a finite number > 1, got 0\.5/,
    );
    expect(() =>
      rope.encode(pass, x, positions, { ...shape, tokens: 2, rowStride: 32 }, { theta: 1e4 }),
    ).toThrow(/rope: rowStride .* must be an integer in 64\.\.\d+, got 32/);
    const inverseFrequencies = new Float32Array(31);
    expect(() => rope.encode(pass, x, positions, shape, { inverseFrequencies })).toThrow(
      /inverseFrequencies has 31 entries, headDim \/ 2 = 32 expected/,
    );
    pass.end();
  });
});
