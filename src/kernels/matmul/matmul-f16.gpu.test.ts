// Parity of the f16-weight matmul (shaders/matmul-f16.wgsl) with the f64 reference applied to
// the f16-rounded weights, the spec: decoding a half is exact and sums accumulate in f32, so the
// bound is compareMatmul's f32 rounding bound (./testing.ts), the same as the f32 kernels'.
// Shapes cover odd K (padded rows in "nk"), odd chunk widths (padded rows in "kn"), N not a
// multiple of the tile, chunks under a small limit, the epilogue, and raw F16 bits.
import { afterAll, describe, expect, test } from 'vitest';
import { submitPass } from '../../gpu/dispatch';
import { readFloat32, uploadStorage } from '../../gpu/readback';
import { f32ArrayToF16 } from '../../model/loading/float16';
import { testGpu } from '../../testing/gpu';
import { storage } from '../../testing/run';
import { destroyWeight, uploadWeightF16Bits, type MatmulWeight } from './chunks';
import { MatmulKernel, type MatmulOptions, type MatmulTileRows } from './matmul';
import { matmulReference } from './reference';
import {
  compareMatmul,
  gaussianArray,
  referenceFor,
  runMatmulCase,
  seededCase,
  type MatmulCase,
} from './testing';

const worst = { ratio: 0, relative: 0, cases: 0 };
afterAll(() => {
  console.warn(
    `matmul f16-weight parity over ${worst.cases} cases: worst |gpu - ref| / bound = ${worst.ratio.toFixed(3)}, ` +
      `worst |gpu - ref| / sum|x w| = ${worst.relative.toExponential(2)}`,
  );
});

const kernels = new Map<string, Promise<MatmulKernel>>();
async function kernelFor(path: MatmulOptions['path'] = 'auto', tileRows?: MatmulTileRows) {
  const gpu = await testGpu();
  const key = `${path}${tileRows ? `-${tileRows}` : ''}`;
  // A forced tile height compiles only its f16 pipelines.
  const options: MatmulOptions = tileRows ? { path, tileRows, weightDtypes: ['f16'] } : { path };
  let kernel = kernels.get(key);
  if (!kernel) kernels.set(key, (kernel = MatmulKernel.create(gpu, `matmul-f16-test-${key}`, options)));
  return { gpu, kernel: await kernel };
}

async function parity(
  c: MatmulCase,
  path: MatmulOptions['path'] = 'auto',
  tileRows?: MatmulTileRows,
): Promise<Float32Array> {
  const { gpu, kernel } = await kernelFor(path, tileRows);
  const got = await runMatmulCase(gpu, kernel, c);
  expect(gpu.takeUncapturedErrors()).toEqual([]);
  const report = compareMatmul(got, referenceFor(c), c);
  expect(report.failures, `${report.failures} over the bound, first ${report.first}`).toBe(0);
  worst.ratio = Math.max(worst.ratio, report.worstRatio);
  worst.relative = Math.max(worst.relative, report.worstRelative);
  worst.cases++;
  return got;
}

async function expectParity(c: MatmulCase, path: MatmulOptions['path'] = 'auto'): Promise<void> {
  await parity(c, path);
}

function f16Case(seed: number, shape: MatmulCase['shape'], layout: MatmulCase['layout']): MatmulCase {
  return { ...seededCase(seed, shape, layout), weightDtype: 'f16' };
}

describe('f16 weights match the reference on the rounded weights', () => {
  const shapes = [
    { path: 'gemv', m: 1, k: 255, n: 257 },
    { path: 'gemv', m: 3, k: 64, n: 130 },
    { path: 'gemv', m: 16, k: 896, n: 5000 },
    { path: 'gemv', m: 2, k: 1, n: 3 },
    { path: 'tiled', m: 17, k: 255, n: 257 },
    { path: 'tiled', m: 33, k: 64, n: 1001 },
    { path: 'tiled', m: 3, k: 33, n: 65 },
  ] as const;
  for (const layout of ['nk', 'kn'] as const) {
    test.each(shapes)(`${layout} $path M=$m K=$k N=$n`, ({ path, m, k, n }) =>
      expectParity(f16Case(m * 1000 + k + n, { m, k, n }, layout), path),
    );
  }
});

