// Parity of the optimizer step (gradient norm, clipping, AdamW) with the f64 reference over
// several steps on tensors of 1, 7, 1000 and 65,537 entries (not multiples of the workgroup),
// clipping active, inactive and off; a NaN/Inf gradient skips the step bit-exactly; the norm is
// deterministic; bad arguments are refused with the value named. Bounds: ./testing.ts.
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { readUint32 } from '../../gpu/readback';
import { submitPass } from '../../gpu/dispatch';
import { testGpu } from '../../testing/gpu';
import { storage } from '../../testing/run';
import { CheckResources } from '../logits/checks-support';
import { AdamWKernel } from './adamw';
import { gradientStatsBytes, GradientNormKernel, readGradientStats } from './gradient-norm';
import { ADAMW_DEFAULTS } from './params';
import { compareOptimizerSteps, type OptimizerComparison } from './testing';
import { zeroGradients } from './zero';

const SIZES = [1, 7, 1000, 65_537];
const worst = { norm: 0, moments: 0, parameters: 0 };
let resources: CheckResources | null = null;
afterEach(() => resources?.destroy());
afterAll(() => {
  console.warn(
    `optimizer parity: worst |gpu - ref| / bound: norm ${worst.norm.toFixed(3)}, ` +
      `moments ${worst.moments.toFixed(3)}, parameters ${worst.parameters.toFixed(3)}`,
  );
});

function record(result: OptimizerComparison) {
  worst.norm = Math.max(worst.norm, result.worst.norm);
  worst.moments = Math.max(worst.moments, result.worst.moments);
  worst.parameters = Math.max(worst.parameters, result.worst.parameters);
  expect(result.failures, result.failures.slice(0, 3).join('; ')).toEqual([]);
}

describe('AdamW with global-norm clipping matches the f64 reference over several steps', () => {
  test.each([
    ['clipping active (maxNorm 1, norms in the hundreds)', 1],
    ['clipping inactive (maxNorm 1e6)', 1e6],
    ['clipping off (maxNorm Infinity)', Infinity],
  ])('%s', async (_name, maxGradientNorm) => {
    const gpu = await testGpu();
    resources = new CheckResources(gpu, 'optimizer-test');
    const result = await compareOptimizerSteps(gpu, resources, {
      sizes: SIZES,
      steps: 4,
      maxGradientNorm,
      seed: 11,
    });
    expect(gpu.takeUncapturedErrors()).toEqual([]);
    record(result);
    expect(result.skippedSteps).toBe(0);
  });
});

describe('a NaN/Inf gradient skips the step', () => {
  test.each([
    ['in the largest tensor', 3],
    ['in the one-entry tensor', 0],
  ])('%s: p, m, v unchanged bit for bit, the tensor named, later steps match', async (_name, tensor) => {
    const gpu = await testGpu();
    resources = new CheckResources(gpu, 'optimizer-nan-test');
    const poison = { step: 2, tensor };
    const result = await compareOptimizerSteps(gpu, resources, {
      sizes: SIZES,
      steps: 3,
      maxGradientNorm: 1,
      seed: 5,
      poison,
    });
    expect(gpu.takeUncapturedErrors()).toEqual([]);
    record(result);
    expect(result.skippedSteps).toBe(1);
  });
});

describe('gradient norm', () => {
  test('deterministic: the same gradients give the same bits; overflow reports Infinity', async () => {
    const gpu = await testGpu();
    resources = new CheckResources(gpu, 'norm-determinism');
    const kernel = resources.own(await GradientNormKernel.create(gpu, [70_001, 3]));
    const big = Float32Array.from({ length: 70_001 }, (_, i) => Math.sin(i) * 10 ** (i % 7));
    const gradients = [resources.upload(big, 'a'), resources.upload(new Float32Array([3e19, 0, 1]), 'b')];
    const stats = resources.storage(gradientStatsBytes(2), 'stats');
    const runs: number[][] = [];
    for (let run = 0; run < 2; run++) {
      await submitPass(gpu, 'norm', (pass) => kernel.encode(pass, gradients, stats));
      runs.push(Array.from(await readUint32(gpu, stats, 6)));
    }
    expect(runs[1]).toEqual(runs[0]);
    const read = await readGradientStats(gpu, stats, 2);
    expect(read.norm).toBe(Infinity);
    expect(read.nonFinite).toBe(0);
  });

  test('zeroGradients clears the buffers', async () => {
    const gpu = await testGpu();
    resources = new CheckResources(gpu, 'zero');
    const gradient = resources.upload(new Float32Array([1, 2, 3, 4, 5]), 'g');
    const encoder = gpu.device.createCommandEncoder();
    zeroGradients(encoder, [gradient]);
    gpu.device.queue.submit([encoder.finish()]);
    expect(Array.from(await readUint32(gpu, gradient, 5))).toEqual([0, 0, 0, 0, 0]);
    const noCopy = resources.own(
      gpu.device.createBuffer({ label: 'bad:g', size: 16, usage: GPUBufferUsage.STORAGE }),
    );
    expect(() => zeroGradients(gpu.device.createCommandEncoder(), [noCopy])).toThrow(
      /gradient buffer "bad:g" lacks COPY_DST usage/,
    );
  });
});

describe('bad arguments are refused with the value named', () => {
  test('sizes, buffer counts, short buffers, aliasing, hyper-parameters', async () => {
    const gpu = await testGpu();
    resources = new CheckResources(gpu, 'bad');
    await expect(GradientNormKernel.create(gpu, [4, 0])).rejects.toThrow(
      /gradient norm: entries of gradient tensor 1 must be an integer in 1\.\.1073741824, got 0/,
    );
    const norm = resources.own(await GradientNormKernel.create(gpu, [8]));
    const adam = resources.own(await AdamWKernel.create(gpu, 1));
    const short = resources.own(storage(gpu, 16, 'bad:short'));
    const [p, g, m, v] = [0, 1, 2, 3].map(() => resources!.storage(32, 'x'));
    const stats = resources.storage(gradientStatsBytes(1), 'stats');
    const hyper = { ...ADAMW_DEFAULTS, learningRate: 1e-3, step: 1 };
    const pass = gpu.device.createCommandEncoder().beginComputePass();
    expect(() => norm.encode(pass, [short], stats)).toThrow(
      /gradient norm: gradient 0 buffer "bad:short" has 16 bytes but the shape needs 32/,
    );
    expect(() => norm.encode(pass, [g, g], stats)).toThrow(
      /got 2 gradient buffers but the kernel was created for 1/,
    );
    const tensor = { parameter: p, gradient: g, firstMoment: m, secondMoment: v, count: 8, decay: true };
    expect(() => adam.encode(pass, [{ ...tensor, secondMoment: m }], stats, hyper)).toThrow(
      /adamw: first moment 0 and second moment 0 are the same buffer/,
    );
    expect(() => adam.encode(pass, [tensor], stats, { ...hyper, beta2: 1 })).toThrow(
      /adamw: beta2 must be in \[0, 1\), got 1/,
    );
    expect(() => adam.encode(pass, [{ ...tensor, count: 9 }], stats, hyper)).toThrow(
      /adamw: parameter 0 buffer "bad:x" has 32 bytes but the shape needs 36/,
    );
    pass.end();
  });
});
