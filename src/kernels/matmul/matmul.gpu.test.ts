// Parity of the matmul kernel with the f64 reference on shapes that are not multiples of any tile
// (M 1/3/17, K 64/255/896, N 1/257/5000), both layouts, both paths, both tile heights of the
// tiled path (which must agree bit for bit), chunked weights with uneven chunks, the fused
// epilogue and large magnitudes. Criterion: compareMatmul's rounding bound
// (2 gamma_K sum|x w|, see ./testing.ts), a proof-based tolerance rather than a guessed one.
import { afterAll, describe, expect, test } from 'vitest';
import { testGpu } from '../../testing/gpu';
import { storage } from '../../testing/run';
import type { MatmulWeight } from './chunks';
import { MatmulKernel, type MatmulEpilogue, type MatmulOptions, type MatmulTileRows } from './matmul';
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
    `matmul parity over ${worst.cases} cases: worst |gpu - ref| / bound = ${worst.ratio.toFixed(3)}, ` +
      `worst |gpu - ref| / sum|x w| = ${worst.relative.toExponential(2)}`,
  );
});

const kernels = new Map<string, Promise<MatmulKernel>>();
async function kernelFor(path: MatmulOptions['path'] = 'auto', tileRows?: MatmulTileRows) {
  const gpu = await testGpu();
  const key = `${path}${tileRows ? `-${tileRows}` : ''}`;
  // A forced tile height compiles only its f32 pipelines.
  const options: MatmulOptions = tileRows ? { path, tileRows, weightDtypes: ['f32'] } : { path };
  let kernel = kernels.get(key);
  if (!kernel) kernels.set(key, (kernel = MatmulKernel.create(gpu, `matmul-test-${key}`, options)));
  return { gpu, kernel: await kernel };
}

async function parityOutput(c: MatmulCase, path: MatmulOptions['path'] = 'auto', tileRows?: MatmulTileRows) {
  const { gpu, kernel } = await kernelFor(path, tileRows);
  const got = await runMatmulCase(gpu, kernel, c);
  expect(gpu.takeUncapturedErrors()).toEqual([]);
  const report = compareMatmul(got, referenceFor(c), c);
  expect(report.failures, `${report.failures} over the bound, first ${report.first}`).toBe(0);
  worst.ratio = Math.max(worst.ratio, report.worstRatio);
  worst.relative = Math.max(worst.relative, report.worstRelative);
  worst.cases++;
  return { got, report };
}

async function parity(c: MatmulCase, path: MatmulOptions['path'] = 'auto') {
  return (await parityOutput(c, path)).report;
}

async function expectParity(c: MatmulCase, path: MatmulOptions['path'] = 'auto'): Promise<void> {
  await parity(c, path);
}

const MS = [1, 3, 17];
const KS = [64, 255, 896];
const NS = [1, 257, 5000];
const GRID = MS.flatMap((m) => KS.flatMap((k) => NS.map((n) => ({ m, k, n }))));

describe('matmul matches the f64 reference (auto path: GEMV for M <= 16, tiled above)', () => {
  for (const layout of ['nk', 'kn'] as const) {
    test.each(GRID)(`${layout} M=$m K=$k N=$n`, ({ m, k, n }) =>
      expectParity(seededCase(m * 1000 + k + n, { m, k, n }, layout)),
    );
  }
});

describe('each path on shapes the other path usually takes', () => {
  const shapes = [
    { m: 1, k: 255, n: 257 },
    { m: 3, k: 896, n: 1000 },
    { m: 16, k: 64, n: 130 },
  ];
  for (const layout of ['nk', 'kn'] as const) {
    test.each(shapes)(`tiled ${layout} M=$m K=$k N=$n`, (shape) =>
      expectParity(seededCase(7, shape, layout), 'tiled'),
    );
  }
  test.each([
    ['nk', { m: 16, k: 255, n: 257 }],
    ['kn', { m: 16, k: 896, n: 258 }],
    ['kn', { m: 16, k: 64, n: 256 }],
  ] as const)('gemv %s M=16', (layout, shape) => expectParity(seededCase(8, shape, layout), 'gemv'));
});

