// Parity of LayerNorm and RMSNorm with the f64 reference: row lengths 1..4096 (not multiples of
// the workgroup) on every workgroup size the kernels pick, up to 300 rows, every hard row kind
// (constant rows, 1e4 offsets, 1e20 and 3e38 magnitudes, 1e-20, zeros, a 1e6 spike), plain and
// fused with the residual add. Criterion: the rounding bounds of ./testing.ts (derived there),
// constant LayerNorm rows exactly beta.
import { afterAll, describe, expect, test } from 'vitest';
import { testGpu } from '../../testing/gpu';
import { storage } from '../../testing/run';
import { LayerNormKernel, normWorkgroupSize, RmsNormKernel } from './norm';
import { ROW_WORKGROUP_SIZES } from './row-workgroup';
import { layerNormReference, residualAddReference, rmsNormReference } from './reference';
import { layerNormBound, makeNormParameters, makeRows, rmsNormBound, ROW_KINDS, runNorm } from './testing';

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
const EVERY_SIZE = SHAPES.slice(0, 4);
const worst = { layer: 0, rms: 0 };
afterAll(() => {
  console.warn(
    `norm parity: worst |gpu - ref| / bound: LayerNorm ${worst.layer.toFixed(3)}, RMSNorm ${worst.rms.toFixed(3)}`,
  );
});

const layer = testGpu().then((gpu) => LayerNormKernel.create(gpu, 'layer-norm-test'));
const rms = testGpu().then((gpu) => RmsNormKernel.create(gpu, 'rms-norm-test'));

function compare(
  kind: 'layer' | 'rms',
  got: Float32Array,
  want: Float64Array,
  dim: number,
  bound: (i: number, rowMax: number) => number,
  magnitude: (i: number) => number = (i) => Math.abs(want[i]),
) {
  let failures = 0;
  let first = '';
  for (let r = 0; r < want.length / dim; r++) {
    let rowMax = 0;
    for (let i = 0; i < dim; i++) rowMax = Math.max(rowMax, magnitude(r * dim + i));
    for (let i = r * dim; i < (r + 1) * dim; i++) {
      const limit = bound(i, rowMax);
      const ratio = Math.abs(got[i] - want[i]) / limit;
      worst[kind] = Math.max(worst[kind], Number.isNaN(ratio) ? Infinity : ratio);
      if (!(ratio <= 1) && failures++ === 0) first = `[row ${r}, ${i - r * dim}] GPU ${got[i]} vs ${want[i]}`;
    }
  }
  expect(failures, `${failures} over the bound, first ${first}`).toBe(0);
}

async function checkLayerNorm(rows: number, dim: number, fused: boolean) {
  const gpu = await testGpu();
  const a = makeRows(rows * dim + 1, rows, dim, ROW_KINDS);
  const delta = fused ? makeRows(rows * dim + 2, rows, dim, ['gaussian', 'zeros']) : undefined;
  const { gamma, beta } = makeNormParameters(dim, dim);
  const eps = 1e-5;
  const result = await runNorm(gpu, await layer, a, gamma, beta, { rows, dim }, eps, delta);
  expect(gpu.takeUncapturedErrors()).toEqual([]);
  const x = delta ? residualAddReference(a, delta) : a;
  if (delta) expect(result.residual).toEqual(x);
  const want = layerNormReference(x, gamma, beta, rows, dim, eps);
  // y^ = (y - beta) / gamma, the normalized value the bound is stated in.
  const normalized = (i: number) => (want[i] - beta[i % dim]) / gamma[i % dim];
  compare(
    'layer',
    result.output,
    want,
    dim,
    (i, rowMax) => layerNormBound(normalized(i), rowMax, gamma[i % dim], beta[i % dim], dim),
    (i) => Math.abs(normalized(i)),
  );
  // Constant rows (and zeros) give exactly beta: the shifted mean is exact.
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * dim, (r + 1) * dim);
    if (row.every((v) => v === row[0])) {
      expect(Array.from(result.output.subarray(r * dim, (r + 1) * dim)), `constant row ${r}`).toEqual(
        Array.from(beta),
      );
    }
  }
}

async function checkRmsNorm(rows: number, dim: number, fused: boolean) {
  const gpu = await testGpu();
  const a = makeRows(rows * dim + 3, rows, dim, ROW_KINDS);
  const delta = fused ? makeRows(rows * dim + 4, rows, dim, ['gaussian', 'zeros']) : undefined;
  const { gamma } = makeNormParameters(dim + 1, dim);
  const eps = 1e-6;
  const result = await runNorm(gpu, await rms, a, gamma, null, { rows, dim }, eps, delta);
  expect(gpu.takeUncapturedErrors()).toEqual([]);
  const x = delta ? residualAddReference(a, delta) : a;
  if (delta) expect(result.residual).toEqual(x);
  const want = rmsNormReference(x, gamma, rows, dim, eps);
  compare('rms', result.output, want, dim, (i) => rmsNormBound(want[i], dim));
}

test('the shapes cover every workgroup size', () => {
  expect(EVERY_SIZE.map(({ dim }) => normWorkgroupSize(dim))).toEqual([...ROW_WORKGROUP_SIZES]);
});

describe('LayerNorm matches the f64 reference', () => {
  test.each(SHAPES)('rows $rows d $dim', ({ rows, dim }) => checkLayerNorm(rows, dim, false));
  test.each(EVERY_SIZE)('fused residual add, rows $rows d $dim', ({ rows, dim }) =>
    checkLayerNorm(rows, dim, true),
  );
});

describe('RMSNorm matches the f64 reference', () => {
  test.each(SHAPES)('rows $rows d $dim', ({ rows, dim }) => checkRmsNorm(rows, dim, false));
  test.each(EVERY_SIZE)('fused residual add, rows $rows d $dim', ({ rows, dim }) =>
    checkRmsNorm(rows, dim, true),
  );
});

describe('bad arguments are refused with the value named', () => {
  test.each([
    [
      'dim 0',
      { rows: 1, dim: 0 },
      1e-5,
      /layer norm: dim \(row length d\) must be an integer in 1\.\.65536, got 0/,
    ],
    ['rows 1.5', { rows: 1.5, dim: 4 }, 1e-5, /layer norm: rows must be an integer in 1\.\.65535, got 1\.5/],
    ['eps 0', { rows: 1, dim: 4 }, 0, /layer norm: eps must be a finite number > 0, got 0/],
    [
      'input too short',
      { rows: 2, dim: 8 },
      1e-5,
      /input buffer "bad:x" has 32 bytes but the shape needs 64/,
    ],
  ])('%s', async (_name, shape, eps, message) => {
    const gpu = await testGpu();
    const kernel = await layer;
    const [x, gamma, beta, out] = ['x', 'gamma', 'beta', 'out'].map((n) => storage(gpu, 32, `bad:${n}`));
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    expect(() => kernel.encode(pass, x, gamma, beta, out, shape, eps)).toThrow(message);
    expect(() => kernel.encode(pass, x, gamma, beta, x, { rows: 1, dim: 4 }, 1e-5)).toThrow(
      /output and input are the same buffer "bad:x"/,
    );
    pass.end();
  });

  test('RMSNorm residual aliased with delta', async () => {
    const gpu = await testGpu();
    const kernel = await rms;
    const [x, gamma, out] = ['x', 'gamma', 'out'].map((n) => storage(gpu, 64, `bad:${n}`));
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    expect(() => kernel.encodeResidual(pass, x, x, gamma, out, { rows: 1, dim: 4 }, 1e-6)).toThrow(
      /rms norm: residual and delta are the same buffer "bad:x"/,
    );
    pass.end();
  });
});
