// Parity of shaders/cosine.wgsl with the f64 reference, in Chromium with WebGPU.
// Tolerance: COSINE_TOLERANCE (atol 1e-5 on cosines; reasoning in ./checks.ts); positions exact.
import { afterAll, describe, expect, it } from 'vitest';
import { KernelInputError } from '../../gpu/errors';
import { uploadStorage } from '../../gpu/readback';
import { testGpu } from '../../testing/gpu';
import { checks, compareMaxCosine, gpuMaxCosine, hardCosineCase } from './checks';
import { CosineKernels } from './cosine';
import { maxCosineReference } from './reference';

const ready = testGpu().then(async (gpu) => ({
  gpu,
  kernels: await CosineKernels.create(gpu, 'cosine-test'),
}));
afterAll(async () => (await ready).kernels.destroy());

describe('max cosine vs the f64 reference', () => {
  it.each([
    [1, 1, 1],
    [33, 4, 255],
    [257, 10, 256],
    [1000, 10, 257],
    [64, 3, 9],
  ])('d=%i, %i candidates, %i context rows (hard rows mixed in)', async (dim, k, n) => {
    const { gpu, kernels } = await ready;
    const input = hardCosineCase(dim * 7 + n, dim, k, n);
    const actual = await gpuMaxCosine(gpu, kernels, input);
    expect(compareMaxCosine(actual, maxCosineReference(input.candidates, input.context))).toBeNull();
    expect(gpu.takeUncapturedErrors()).toEqual([]);
  });

  it('pins the hard cases: zero vectors, magnitudes, ties and opposite rows', async () => {
    const { gpu, kernels } = await ready;
    const input = hardCosineCase(3, 300, 5, 20);
    const actual = await gpuMaxCosine(gpu, kernels, input);
    // The zero candidate is 0 against everything: its maximum is 0 at the first row.
    expect(actual[0]).toEqual({ maxCosine: 0, position: 0 });
    // 2^100 * row 6 equals rows 5 and 6 in direction: the tie goes to row 5.
    expect(actual[1].position).toBe(5);
    expect(actual[1].maxCosine).toBeCloseTo(1, 5);
    // A 2^-100 row keeps its direction (its squares would underflow without scaling).
    expect(Math.abs(actual[2].maxCosine)).toBeGreaterThan(0.05);
    // The context's zero row contributes cosine 0, never NaN.
    for (const r of actual) expect(Number.isFinite(r.maxCosine)).toBe(true);
  });

  it('an empty context gives no penalty and no position', async () => {
    const { gpu, kernels } = await ready;
    const input = hardCosineCase(9, 40, 3, 0);
    const actual = await gpuMaxCosine(gpu, kernels, input);
    expect(actual).toEqual(input.candidates.map(() => ({ maxCosine: 0, position: null })));
    expect(maxCosineReference(input.candidates, [])).toEqual(actual);
  });

  it('rejects NaN or infinite hidden states, in a candidate or in the context', async () => {
    const { gpu, kernels } = await ready;
    const input = hardCosineCase(11, 50, 2, 12);
    input.candidates[1][7] = NaN;
    await expect(gpuMaxCosine(gpu, kernels, input)).rejects.toThrow(KernelInputError);
    const poisoned = hardCosineCase(12, 50, 2, 12);
    poisoned.context[10][0] = Infinity;
    await expect(gpuMaxCosine(gpu, kernels, poisoned)).rejects.toThrow(/NaN or infinite/);
    expect(() => maxCosineReference(poisoned.candidates, poisoned.context)).toThrow(KernelInputError);
  });

  it('validates shapes and buffers before encoding', async () => {
    const { gpu, kernels } = await ready;
    const small = uploadStorage(gpu, new Float32Array(8), 'cosine-test:small');
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    try {
      expect(() =>
        kernels.encodeNormalize(pass, small, small, { dim: 4, rows: 1, inputRow: 0, outputRow: 0 }),
      ).toThrow(/in place/);
      expect(() =>
        kernels.encodeMaxCosine(pass, small, small, small, { dim: 4, candidates: 3, contextRows: 1 }),
      ).toThrow(/candidateUnits/);
      expect(() =>
        kernels.encodeMaxCosine(pass, small, small, small, { dim: 0, candidates: 1, contextRows: 1 }),
      ).toThrow(/dim must be/);
    } finally {
      pass.end();
      small.destroy();
    }
  });

  it('its Kernel check passes', async () => {
    const { gpu } = await ready;
    const result = await checks[0].run(gpu);
    console.warn(`${checks[0].id}: ${result.detail}`);
    expect(result.pass, result.detail).toBe(true);
  });
});