describe('tile heights: 32 and 128 rows give the same bits and both match the reference', () => {
  // M around and past each tile edge; K not a multiple of the step of 16; N past 128-column tiles.
  const cases: { m: number; k: number; n: number; limit?: number; epilogue?: 'gelu' | 'accumulate' }[] = [
    { m: 3, k: 33, n: 65 },
    { m: 130, k: 255, n: 257 },
    { m: 65, k: 64, n: 1001, limit: 300 * 64 * 4 },
    { m: 129, k: 896, n: 130, epilogue: 'gelu' },
    { m: 40, k: 17, n: 300, epilogue: 'accumulate' },
  ];
  for (const layout of ['nk', 'kn'] as const) {
    test.each(cases)(
      `${layout} M=$m K=$k N=$n limit $limit $epilogue`,
      async ({ m, k, n, limit, epilogue }) => {
        const c: MatmulCase = { ...seededCase(m + k + n, { m, k, n }, layout, 1, 0.2), chunkLimit: limit };
        if (epilogue) c.bias = gaussianArray(m + 1, n, 0.5);
        if (epilogue === 'gelu') c.activation = 'gelu';
        if (epilogue === 'accumulate') c.accumulateInto = gaussianArray(m + 2, m * n, 10);
        const small = await parityOutput(c, 'tiled', 32);
        const large = await parityOutput(c, 'tiled', 128);
        const differing = new Uint32Array(small.got.buffer).findIndex(
          (bits, i) => bits !== new Uint32Array(large.got.buffer)[i],
        );
        expect(differing, `32-row tile ${small.got[differing]} vs 128-row ${large.got[differing]}`).toBe(-1);
      },
    );
  }
});

describe('chunked weights (an artificial binding limit splits N unevenly)', () => {
  const cases = [
    { path: 'gemv', m: 1, k: 255, n: 257, limit: 50_000 },
    { path: 'gemv', m: 3, k: 896, n: 5000, limit: 1_000_000 },
    // Chunks of 3 rows: every "kn" chunk is too narrow for vec4 and takes the scalar kernel.
    { path: 'gemv', m: 2, k: 64, n: 40, limit: 3 * 64 * 4 },
    { path: 'tiled', m: 17, k: 255, n: 257, limit: 50_000 },
    { path: 'tiled', m: 17, k: 64, n: 1001, limit: 70 * 64 * 4 },
  ] as const;
  for (const layout of ['nk', 'kn'] as const) {
    test.each(cases)(`${layout} $path M=$m K=$k N=$n limit $limit`, ({ path, m, k, n, limit }) => {
      const c: MatmulCase = { ...seededCase(n + k, { m, k, n }, layout), chunkLimit: limit };
      return expectParity(c, path);
    });
  }
});

describe('fused epilogue', () => {
  for (const path of ['gemv', 'tiled'] as const) {
    for (const layout of ['nk', 'kn'] as const) {
      test(`${path} ${layout}: bias + GELU (GPT-2 c_fc), chunked`, () => {
        const shape = { m: path === 'gemv' ? 5 : 19, k: 255, n: 1001 };
        const c: MatmulCase = {
          ...seededCase(31, shape, layout, 1, 0.2),
          bias: gaussianArray(32, shape.n, 0.5),
          activation: 'gelu',
          chunkLimit: 300 * 255 * 4,
        };
        return expectParity(c, path);
      });
      test(`${path} ${layout}: accumulate + bias (residual update h += a W + b)`, () => {
        const shape = { m: path === 'gemv' ? 1 : 33, k: 896, n: 257 };
        const c: MatmulCase = {
          ...seededCase(41, shape, layout),
          bias: gaussianArray(42, shape.n),
          accumulateInto: gaussianArray(43, shape.m * shape.n, 10),
        };
        return expectParity(c, path);
      });
    }
  }
});

describe('large magnitudes and exact zeros', () => {
  test.each(['gemv', 'tiled'] as const)('%s: X ~ 1e4, W ~ 1e3 (sums ~ 1e8)', (path) => {
    const shape = { m: path === 'gemv' ? 3 : 17, k: 896, n: 257 };
    return expectParity(seededCase(51, shape, 'nk', 1e4, 1e3), path);
  });
  test('GELU of huge pre-activations: +x passes through, -x gives -0, no NaN', async () => {
    const shape = { m: 2, k: 64, n: 257 };
    const c: MatmulCase = { ...seededCase(61, shape, 'kn', 100, 100), activation: 'gelu' };
    const report = await parity(c, 'gemv');
    expect(Number.isFinite(report.worstAbs)).toBe(true);
  });
  test('zero X gives exactly the bias', async () => {
    const shape = { m: 17, k: 255, n: 300 };
    const bias = gaussianArray(71, shape.n);
    const c: MatmulCase = { ...seededCase(70, shape, 'nk'), x: new Float32Array(17 * 255), bias };
    const { gpu, kernel } = await kernelFor();
    const got = await runMatmulCase(gpu, kernel, c);
    for (let i = 0; i < got.length; i++) expect(got[i]).toBe(bias[i % shape.n]);
  });
});

