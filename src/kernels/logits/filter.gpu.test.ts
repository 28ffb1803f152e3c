import { describe, expect, test } from 'vitest';
import { readFloat32, uploadStorage } from '../../gpu/readback';
import { testGpu } from '../../testing/gpu';
import { makeBatch, rowOf, type LogitKind } from '../../testing/logits';
import { runAndRead, storage } from '../../testing/run';
import { FilterKernel, type FilterParams } from './filter';
import { DECISION_WORDS, parseDecision, parseSummary, SUMMARY_WORDS } from './layout';
import { isKept, massOf, thresholdsReference, topIndices, type ThresholdsReference } from './reference';
import { keyToFloat, MASS_SCALE } from './layout';

/**
 * How close (as a fraction of the total) the reference's cumulative mass is to the top-p target
 * at the reference boundary: the cumulative mass just above the chosen logit and at it.
 */
function topPBoundaryMargin(
  row: Float32Array,
  lse: number,
  params: FilterParams,
  want: ThresholdsReference,
): number {
  const chosen = keyToFloat(want.topPKey);
  const floor = params.topK > 0 && want.topKKey > 0 ? keyToFloat(want.topKKey) : -Infinity;
  let above = 0;
  let atOrAbove = 0;
  for (const id of topIndices(row, row.length)) {
    if (row[id] < floor) continue;
    const q = massOf(row[id], lse);
    if (row[id] > chosen) above += q;
    if (row[id] >= chosen) atOrAbove += q;
  }
  const total = want.topPTotal || MASS_SCALE;
  return Math.min(Math.abs(above - want.topPNeeded), Math.abs(atOrAbove - want.topPNeeded)) / total;
}
import { RowStatsKernel } from './stats';

async function gpuThresholds(data: Float32Array, rows: number, vocab: number, params: FilterParams) {
  const gpu = await testGpu();
  const logits = uploadStorage(gpu, data, 'filter-input');
  const summary = storage(gpu, rows * SUMMARY_WORDS * 4, 'filter-summary');
  const decision = storage(gpu, rows * DECISION_WORDS * 4, 'filter-decision');
  const filtered = storage(gpu, rows * vocab * 4, 'filter-output');
  const stats = await RowStatsKernel.create(gpu);
  const filter = await FilterKernel.create(gpu);
  try {
    const shape = { rows, vocab };
    const words = await runAndRead(
      gpu,
      'filter',
      (pass) => {
        stats.encode(pass, logits, summary, rows, vocab);
        filter.encode(pass, logits, summary, decision, shape, params);
        filter.encodeApply(pass, logits, decision, filtered, shape);
      },
      decision,
      rows * DECISION_WORDS,
    );
    const summaries = await runAndRead(gpu, 'noop', () => {}, summary, rows * SUMMARY_WORDS);
    const masked = await readFloat32(gpu, filtered, rows * vocab);
    return Array.from({ length: rows }, (_, r) => ({
      decision: parseDecision(words, r),
      summary: parseSummary(summaries, r),
      masked: rowOf(masked, vocab, r),
    }));
  } finally {
    for (const b of [logits, summary, decision, filtered]) b.destroy();
    stats.destroy();
    filter.destroy();
  }
}

async function checkFilter(
  seed: number,
  rows: number,
  vocab: number,
  kinds: LogitKind[],
  params: FilterParams,
) {
  const data = makeBatch(seed, rows, vocab, kinds);
  const got = await gpuThresholds(data, rows, vocab, params);
  for (let r = 0; r < rows; r++) {
    const row = rowOf(data, vocab, r);
    const where = `vocab ${vocab} row ${r} (${kinds[r % kinds.length]}) ${JSON.stringify(params)}`;
    // The reference uses the GPU's lse so only exp's rounding differs.
    const want = thresholdsReference(row, got[r].summary.lse, params);
    const g = got[r].decision;
    expect(g.topKKey, `${where} top-k key`).toBe(want.topKKey);
    // Fixed-point masses come from f32 exp, which may differ from V8's by a few ulp; totals
    // agree to ~1e-6 and the threshold must agree unless the reference boundary is that close.
    expect(Math.abs(g.topPTotal - want.topPTotal), `${where} top-p total`).toBeLessThanOrEqual(
      2e-6 * want.topPTotal + 1,
    );
    if (g.topPKey !== want.topPKey) {
      expect(
        topPBoundaryMargin(row, got[r].summary.lse, params, want),
        `${where} top-p key differs at a clear boundary`,
      ).toBeLessThan(2e-6);
    } else {
      expect(g.thresholdKey, `${where} threshold`).toBe(want.thresholdKey);
    }
    expect(g.minPKey, `${where} min-p key`).toBe(want.minPKey);
    let mismatches = 0;
    for (let i = 0; i < vocab; i++) {
      const expected = isKept(row[i], g.thresholdKey) ? Math.fround(row[i]) : -Infinity;
      if (!Object.is(got[r].masked[i], expected)) mismatches++;
    }
    expect(mismatches, `${where} masked logits (against the GPU's own threshold)`).toBe(0);
  }
}

