// Parity of the linear backward kernel (dX, dW in both layouts, dBias; overwrite and accumulate)
// with the f64 reference on shapes that are not multiples of the tiles (128 x 128 outputs, r in
// steps of 16): M in {1, 7, 65}, K and N in {1, 33, 257}, M = 1030 for a long weight-gradient
// reduction, and M 150 with K, N in {131, 259} so every product spans partial tiles both ways.
// Criterion: the sequential-sum rounding bound of ./testing.ts. Also: determinism (two runs
// bit-equal) and refused arguments with the value named.
import { afterAll, describe, expect, test } from 'vitest';
import { testGpu } from '../../testing/gpu';
import { storage } from '../../testing/run';
import { LinearBackwardKernel } from './backward-linear';
import { linearBackwardReference } from './reference';
import { compareGradient, runLinearBackward, seededBackwardCase } from './testing';

const kernel = testGpu().then((gpu) => LinearBackwardKernel.create(gpu, 'linear-backward-test'));
const worst = { ratio: 0, abs: 0 };
afterAll(() => {
  console.warn(
    `linear backward parity: worst |gpu - ref| / bound ${worst.ratio.toFixed(3)}, worst |gpu - ref| ` +
      `${worst.abs.toExponential(2)}`,
  );
});

const SIZES: [number, number][] = [
  [1, 33],
  [33, 1],
  [33, 257],
  [257, 33],
];
const CASES = [1, 7, 65].flatMap((m) =>
  SIZES.flatMap(([k, n], i) =>
    (['kn', 'nk'] as const).map((layout) => ({ m, k, n, layout, accumulate: (i + m) % 2 === 0 })),
  ),
);
CASES.push({ m: 1030, k: 33, n: 17, layout: 'kn', accumulate: true });
CASES.push({ m: 1030, k: 17, n: 33, layout: 'nk', accumulate: false });
CASES.push({ m: 150, k: 131, n: 259, layout: 'kn', accumulate: false });
CASES.push({ m: 150, k: 259, n: 131, layout: 'nk', accumulate: true });

describe('linear backward matches the f64 reference', () => {
  test.each(CASES)(
    'M $m K $k N $n $layout accumulate $accumulate',
    async ({ m, k, n, layout, accumulate }) => {
      const gpu = await testGpu();
      const c = seededBackwardCase(m * 1000 + k * 10 + n, { m, k, n }, layout, accumulate);
      const got = await runLinearBackward(gpu, await kernel, c);
      expect(gpu.takeUncapturedErrors()).toEqual([]);
      const want = linearBackwardReference(c);
      for (const report of [
        compareGradient('dX', got.dX, want.dX, n),
        compareGradient('dW', got.dW, want.dW, m),
        compareGradient('dBias', got.dBias, want.dBias, m),
      ]) {
        worst.ratio = Math.max(worst.ratio, report.worstRatio);
        worst.abs = Math.max(worst.abs, report.worstAbs);
        expect(report.failures, report.first).toBe(0);
      }
    },
  );

  test('deterministic: two runs are bit-equal', async () => {
    const gpu = await testGpu();
    const c = seededBackwardCase(5, { m: 300, k: 40, n: 50 }, 'nk', false);
    const first = await runLinearBackward(gpu, await kernel, c);
    const second = await runLinearBackward(gpu, await kernel, c);
    expect(second).toEqual(first);
  });
});

describe('bad arguments are refused with the value named', () => {
  test('shapes, layout, sizes, aliasing', async () => {
    const gpu = await testGpu();
    const k = await kernel;
    const [dY, x, w, dX] = ['dY', 'x', 'w', 'dX'].map((name) => storage(gpu, 64, `bad:${name}`));
    const pass = gpu.device.createCommandEncoder().beginComputePass();
    const weight = { buffer: w, layout: 'kn' as const };
    const input = { input: { buffer: dX } };
    expect(() => k.encode(pass, dY, x, weight, input, { m: 0, k: 2, n: 2 })).toThrow(
      /linear backward: M \(rows of X and dY\) must be an integer in 1\.\.8388480, got 0/,
    );
    expect(() =>
      k.encode(pass, dY, x, { buffer: w, layout: 'kk' as 'kn' }, input, { m: 2, k: 2, n: 2 }),
    ).toThrow(/weight layout must be "kn" or "nk", got kk/);
    expect(() => k.encode(pass, dY, x, weight, {}, { m: 2, k: 2, n: 2 })).toThrow(/no gradient requested/);
    expect(() => k.encode(pass, dY, x, weight, input, { m: 2, k: 2, n: 9 })).toThrow(
      /linear backward: dY buffer "bad:dY" has 64 bytes but the shape needs 72/,
    );
    expect(() => k.encode(pass, dY, x, weight, { input: { buffer: x } }, { m: 2, k: 2, n: 2 })).toThrow(
      /dX and X are the same buffer "bad:x"/,
    );
    expect(() =>
      k.encode(pass, dY, x, weight, { input: { buffer: dX }, bias: { buffer: dX } }, { m: 2, k: 2, n: 2 }),
    ).toThrow(/dBias and dX are the same buffer "bad:dX"/);
    pass.end();
  });
});
