// Parity of the LayerNorm / RMSNorm backward with the f64 reference: row lengths 1..4096 (not
// multiples of the workgroup) on every workgroup size the rows pass picks, up to 300 rows, every
// hard row kind of the forward tests (constant rows, 1e4 offsets, 1e20 and 3e38 magnitudes, 1e-20,
// zeros, a 1e6 spike). Criterion: the rounding bounds of ./testing.ts (derived there). Also:
// accumulation, bitwise determinism, bad arguments.
import { afterAll, describe, expect, test } from 'vitest';
import { testGpu } from '../../testing/gpu';
import { gaussianArray } from '../matmul/testing';
import { normWorkgroupSize } from '../norm/norm';
import { ROW_WORKGROUP_SIZES } from '../norm/row-workgroup';
import { makeNormParameters, makeRows, ROW_KINDS } from '../norm/testing';
import { storage } from '../../testing/run';
import { LayerNormBackwardKernel, RmsNormBackwardKernel } from './norm-backward';
import { normBackwardReference } from './reference';
import { checkWithin, normBackwardBounds, runNormBackward, type NormBackwardRun } from './testing';

// The first four run on 32, 64, 128 and 256 threads per row (normWorkgroupSize), the rest on 32.
const SHAPES = [
  { rows: 8, dim: 768 },
  { rows: 8, dim: 896 },
  { rows: 8, dim: 2000 },
  { rows: 8, dim: 4096 },
  { rows: 8, dim: 7 },
  { rows: 3, dim: 1 },
  { rows: 16, dim: 16 },
  { rows: 300, dim: 64 },
  { rows: 8, dim: 320 },
];
const worst: Record<string, { ratio: number; where: string }> = {};
afterAll(() => {
  console.warn(
    `norm backward parity: worst |gpu - ref| / bound: ${Object.entries(worst)
      .map(([name, { ratio, where }]) => `${name} ${ratio.toFixed(3)} (${where})`)
      .join(', ')}`,
  );
});

const kernels = {
  layer: testGpu().then((gpu) => LayerNormBackwardKernel.create(gpu, 'layer-norm-backward-test')),
  rms: testGpu().then((gpu) => RmsNormBackwardKernel.create(gpu, 'rms-norm-backward-test')),
};

async function checkBackward(kind: 'layer' | 'rms', rows: number, dim: number, accumulate: boolean) {
  const gpu = await testGpu();
  const x = makeRows(rows * dim + 5, rows, dim, ROW_KINDS);
  const gradOutput = gaussianArray(rows * dim + 6, rows * dim);
  const { gamma } = makeNormParameters(dim + 2, dim);
  const eps = kind === 'layer' ? 1e-5 : 1e-6;
  const initial: NormBackwardRun | undefined = accumulate
    ? {
        gradInput: gaussianArray(7, rows * dim),
        gradGamma: gaussianArray(8, dim),
        gradBeta: gaussianArray(9, dim),
      }
    : undefined;
  const options = { eps, accumulate, accumulateInput: accumulate };
  const inputs = { gradOutput, x, gamma };
  const got = await runNormBackward(gpu, await kernels[kind], inputs, { rows, dim }, options, initial);
  expect(gpu.takeUncapturedErrors()).toEqual([]);
  const want = normBackwardReference(kind === 'layer', gradOutput, x, gamma, rows, dim, eps);
  const bounds = normBackwardBounds(want, gradOutput, gamma, rows, dim);
  if (initial) {
    // The stored sum adds one correctly rounded f32 addition (WGSL): at most u |sum| (the
    // worst ratio, ~0.86, is this rounding: the accumulated values are dominated by the preload).
    const add = (base: Float32Array, delta: Float64Array, bound: Float64Array) => {
      for (let i = 0; i < delta.length; i++) {
        delta[i] += base[i];
        bound[i] += 2 ** -24 * Math.abs(delta[i]);
      }
    };
    add(initial.gradInput, want.gradInput, bounds.gradInput);
    add(initial.gradGamma, want.gradGamma, bounds.gradGamma);
    add(initial.gradBeta, want.gradBeta, bounds.gradBeta);
  }
  const reports = [
    checkWithin('dX', got.gradInput, want.gradInput, bounds.gradInput),
    checkWithin('dGamma', got.gradGamma, want.gradGamma, bounds.gradGamma),
  ];
  if (kind === 'layer') reports.push(checkWithin('dBeta', got.gradBeta, want.gradBeta, bounds.gradBeta));
  for (const report of reports) {
    const name = `${kind} ${report.name}`;
    const where = `rows ${rows} d ${dim} row ${Math.floor(report.worstAt / dim)} [${report.worstAt % dim}]`;
    if (!(report.worst <= (worst[name]?.ratio ?? 0))) worst[name] = { ratio: report.worst, where };
    expect(report.failures, `${report.failures} over the bound, first ${report.first}`).toBe(0);
  }
  // RMSNorm has no beta: its dBeta buffer is never written.
  if (kind === 'rms') expect(got.gradBeta).toEqual(initial?.gradBeta ?? new Float32Array(dim));
}