const KINDS: LogitKind[] = ['normal', 'ties', 'neg-inf', 'peaked', 'flat', 'huge'];

describe('top-k, top-p and min-p thresholds on the GPU match the sorting reference', () => {
  test.each([1, 2, 10, 50, 1000])('top-k %i, odd vocab 3001', (topK) =>
    checkFilter(topK, 6, 3001, KINDS, { topK, topP: 1, minP: 0 }),
  );
  test.each([0.05, 0.5, 0.9, 0.999])('top-p %f, vocab 4099', (topP) =>
    checkFilter(7, 6, 4099, KINDS, { topK: 0, topP, minP: 0 }),
  );
  test.each([0.01, 0.1, 0.5])('min-p %f, vocab 257', (minP) =>
    checkFilter(8, 6, 257, KINDS, { topK: 0, topP: 1, minP }),
  );
  test('top-k 40 + top-p 0.9 + min-p 0.05 at vocab 50,257, batch 6', () =>
    checkFilter(9, 6, 50_257, KINDS, { topK: 40, topP: 0.9, minP: 0.05 }));
  test('top-k 50 + top-p 0.95 at vocab 151,936, batch 2', () =>
    checkFilter(10, 2, 151_936, ['normal', 'ties'], { topK: 50, topP: 0.95, minP: 0 }));
  test('top-p 0.8 at vocab 151,936 on a flat row (the nucleus is most of the vocabulary)', () =>
    checkFilter(11, 1, 151_936, ['flat'], { topK: 0, topP: 0.8, minP: 0 }));
  test('top-k larger than the finite entries keeps every finite entry', () =>
    checkFilter(12, 2, 100, ['neg-inf'], { topK: 90, topP: 1, minP: 0 }));

  test('ties at the top-k boundary are all kept', async () => {
    // logits: 5, 4, 4, 4, 3 ... top-2 boundary falls inside the three 4s.
    const data = new Float32Array([3, 4, 5, 4, 1, 4, 0, -Infinity, 2]);
    const [got] = await gpuThresholds(data, 1, data.length, { topK: 2, topP: 1, minP: 0 });
    const kept = [...got.masked].map((x, i) => (x === -Infinity ? -1 : i)).filter((i) => i >= 0);
    expect(kept).toEqual([1, 2, 3, 5]);
  });

  test('ties at the top-p boundary are all kept', async () => {
    // Probabilities 0.4, 0.2, 0.2, 0.2: top-p 0.5 needs one of the 0.2s; all three tie.
    const p = [0.4, 0.2, 0.2, 0.2];
    const data = Float32Array.from(p, Math.log);
    const [got] = await gpuThresholds(data, 1, 4, { topK: 0, topP: 0.5, minP: 0 });
    expect([...got.masked].map(Number.isFinite)).toEqual([true, true, true, true]);
    const [strict] = await gpuThresholds(data, 1, 4, { topK: 0, topP: 0.39, minP: 0 });
    expect([...strict.masked].map(Number.isFinite)).toEqual([true, false, false, false]);
  });

  test('an all -Infinity row keeps nothing and is flagged', async () => {
    const data = new Float32Array(300).fill(-Infinity);
    const [got] = await gpuThresholds(data, 1, 300, { topK: 5, topP: 0.9, minP: 0.1 });
    expect(got.decision.thresholdKey).toBe(0xffffffff);
    expect(got.masked.every((x) => x === -Infinity)).toBe(true);
  });
});
