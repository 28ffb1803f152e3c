// Parity of shaders/f16-to-f32.wgsl with the reference, in Chromium with WebGPU: bit-exact (every
// half is exact in f32) on every half pattern, odd lengths and offsets, the grid-stride loop,
// several copies in one pass (how the ONNX backend gathers logit rows), and input validation.
import { afterAll, describe, expect, it } from 'vitest';
import { KernelInputError } from '../../gpu/errors';
import { uploadStorage } from '../../gpu/readback';
import { describeKernelChecks } from '../../testing/checks';
import { testGpu } from '../../testing/gpu';
import {
  allHalfPatterns,
  checks,
  compareConversion,
  runConversion,
  sentinelOutput,
  uploadHalves,
} from './checks';
import { F16ToF32Kernel, halfWordsBytes } from './f16-to-f32';
import { halfToSingleReference } from './reference';

const ready = testGpu().then(async (gpu) => ({
  gpu,
  kernel: await F16ToF32Kernel.create(gpu, { label: 'f16-to-f32-test' }),
}));
afterAll(async () => (await ready).kernel.destroy());

/** Hard halves first (both zeros, smallest and largest subnormal, 65504, infinities, NaNs), then all. */
const HARD = [0x8000, 0x0001, 0x8001, 0x03ff, 0x0400, 0x7bff, 0xfbff, 0x7c00, 0xfc00, 0x7e00, 0xfc01, 0x0000];
const halves = Uint16Array.from([...HARD, ...allHalfPatterns(7)]);

