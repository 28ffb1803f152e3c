// RoPE backward on the GPU:
//  1. exactly the transpose of the GPU forward: with the forward's own (cos, sin) read off unit
//     vectors, dX matches R^T dY in f64 to the two roundings of a c + b s: |err| <= 2u (|a| + |b|)
//     (u = 2^-24); elements outside the rotated heads (row padding, offsets) are untouched;
//  2. against the f64 reference (rotation by -angle) with the forward tests' criterion
//     6e-7 (|a| + |b|) per pair (angle ~5e-8 rad, sin/cos ~1.2e-7, roundings);
// at positions 0 .. 2^24 - 1, theta 1e4 and 1e6, head dims 2..128, packed-QKV strides and offsets.
import { afterAll, describe, expect, test } from 'vitest';
import { testGpu } from '../../testing/gpu';
import { storage } from '../../testing/run';
import { gaussianArray } from '../matmul/testing';
import { ropeInverseFrequencies } from '../rope/frequencies';
import { RopeKernel, type RopeShape } from '../rope/rope';
import { ropeBackwardReference } from './reference';
import { RopeBackwardKernel } from './rope-backward';
import { forwardRotation, runRotation, transposeRotation } from './testing';

const U = 2 ** -24;
const TOLERANCE = 6e-7;
const backward = testGpu().then((gpu) => RopeBackwardKernel.create(gpu, 'rope-backward-test'));
const forward = testGpu().then((gpu) => RopeKernel.create(gpu, 'rope-backward-test:forward'));
const worst = { transpose: 0, reference: 0 };
afterAll(() => {
  console.warn(
    `rope backward: worst |gpu - R^T dY| / (2u (|a| + |b|)) = ${worst.transpose.toFixed(3)}; ` +
      `worst |gpu - ref| / (|a| + |b|) = ${(worst.reference * TOLERANCE).toExponential(2)} (${worst.reference.toFixed(3)} of ${TOLERANCE})`,
  );
});

const CASES: [string, RopeShape, number[], number][] = [
  [
    'Qwen2.5-like 14 x 64, theta 1e6',
    { tokens: 6, heads: 14, headDim: 64 },
    [0, 1, 4095, 32767, 1e6, 2 ** 24 - 1],
    1e6,
  ],
  ['Llama-like 4 x 128, theta 1e4', { tokens: 3, heads: 4, headDim: 128 }, [7, 100, 32000], 1e4],
  ['head dim 2', { tokens: 2, heads: 3, headDim: 2 }, [3, 9], 1e4],
  // Q and K of a packed QKV row: 3 heads rotated of 4, row padded by 5, offset 2.
  [
    'packed QKV stride 4 x 16 + 5, offset 2',
    { tokens: 3, heads: 3, headDim: 16, rowStride: 69, offset: 2 },
    [0, 11, 2048],
    1e4,
  ],
];

describe('RoPE backward', () => {
  test.each(CASES)('%s', async (_name, shape, positions, theta) => {
    const gpu = await testGpu();
    const rowStride = shape.rowStride ?? shape.heads * shape.headDim;
    const offset = shape.offset ?? 0;
    const gradient = gaussianArray(shape.tokens * shape.headDim, shape.tokens * rowStride, 2);
    const got = await runRotation(gpu, await backward, gradient, positions, shape, { theta });
    const rotation = await forwardRotation(gpu, await forward, positions, shape, { theta });
    expect(gpu.takeUncapturedErrors()).toEqual([]);
    const transpose = transposeRotation(gradient, rotation, shape);
    const reference = ropeBackwardReference(
      gradient,
      positions,
      ropeInverseFrequencies(shape.headDim, theta),
      shape,
    );
    const half = shape.headDim / 2;
    let failures = 0;
    let first = '';
    for (let j = 0; j < gradient.length; j++) {
      const inRow = (j % rowStride) - offset;
      if (inRow < 0 || inRow >= shape.heads * shape.headDim) {
        if (got[j] !== gradient[j] && failures++ === 0) first = `untouched [${j}] changed to ${got[j]}`;
        continue;
      }
      const partner = inRow % shape.headDim < half ? j + half : j - half;
      const scale = Math.abs(gradient[j]) + Math.abs(gradient[partner]);
      const transposeRatio = Math.abs(got[j] - transpose[j]) / (2 * U * scale);
      const referenceRatio = Math.abs(got[j] - reference[j]) / (TOLERANCE * scale);
      worst.transpose = Math.max(worst.transpose, Number.isNaN(transposeRatio) ? Infinity : transposeRatio);
      worst.reference = Math.max(worst.reference, Number.isNaN(referenceRatio) ? Infinity : referenceRatio);
      if (!(transposeRatio <= 1 && referenceRatio <= 1) && failures++ === 0)
        first = `[${j}] GPU ${got[j]} vs transpose ${transpose[j]}, reference ${reference[j]}`;
    }
    expect(failures, `${failures} failures, first ${first}`).toBe(0);
  });

  test('given inverse frequencies equal theta; a wrong count is refused', async () => {
    const gpu = await testGpu();
    const shape = { tokens: 2, heads: 2, headDim: 8 };
    const gradient = gaussianArray(5, 32);
    const inverseFrequencies = ropeInverseFrequencies(8, 5e5);
    const viaTheta = await runRotation(gpu, await backward, gradient, [3, 70000], shape, { theta: 5e5 });
    const viaTable = await runRotation(gpu, await backward, gradient, [3, 70000], shape, {
      inverseFrequencies,
    });
    expect(viaTable).toEqual(viaTheta);
    const kernel = await backward;
    const [x, positions] = ['x', 'p'].map((n) => storage(gpu, 256, `bad:${n}`));
    const pass = gpu.device.createCommandEncoder().beginComputePass();
    expect(() =>
      kernel.encode(pass, x, positions, shape, { inverseFrequencies: new Float32Array(3) }),
    ).toThrow(/rope backward: inverseFrequencies has 3 entries, headDim \/ 2 = 4 expected/);
    expect(() => kernel.encode(pass, x, positions, { ...shape, headDim: 7 }, { theta: 1e4 })).toThrow(
      /rope backward: headDim must be even, got 7/,
    );
    expect(() =>
      kernel.encode(pass, x, positions, { tokens: 2, heads: 2, headDim: 8, rowStride: 15 }, { theta: 1e4 }),
    ).toThrow(
      /rope backward: rowStride \(rows hold offset 0 \+ heads \* headDim = 16\) must be an integer in 16\.\.\d+, got 15/,
    );
    expect(() =>
      kernel.encode(pass, x, positions, { tokens: 5, heads: 2, headDim: 8 }, { theta: 1e4 }),
    ).toThrow(/rope backward: gradient buffer "bad:x" has 256 bytes but the shape needs 320/);
    expect(() => kernel.encode(pass, x, x, shape, { theta: 1e4 })).toThrow(
      /gradient and positions are the same buffer "bad:x"/,
    );
    pass.end();
  });
});