describe('bad arguments are refused with the value named', () => {
  async function encodeError(
    work: (pass: GPUComputePassEncoder, kernel: MatmulKernel) => void,
    path?: 'gemv',
  ) {
    const { gpu, kernel } = await kernelFor(path);
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    try {
      work(pass, kernel);
      return null;
    } catch (error) {
      return (error as Error).message;
    } finally {
      pass.end();
    }
  }
  async function setup() {
    const gpu = await testGpu();
    const x = storage(gpu, 3 * 64 * 4, 'bad:x');
    const y = storage(gpu, 3 * 10 * 4, 'bad:y');
    const w = storage(gpu, 10 * 64 * 4, 'bad:w');
    const weight: MatmulWeight = { layout: 'nk', chunks: [{ buffer: w, start: 0, end: 10 }] };
    return { x, y, w, weight, shape: { m: 3, k: 64, n: 10 } };
  }

  test.each([
    ['M = 0', { m: 0 }, /M \(rows of X\) on the gemv path must be an integer in 1\.\.16, got 0/],
    ['K = 1.5', { k: 1.5 }, /K \(inner size\) must be an integer in 1\.\.16777216, got 1\.5/],
    ['N larger than the buffers', { n: 11 }, /Y buffer "bad:y" has 120 bytes but the shape needs 132/],
    ['K larger than X', { k: 65 }, /X buffer "bad:x" has 768 bytes but the shape needs 780/],
  ])('%s', async (_name, change, message) => {
    const { x, y, weight, shape } = await setup();
    const error = await encodeError((pass, kernel) =>
      kernel.encode(pass, x, weight, y, { ...shape, ...change }),
    );
    expect(error).toMatch(message);
  });

  test('M = 17 forced onto the GEMV path', async () => {
    const { x, y, weight } = await setup();
    const error = await encodeError(
      (pass, kernel) => kernel.encode(pass, x, weight, y, { m: 17, k: 1, n: 1 }),
      'gemv',
    );
    expect(error).toMatch(/M \(rows of X\) on the gemv path must be an integer in 1\.\.16, got 17/);
  });

  test('chunks with a gap, a short chunk buffer, a bad layout, a bad activation, Y = X, short bias', async () => {
    const { x, y, w, weight, shape } = await setup();
    const gap: MatmulWeight = {
      layout: 'nk',
      chunks: [
        { buffer: w, start: 0, end: 4 },
        { buffer: w, start: 5, end: 10 },
      ],
    };
    const short: MatmulWeight = { layout: 'kn', chunks: [{ buffer: x, start: 0, end: 10 }] };
    const layout = { layout: 'km', chunks: weight.chunks } as unknown as MatmulWeight;
    const run = (work: (pass: GPUComputePassEncoder, kernel: MatmulKernel) => void) => encodeError(work);
    expect(await run((p, k) => k.encode(p, x, gap, y, shape))).toMatch(
      /weight chunk 1 covers \[5, 10\) but must start at 4/,
    );
    expect(await run((p, k) => k.encode(p, x, short, y, shape))).toMatch(
      /weight chunk 0 buffer "bad:x" has 768 bytes but the shape needs 2560/,
    );
    expect(await run((p, k) => k.encode(p, x, layout, y, shape))).toMatch(
      /layout must be "kn" or "nk", got km/,
    );
    const relu = { activation: 'relu' } as unknown as MatmulEpilogue;
    expect(await run((p, k) => k.encode(p, x, weight, y, shape, relu))).toMatch(
      /activation must be "none" or "gelu", got relu/,
    );
    expect(await run((p, k) => k.encode(p, x, weight, x, { m: 1, k: 64, n: 10 }))).toMatch(
      /Y and X are the same buffer "bad:x"/,
    );
    const bias = storage(await testGpu(), 16, 'bad:bias');
    expect(await run((p, k) => k.encode(p, x, weight, y, shape, { bias }))).toMatch(
      /bias buffer "bad:bias" has 16 bytes but the shape needs 40/,
    );
  });
});
