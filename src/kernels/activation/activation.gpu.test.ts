// Parity of GELU, SiLU, SwiGLU and the residual add with the f64 reference, on lengths that are
// not multiples of the workgroup, the tails (+-20, +-1e4, x^3 overflow at +-1e13, +-3e38) and
// both SwiGLU layouts. Criterion: sigmoidFormBound (./testing.ts), from WGSL's exp accuracy.
import { afterAll, describe, expect, test } from 'vitest';
import { submitPass } from '../../gpu/dispatch';
import { readFloat32, uploadStorage } from '../../gpu/readback';
import { testGpu } from '../../testing/gpu';
import { storage } from '../../testing/run';
import { ActivationKernel, ResidualAddKernel, type UnaryActivation } from './activation';
import { swigluReference, unaryReference, unpackGateUp } from './reference';
import { activationInputs, checkBounded, geluArgument, sigmoidFormBound } from './testing';

const kernel = testGpu().then((gpu) => ActivationKernel.create(gpu, 'activation-test'));
const worst: Record<string, number> = {};
afterAll(() => {
  const text = Object.entries(worst).map(([k, v]) => `${k} ${v.toFixed(3)}`);
  console.warn(`activation parity: worst |gpu - ref| / bound: ${text.join(', ')}`);
});

function expectBounded(name: string, got: Float32Array, want: Float64Array, bound: (i: number) => number) {
  const report = checkBounded(got, want, bound);
  worst[name] = Math.max(worst[name] ?? 0, report.worstRatio);
  expect(report.failures, `${report.failures} over the bound, first ${report.first}`).toBe(0);
}

const argumentOf = (op: UnaryActivation, x: number) => (op === 'gelu' ? geluArgument(x) : x);

describe.each(['gelu', 'silu'] as const)('%s matches the f64 reference', (op) => {
  test.each([1, 28, 257, 5003])('count %i, out of place and in place', async (count) => {
    const gpu = await testGpu();
    const input = activationInputs(count, count);
    const want = unaryReference(op, input);
    const source = uploadStorage(gpu, input, 'act-test:in');
    const target = storage(gpu, count * 4, 'act-test:out');
    const k = await kernel;
    await submitPass(gpu, 'act-test', (pass) => k.encodeUnary(pass, op, source, target, count));
    const outOfPlace = await readFloat32(gpu, target, count);
    await submitPass(gpu, 'act-test-in-place', (pass) => k.encodeUnary(pass, op, source, source, count));
    const inPlace = await readFloat32(gpu, source, count);
    source.destroy();
    target.destroy();
    expect(gpu.takeUncapturedErrors()).toEqual([]);
    const bound = (i: number) => sigmoidFormBound(argumentOf(op, input[i]), want[i], input[i]);
    expectBounded(op, outOfPlace, want, bound);
    expect(inPlace).toEqual(outOfPlace);
    // The tails exactly: large positive x passes through, large negative x gives -0 (no NaN).
    for (const [x, y] of [
      [1e4, 1e4],
      [-1e4, -0],
      [1e13, 1e13],
      [-3e38, -0],
    ]) {
      const i = Array.from(input).indexOf(x);
      if (i >= 0) expect(outOfPlace[i], `${op}(${x})`).toBe(y);
    }
  });
});

describe('SwiGLU matches the f64 reference', () => {
  const cases = [
    { rows: 1, intermediate: 4864 },
    { rows: 3, intermediate: 1001 },
    { rows: 17, intermediate: 64 },
  ];
  test.each(cases)('packed [rows, 2I] and separate buffers, rows $rows I $intermediate', async (shape) => {
    const gpu = await testGpu();
    const k = await kernel;
    const { rows, intermediate } = shape;
    const packed = activationInputs(rows + intermediate, rows * 2 * intermediate, 3);
    const { gate, up } = unpackGateUp(packed, rows, intermediate);
    // Rounded to f32: silu(3e38) * 1.8 overflows f32, and Infinity is then the right answer.
    const want = swigluReference(gate, up).map(Math.fround);
    const buffers = [packed, gate, up].map((data, i) => uploadStorage(gpu, data, `swiglu-test:${i}`));
    const outputs = [0, 1].map((i) => storage(gpu, rows * intermediate * 4, `swiglu-test:out${i}`));
    await submitPass(gpu, 'swiglu-test', (pass) => k.encodeSwiGlu(pass, buffers[0], outputs[0], shape));
    await submitPass(gpu, 'swiglu-test', (pass) =>
      k.encodeSwiGluSeparate(pass, buffers[1], buffers[2], outputs[1], shape),
    );
    const [fromPacked, fromSeparate] = await Promise.all(
      outputs.map((b) => readFloat32(gpu, b, rows * intermediate)),
    );
    for (const b of [...buffers, ...outputs]) b.destroy();
    expect(gpu.takeUncapturedErrors()).toEqual([]);
    // silu(g) * up: silu's bound plus one rounding of the product.
    const bound = (i: number) =>
      sigmoidFormBound(gate[i], want[i], gate[i] * up[i]) + 2 ** -24 * Math.abs(want[i]);
    expectBounded('swiglu', fromPacked, want, bound);
    expect(fromSeparate).toEqual(fromPacked);
  });
});

describe('residual add', () => {
  test('target += addend is the f32 sum, exactly (count 5003)', async () => {
    const gpu = await testGpu();
    const add = await ResidualAddKernel.create(gpu, 'residual-add-test');
    const a = activationInputs(1, 5003, 1e3);
    const b = activationInputs(2, 5003, 1);
    const [target, addend] = [a, b].map((d, i) => uploadStorage(gpu, d, `add-test:${i}`));
    await submitPass(gpu, 'add-test', (pass) => add.encode(pass, target, addend, 5003));
    const got = await readFloat32(gpu, target, 5003);
    target.destroy();
    addend.destroy();
    add.destroy();
    expect(got).toEqual(Float32Array.from(a, (x, i) => x + b[i]));
  });
});

describe('bad arguments are refused with the value named', () => {
  test('unary, swiglu and add', async () => {
    const gpu = await testGpu();
    const k = await kernel;
    const add = await ResidualAddKernel.create(gpu, 'residual-add-bad');
    const small = storage(gpu, 64, 'bad:small');
    const other = storage(gpu, 64, 'bad:other');
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    const relu = 'relu' as UnaryActivation;
    expect(() => k.encodeUnary(pass, relu, small, other, 4)).toThrow(/op must be "gelu" or "silu", got relu/);
    expect(() => k.encodeUnary(pass, 'gelu', small, other, 0)).toThrow(
      /count must be an integer in 1\.\.\d+, got 0/,
    );
    expect(() => k.encodeUnary(pass, 'silu', small, other, 17)).toThrow(
      /input buffer "bad:small" has 64 bytes but the shape needs 68/,
    );
    expect(() => k.encodeSwiGlu(pass, small, other, { rows: 2, intermediate: 5 })).toThrow(
      /swiglu: packed gate\/up buffer "bad:small" has 64 bytes but the shape needs 80/,
    );
    expect(() => k.encodeSwiGlu(pass, small, small, { rows: 1, intermediate: 4 })).toThrow(
      /output and packed gate\/up are the same buffer "bad:small"/,
    );
    expect(() => k.encodeSwiGluSeparate(pass, small, other, other, { rows: 1, intermediate: 4 })).toThrow(
      /output and up are the same buffer "bad:other"/,
    );
    expect(() => add.encode(pass, small, small, 4)).toThrow(/target and addend are the same buffer/);
    pass.end();
    add.destroy();
  });
});