describe('f16 -> f32 vs the reference', () => {
  it('is bit-exact on every half pattern, NaN payloads aside', async () => {
    const { gpu, kernel } = await ready;
    const input = uploadHalves(gpu, halves, 'f16-to-f32-test:all');
    const output = sentinelOutput(gpu, halves.length, 'f16-to-f32-test:all-out');
    try {
      const got = await runConversion(gpu, kernel, [{ input, output, count: halves.length }], output);
      const expected = halfToSingleReference(halves, halves.length);
      expect(compareConversion(got, expected, 0, halves)).toBeNull();
      // Spelled out for the cases the kernel builds from bits rather than unpack2x16float.
      const value = (k: number) => new Float32Array(got.buffer)[k];
      expect(Object.is(value(0), -0)).toBe(true);
      expect(value(1)).toBe(2 ** -24);
      expect(value(2)).toBe(-(2 ** -24));
      expect(value(3)).toBe(1023 * 2 ** -24);
      expect(value(5)).toBe(65504);
      expect(value(7)).toBe(Infinity);
      expect(value(8)).toBe(-Infinity);
      expect(value(9)).toBeNaN();
      expect(value(10)).toBeNaN();
      expect(Object.is(value(11), 0)).toBe(true);
      expect(gpu.takeUncapturedErrors()).toEqual([]);
    } finally {
      input.destroy();
      output.destroy();
    }
  });

  it.each([
    [1, 0, 0],
    [1, 1, 3],
    [2, 1, 1],
    [3, 0, 2],
    [255, 3, 0],
    [257, 12, 7],
    [1001, 4097, 1],
  ])('count %i from element %i into element %i: only that range is written', async (count, from, to) => {
    const { gpu, kernel } = await ready;
    // Exactly the words the range needs (the last one half used when from + count is odd).
    const used = halves.subarray(0, from + count + ((from + count) % 2));
    const input = uploadHalves(gpu, used, `f16-to-f32-test:${count}`);
    const output = sentinelOutput(gpu, to + count + 3, `f16-to-f32-test:${count}-out`);
    try {
      const copy = { input, output, count, inputOffset: from, outputOffset: to };
      const got = await runConversion(gpu, kernel, [copy], output);
      const expected = halfToSingleReference(halves, count, from);
      expect(compareConversion(got, expected, to, halves.subarray(from))).toBeNull();
      expect(gpu.takeUncapturedErrors()).toEqual([]);
    } finally {
      input.destroy();
      output.destroy();
    }
  });

  it('loops when the count exceeds its workgroups (grid stride)', async () => {
    const { gpu } = await ready;
    const small = await F16ToF32Kernel.create(gpu, { label: 'f16-to-f32-test:stride', maxWorkgroups: 3 });
    const count = 5 * 3 * 256 + 77;
    const input = uploadHalves(gpu, halves, 'f16-to-f32-test:stride');
    const output = sentinelOutput(gpu, count + 1, 'f16-to-f32-test:stride-out');
    try {
      const got = await runConversion(
        gpu,
        small,
        [{ input, output, count, inputOffset: 1, outputOffset: 1 }],
        output,
      );
      expect(
        compareConversion(got, halfToSingleReference(halves, count, 1), 1, halves.subarray(1)),
      ).toBeNull();
    } finally {
      small.destroy();
      input.destroy();
      output.destroy();
    }
  });

  it('runs several copies from several inputs into one output in one pass (row gather)', async () => {
    const { gpu, kernel } = await ready;
    const vocab = 61; // odd: rows start at odd elements
    const first = uploadHalves(gpu, halves.subarray(0, 3 * vocab + 1), 'f16-to-f32-test:run-a');
    const second = uploadHalves(gpu, halves.subarray(1000, 1000 + 2 * vocab), 'f16-to-f32-test:run-b');
    const output = sentinelOutput(gpu, 4 * vocab, 'f16-to-f32-test:rows');
    try {
      // Rows 1..2 of the first run -> output rows 0..1; row 1 of the second -> output row 3.
      const got = await runConversion(
        gpu,
        kernel,
        [
          { input: first, output, count: 2 * vocab, inputOffset: vocab, outputOffset: 0 },
          { input: second, output, count: vocab, inputOffset: vocab, outputOffset: 3 * vocab },
        ],
        output,
      );
      const rowsOf = (from: number, to: number) => got.subarray(from * vocab, to * vocab);
      expect(compareConversion(rowsOf(0, 2), halfToSingleReference(halves, 2 * vocab, vocab), 0)).toBeNull();
      // Row 2 was not asked for: it keeps its sentinels.
      expect(compareConversion(rowsOf(2, 3), new Float32Array(0), 0)).toBeNull();
      expect(
        compareConversion(got.subarray(3 * vocab), halfToSingleReference(halves, vocab, 1000 + vocab), 0),
      ).toBeNull();
      expect(gpu.takeUncapturedErrors()).toEqual([]);
    } finally {
      first.destroy();
      second.destroy();
      output.destroy();
    }
  });

  it('validates counts, offsets and buffers before encoding, naming the copy', async () => {
    const { gpu, kernel } = await ready;
    const input = uploadStorage(gpu, new Uint32Array(4), 'f16-to-f32-test:small'); // 16 bytes: 8 halves
    const output = uploadStorage(gpu, new Float32Array(8), 'f16-to-f32-test:small-out');
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    try {
      expect(halfWordsBytes(7, 1)).toBe(16);
      expect(halfWordsBytes(7, 2)).toBe(20);
      const encode = (copy: Partial<Parameters<F16ToF32Kernel['encode']>[1][number]>) => () =>
        kernel.encode(pass, [{ input, output, count: 1, ...copy }]);
      expect(encode({ count: 0 })).toThrow(KernelInputError);
      expect(encode({ count: 1.5 })).toThrow(/count must be an integer/);
      expect(encode({ inputOffset: -1 })).toThrow(/inputOffset must be an integer/);
      expect(encode({ count: 2, inputOffset: 7 })).toThrow(
        /input \(f16\) buffer .* has 16 bytes but the shape needs 20/,
      );
      expect(encode({ count: 8, outputOffset: 1 })).toThrow(
        /output \(f32\) buffer .* has 32 bytes but the shape needs 36/,
      );
      expect(encode({ output: input })).toThrow(/output and input are the same buffer/);
      expect(() =>
        kernel.encode(pass, [
          { input, output, count: 1 },
          { input, output, count: 9 },
        ]),
      ).toThrow(/copy 1: input \(f16\)/);
    } finally {
      pass.end();
      input.destroy();
      output.destroy();
    }
  });
});

describeKernelChecks('f16-to-f32', checks, ['f16-to-f32/every-half']);