describe('f16 tile heights: 32 and 128 rows give the same bits and both match the reference', () => {
  // Odd K and odd chunk widths put the padding half of a packed row inside a tile.
  const cases = [
    { m: 3, k: 33, n: 65 },
    { m: 130, k: 255, n: 257 },
    { m: 65, k: 63, n: 301, limit: 70 * 64 * 2 },
  ];
  for (const layout of ['nk', 'kn'] as const) {
    test.each(cases)(`${layout} M=$m K=$k N=$n limit $limit`, async ({ m, k, n, limit }) => {
      const c: MatmulCase = { ...f16Case(m + k + n, { m, k, n }, layout), chunkLimit: limit };
      const small = await parity(c, 'tiled', 32);
      const large = await parity(c, 'tiled', 128);
      const differing = new Uint32Array(small.buffer).findIndex(
        (bits, i) => bits !== new Uint32Array(large.buffer)[i],
      );
      expect(differing, `32-row tile ${small[differing]} vs 128-row ${large[differing]}`).toBe(-1);
    });
  }
});

describe('f16 chunked weights (uneven chunks, odd "kn" widths, padded "nk" rows)', () => {
  const cases = [
    { path: 'gemv', m: 1, k: 255, n: 257, limit: 25_000 },
    // "nk" rows of 128 words; "kn" splits 2 column pairs (4 columns) per chunk, N = 41 leaves 1.
    { path: 'gemv', m: 4, k: 64, n: 41, limit: 4 * 64 * 2 * 2 },
    { path: 'tiled', m: 17, k: 255, n: 257, limit: 25_000 },
    { path: 'tiled', m: 20, k: 63, n: 301, limit: 70 * 64 * 2 },
  ] as const;
  for (const layout of ['nk', 'kn'] as const) {
    test.each(cases)(`${layout} $path M=$m K=$k N=$n limit $limit`, ({ path, m, k, n, limit }) =>
      expectParity({ ...f16Case(n + k, { m, k, n }, layout), chunkLimit: limit }, path),
    );
  }
});

describe('f16 weights with the fused epilogue', () => {
  for (const path of ['gemv', 'tiled'] as const) {
    for (const layout of ['nk', 'kn'] as const) {
      test(`${path} ${layout}: bias + GELU, chunked`, () => {
        const shape = { m: path === 'gemv' ? 5 : 19, k: 255, n: 1001 };
        const c: MatmulCase = {
          ...seededCase(31, shape, layout, 1, 0.2),
          weightDtype: 'f16',
          bias: gaussianArray(32, shape.n, 0.5),
          activation: 'gelu',
          chunkLimit: 300 * 256 * 2,
        };
        return expectParity(c, path);
      });
      test(`${path} ${layout}: accumulate + bias`, () => {
        const shape = { m: path === 'gemv' ? 1 : 33, k: 897, n: 257 };
        const c: MatmulCase = {
          ...f16Case(41, shape, layout),
          bias: gaussianArray(42, shape.n),
          accumulateInto: gaussianArray(43, shape.m * shape.n, 10),
        };
        return expectParity(c, path);
      });
    }
  }
});

describe('f16 rounding changes the product by what it predicts', () => {
  test.each(['gemv', 'tiled'] as const)('%s: |Y - Y(f32 weights)| tracks sum_k x (w16 - w)', async (path) => {
    const shape = { m: path === 'gemv' ? 3 : 17, k: 896, n: 257 };
    const c = f16Case(81, shape, 'nk');
    const got = await parity(c, path);
    const rounded = referenceFor(c);
    const exact = matmulReference({ ...c, ...shape });
    let actual = 0;
    let predicted = 0;
    for (let i = 0; i < got.length; i++) {
      const shift = rounded.y[i] - exact.y[i];
      // |w16 - w| <= 2^-11 |w| (half precision's unit roundoff), so the shift is within 2^-11 sum|x w|.
      expect(Math.abs(shift)).toBeLessThanOrEqual(2 ** -11 * exact.magnitude[i]);
      actual += (got[i] - exact.y[i]) ** 2;
      predicted += shift ** 2;
    }
    // The GPU's own f32 error is ~1e-7 relative, the f16 shift ~1e-5: their rms agree closely.
    expect(Math.sqrt(actual / predicted)).toBeGreaterThan(0.95);
    expect(Math.sqrt(actual / predicted)).toBeLessThan(1.05);
  });
});

