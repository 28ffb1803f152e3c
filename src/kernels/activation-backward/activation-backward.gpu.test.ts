// Parity of the GELU / SiLU / SwiGLU backward with the f64 reference on the forward tests' hard
// inputs (0, -0, +-20, +-88, +-1e4, +-1e13 where x^3 overflows, +-3e38) and seeded gaussians, at
// lengths that are not multiples of the workgroup. Criterion: the bounds of ./testing.ts (derived
// there from WGSL's exp accuracy); no NaN anywhere.
import { afterAll, describe, expect, test } from 'vitest';
import { testGpu } from '../../testing/gpu';
import { storage } from '../../testing/run';
import { activationInputs, checkBounded } from '../activation/testing';
import { gaussianArray } from '../matmul/testing';
import { ActivationBackwardKernel } from './activation-backward';
import { swigluBackwardReference, unaryBackwardReference } from './reference';
import { runActivationBackward, swigluBackwardBound, unaryBackwardBound } from './testing';

const worst: Record<string, number> = {};
afterAll(() => {
  const text = Object.entries(worst)
    .map(([name, ratio]) => `${name} ${ratio.toFixed(3)}`)
    .join(', ');
  console.warn(`activation backward parity: worst |gpu - ref| / bound: ${text}`);
});

const kernel = testGpu().then((gpu) => ActivationBackwardKernel.create(gpu, 'activation-backward-test'));

describe('GELU and SiLU backward match the f64 reference', () => {
  test.each([
    ['gelu', 1],
    ['gelu', 5003],
    ['silu', 28],
    ['silu', 5003],
  ] as const)('%s, %i values', async (op, count) => {
    const gpu = await testGpu();
    const x = activationInputs(count + 1, count);
    const gradOutput = gaussianArray(count + 2, count);
    const got = await runActivationBackward(gpu, await kernel, op, x, gradOutput);
    expect(gpu.takeUncapturedErrors()).toEqual([]);
    const want = unaryBackwardReference(op, x, gradOutput);
    const report = checkBounded(got, want, (i) => unaryBackwardBound(op, x[i], gradOutput[i], want[i]));
    worst[op] = Math.max(worst[op] ?? 0, report.worstRatio);
    expect(report.failures, `${report.failures} over the bound, first ${report.first}`).toBe(0);
  });

  test('tails exactly: dY * 1 for x >> 0, +-0 for x << 0 (no NaN from x^3 overflow)', async () => {
    const gpu = await testGpu();
    const x = Float32Array.from([200, 1e4, 1e13, 3e38, -200, -1e4, -1e13, -3e38]);
    const gradOutput = Float32Array.from([1.5, -2, 3, 0.25, 1.5, -2, 3, 0.25]);
    for (const op of ['gelu', 'silu'] as const) {
      const got = await runActivationBackward(gpu, await kernel, op, x, gradOutput);
      expect(Array.from(got.subarray(0, 4)), op).toEqual([1.5, -2, 3, 0.25]);
      for (const value of got.subarray(4)) expect(Math.abs(value), op).toBeLessThan(1e-30);
    }
  });
});

describe('SwiGLU backward on the packed [rows, 2I] layout matches the f64 reference', () => {
  test.each([
    { rows: 3, intermediate: 4864 },
    { rows: 5, intermediate: 7 },
    { rows: 1, intermediate: 1 },
  ])('rows $rows I $intermediate', async (shape) => {
    const gpu = await testGpu();
    const count = shape.rows * shape.intermediate;
    const packed = activationInputs(count + 3, 2 * count, 3);
    const gradOutput = gaussianArray(count + 4, count);
    const got = await runActivationBackward(gpu, await kernel, 'swiglu', packed, gradOutput, shape);
    expect(gpu.takeUncapturedErrors()).toEqual([]);
    const want = swigluBackwardReference(packed, gradOutput, shape.rows, shape.intermediate);
    const bound = swigluBackwardBound(packed, gradOutput, want, shape);
    const report = checkBounded(got, want, (i) => bound[i]);
    worst.swiglu = Math.max(worst.swiglu ?? 0, report.worstRatio);
    expect(report.failures, `${report.failures} over the bound, first ${report.first}`).toBe(0);
  });
});

describe('bad arguments are refused with the value named', () => {
  test('op, count, sizes and aliasing', async () => {
    const gpu = await testGpu();
    const k = await kernel;
    const [x, dy, dx] = ['x', 'dy', 'dx'].map((n) => storage(gpu, 64, `bad:${n}`));
    const pass = gpu.device.createCommandEncoder().beginComputePass();
    expect(() => k.encodeUnary(pass, 'relu' as 'gelu', x, dy, dx, 4)).toThrow(
      /activation backward: op must be "gelu" or "silu", got relu/,
    );
    expect(() => k.encodeUnary(pass, 'gelu', x, dy, dx, 0)).toThrow(
      /count must be an integer in 1\.\.\d+, got 0/,
    );
    expect(() => k.encodeUnary(pass, 'silu', x, dy, dx, 17)).toThrow(
      /x \(forward input\) buffer "bad:x" has 64 bytes but the shape needs 68/,
    );
    expect(() => k.encodeUnary(pass, 'gelu', x, dy, dy, 4)).toThrow(/dX and dY are the same buffer "bad:dy"/);
    expect(() => k.encodeSwiGlu(pass, x, dy, dx, { rows: 3, intermediate: 3 })).toThrow(
      /swiglu backward: packed gate\/up buffer "bad:x" has 64 bytes but the shape needs 72/,
    );
    expect(() => k.encodeSwiGlu(pass, x, dy, x, { rows: 1, intermediate: 4 })).toThrow(
      /packed dGate\/dUp and packed gate\/up are the same buffer "bad:x"/,
    );
    pass.end();
  });
});
