import { describe, expect, test } from 'vitest';
import { readFloat32, uploadStorage } from '../../gpu/readback';
import { testGpu } from '../../testing/gpu';
import { makeBatch, rowOf, type LogitKind } from '../../testing/logits';
import { runAndRead, storage } from '../../testing/run';
import { CombineKernel, type CombineParams } from './combine';
import { SUMMARY_WORDS } from './layout';
import { combineReference, rowStatsReference } from './reference';
import { RowStatsKernel } from './stats';

/** packed: [inputs, rows, vocab]; returns the combined logits [rows, vocab]. */
async function gpuCombine(packed: Float32Array, rows: number, vocab: number, params: CombineParams) {
  const gpu = await testGpu();
  const inputs = params.weights.length;
  const input = uploadStorage(gpu, packed, 'combine-input');
  const summary = storage(gpu, inputs * rows * SUMMARY_WORDS * 4, 'combine-summary');
  const combined = storage(gpu, rows * vocab * 4, 'combine-output');
  const [stats, combine] = await Promise.all([RowStatsKernel.create(gpu), CombineKernel.create(gpu)]);
  try {
    await runAndRead(
      gpu,
      'combine',
      (pass) => {
        stats.encode(pass, input, summary, inputs * rows, vocab);
        combine.encode(pass, input, summary, combined, { rows, vocab }, params);
      },
      summary,
      4,
    );
    return await readFloat32(gpu, combined, rows * vocab);
  } finally {
    for (const b of [input, summary, combined]) b.destroy();
    stats.destroy();
    combine.destroy();
  }
}

async function checkCombine(
  seed: number,
  rows: number,
  vocab: number,
  kinds: LogitKind[],
  params: CombineParams,
) {
  const inputs = params.weights.length;
  const packed = makeBatch(seed, inputs * rows, vocab, kinds);
  const got = await gpuCombine(packed, rows, vocab, params);
  for (let r = 0; r < rows; r++) {
    const rowsOfInputs = Array.from({ length: inputs }, (_, j) => rowOf(packed, vocab, j * rows + r));
    const want = combineReference(rowsOfInputs, params);
    const stats = rowsOfInputs.map(rowStatsReference);
    // Error budget: each term w(l - lse) inherits lse's error (<= 2e-6 |lse| + 1e-5, see the
    // stats test) plus f32 rounding of terms as large as |l - lse|.
    const budget =
      params.weights.reduce((sum, w, j) => sum + Math.abs(w) * (2e-6 * Math.abs(stats[j].lse) + 1e-5), 0) /
      params.temperature;
    const base = rowsOfInputs[params.baseInput];
    const baseMax = stats[params.baseInput].max;
    let bad = 0;
    let first = '';
    for (let y = 0; y < vocab; y++) {
      const g = got[r * vocab + y];
      const w = want[y];
      let ok: boolean;
      if (!Number.isFinite(w) || !Number.isFinite(g)) {
        // The mask decision may differ only where l_b - max_b is within rounding of log(beta).
        const nearBoundary =
          params.beta > 0 &&
          Math.abs(base[y] - baseMax - Math.log(params.beta)) < 1e-4 * Math.max(1, Math.abs(baseMax));
        ok = Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)) || nearBoundary;
      } else {
        const magnitude = params.weights.reduce(
          (sum, wt, j) => (wt === 0 ? sum : sum + Math.abs(wt * (rowsOfInputs[j][y] - stats[j].lse))),
          0,
        );
        ok = Math.abs(g - w) <= budget + (2e-7 * magnitude) / params.temperature;
      }
      if (!ok) {
        bad++;
        if (!first) first = `[${y}] got ${g}, expected ${w}`;
      }
    }
    expect(bad, `row ${r}: ${bad} mismatches, first ${first}`).toBe(0);
  }
}

describe('contrastive combination on the GPU matches the reference', () => {
  test('one input, weight 1, temperature 0.7: tempered log-softmax (vocab 1001)', () =>
    checkCombine(1, 3, 1001, ['normal', 'neg-inf', 'ties'], {
      weights: [1],
      baseInput: 0,
      beta: 0,
      temperature: 0.7,
    }));
  test('VCD-style [1+a, -a] with a = 1, beta 0.1, vocab 50,257, batch 4', () =>
    checkCombine(2, 4, 50_257, ['normal', 'peaked', 'neg-inf', 'ties', 'normal', 'huge', 'flat', 'normal'], {
      weights: [2, -1],
      baseInput: 0,
      beta: 0.1,
      temperature: 1,
    }));
  test('RITUAL + VCD [1, 3, -1] with beta 0.1, vocab 151,936', () =>
    checkCombine(3, 1, 151_936, ['normal', 'normal', 'peaked'], {
      weights: [1, 3, -1],
      baseInput: 0,
      beta: 0.1,
      temperature: 1,
    }));
  test('Contrastive Decoding [1, -1] with huge logits and beta 0.5, base input 1', () =>
    checkCombine(4, 2, 4099, ['huge', 'huge', 'normal', 'normal'], {
      weights: [1, -1],
      baseInput: 1,
      beta: 0.5,
      temperature: 1.5,
    }));
  test('a zero weight ignores that input (even its -Infinity entries)', () =>
    checkCombine(5, 2, 700, ['normal', 'neg-inf'], {
      weights: [1, 0],
      baseInput: 0,
      beta: 0,
      temperature: 1,
    }));

  test('exclusions: -Infinity under a non-zero weight, the mask, and NaN passthrough', async () => {
    const vocab = 4;
    // input 0 = base; input 1 has -Inf at token 2; token 3 is implausible under the base.
    const packed = new Float32Array([0, 0.1, 0.2, -10, 1, 2, -Infinity, 0]);
    const got = await gpuCombine(packed, 1, vocab, {
      weights: [2, -1],
      baseInput: 0,
      beta: 0.1,
      temperature: 1,
    });
    expect(Number.isFinite(got[0]) && Number.isFinite(got[1])).toBe(true);
    expect(got[2]).toBe(-Infinity);
    expect(got[3]).toBe(-Infinity);
    const withNaN = await gpuCombine(new Float32Array([0, NaN, 1, 1]), 1, 2, {
      weights: [1, 1],
      baseInput: 0,
      beta: 0,
      temperature: 1,
    });
    expect(Number.isNaN(withNaN[1])).toBe(true);
  });

  test('bad parameters throw errors that name the value', async () => {
    const gpu = await testGpu();
    const combine = await CombineKernel.create(gpu);
    const buffer = storage(gpu, 4096, 'dummy');
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    const call = (params: Partial<CombineParams>) => () =>
      combine.encode(
        pass,
        buffer,
        buffer,
        buffer,
        { rows: 1, vocab: 4 },
        { weights: [1, -1], baseInput: 0, beta: 0.1, temperature: 1, ...params },
      );
    expect(call({ temperature: 0 })).toThrow(/temperature .* got 0/);
    expect(call({ weights: [1, NaN] })).toThrow(/weight 1 must be finite, got NaN/);
    expect(call({ weights: [0, 0] })).toThrow(/all zeros/);
    expect(call({ beta: 1.5 })).toThrow(/beta .* got 1.5/);
    expect(call({ baseInput: 2 })).toThrow(/base input .* got 2/);
    pass.end();
    buffer.destroy();
    combine.destroy();
  });
});