test('raw F16 bits (a safetensors F16 tensor) give the same result as rounding f32 on upload', async () => {
  const { gpu, kernel } = await kernelFor('gemv');
  const shape = { m: 2, k: 63, n: 70 };
  const c = f16Case(91, shape, 'kn');
  const viaF32 = await parity({ ...c, chunkLimit: 20 * 63 * 2 }, 'gemv');
  const x = uploadStorage(gpu, c.x, 'matmul-f16-test:x');
  const y = storage(gpu, shape.m * shape.n * 4, 'matmul-f16-test:y');
  const weight = uploadWeightF16Bits(
    gpu,
    f32ArrayToF16(c.w),
    'kn',
    shape.n,
    shape.k,
    'matmul-f16-test:w',
    20 * 63 * 2,
  );
  try {
    expect(weight.dtype).toBe('f16');
    expect(weight.chunks.length).toBeGreaterThan(1);
    await submitPass(gpu, 'matmul-f16-test', (pass) => kernel.encode(pass, x, weight, y, shape));
    expect(Array.from(await readFloat32(gpu, y, shape.m * shape.n))).toEqual(Array.from(viaF32));
  } finally {
    x.destroy();
    y.destroy();
    destroyWeight(weight);
  }
});

describe('f16 weights: bad arguments are refused with the value named', () => {
  async function encodeError(kernel: MatmulKernel, weight: MatmulWeight, k = 64) {
    const gpu = await testGpu();
    const x = storage(gpu, 3 * k * 4, 'bad16:x');
    const y = storage(gpu, 3 * 10 * 4, 'bad16:y');
    const pass = gpu.device.createCommandEncoder().beginComputePass();
    try {
      kernel.encode(pass, x, weight, y, { m: 3, k, n: 10 });
      return null;
    } catch (error) {
      return (error as Error).message;
    } finally {
      pass.end();
    }
  }

  test('a packed chunk too short for odd K, an f16 weight on an f32-only kernel, an unknown dtype', async () => {
    const gpu = await testGpu();
    const { kernel } = await kernelFor('gemv');
    // K = 63: each "nk" row takes 32 words (the 64th half is padding), 10 rows = 1280 bytes.
    const short = storage(gpu, 10 * 63 * 2, 'bad16:w');
    const weight: MatmulWeight = {
      layout: 'nk',
      dtype: 'f16',
      chunks: [{ buffer: short, start: 0, end: 10 }],
    };
    expect(await encodeError(kernel, weight, 63)).toMatch(
      /f16 weight chunk 0 buffer "bad16:w" has 1260 bytes but the shape needs 1280/,
    );
    const f32Only = await MatmulKernel.create(gpu, 'f32-only', { path: 'gemv', weightDtypes: ['f32'] });
    const w = storage(gpu, 10 * 32 * 4, 'bad16:w2');
    const ok: MatmulWeight = { layout: 'nk', dtype: 'f16', chunks: [{ buffer: w, start: 0, end: 10 }] };
    expect(await encodeError(f32Only, ok, 63)).toMatch(
      /the weight is f16 but kernel "f32-only" was created for f32 weights only/,
    );
    const bf16 = { ...ok, dtype: 'bf16' } as unknown as MatmulWeight;
    expect(await encodeError(kernel, bf16, 63)).toMatch(/weight dtype must be "f32" or "f16", got bf16/);
    f32Only.destroy();
  });
});