test('the shapes cover every workgroup size', () => {
  expect(SHAPES.slice(0, 4).map(({ dim }) => normWorkgroupSize(dim))).toEqual([...ROW_WORKGROUP_SIZES]);
});

describe.each(['layer', 'rms'] as const)('%s norm backward matches the f64 reference', (kind) => {
  test.each(SHAPES)('rows $rows d $dim', ({ rows, dim }) => checkBackward(kind, rows, dim, false));
  test('accumulating into dX, dGamma, dBeta (rows 8 d 768)', () => checkBackward(kind, 8, 768, true));
  test('bitwise deterministic across runs (rows 300 d 64)', async () => {
    const gpu = await testGpu();
    const [rows, dim] = [300, 64];
    const inputs = {
      gradOutput: gaussianArray(1, rows * dim),
      x: makeRows(2, rows, dim, ROW_KINDS),
      gamma: makeNormParameters(3, dim).gamma,
    };
    const kernel = await kernels[kind];
    const first = await runNormBackward(gpu, kernel, inputs, { rows, dim }, { eps: 1e-5 });
    const second = await runNormBackward(gpu, kernel, inputs, { rows, dim }, { eps: 1e-5 });
    expect(second).toEqual(first);
  });
});

describe('bad arguments are refused with the value named', () => {
  test('shapes, eps, sizes and aliasing', async () => {
    const gpu = await testGpu();
    const kernel = await kernels.layer;
    const [dy, x, gamma, dx, dGamma, dBeta, stats] = ['dy', 'x', 'gamma', 'dx', 'dg', 'db', 'stats'].map(
      (n) => storage(gpu, 64, `bad:${n}`),
    );
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    const encode = (shape: { rows: number; dim: number }, eps: number, out = dx, gradGamma = dGamma) =>
      kernel.encode(pass, dy, x, gamma, out, gradGamma, dBeta, stats, shape, { eps });
    expect(() => encode({ rows: 1, dim: 0 }, 1e-5)).toThrow(
      /layer norm backward: dim \(row length d\) must be an integer in 1\.\.65536, got 0/,
    );
    expect(() => encode({ rows: 1, dim: 4 }, -1)).toThrow(/eps must be a finite number > 0, got -1/);
    expect(() => encode({ rows: 2, dim: 16 }, 1e-5)).toThrow(
      /dY \(gradient of the output\) buffer "bad:dy" has 64 bytes but the shape needs 128/,
    );
    expect(() => encode({ rows: 5, dim: 1 }, 1e-5)).toThrow(
      /statistics workspace buffer "bad:stats" has 64 bytes but the shape needs 80/,
    );
    expect(() => encode({ rows: 1, dim: 4 }, 1e-5, x)).toThrow(/dX and x are the same buffer "bad:x"/);
    expect(() => encode({ rows: 1, dim: 4 }, 1e-5, dx, dBeta)).toThrow(
      /dGamma and dBeta are the same buffer "bad:db"/,
    );
    pass.end();
  });
});
