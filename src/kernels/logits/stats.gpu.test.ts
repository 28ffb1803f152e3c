import { describe, expect, test } from 'vitest';
import { readFloat32, uploadStorage } from '../../gpu/readback';
import { compareArrays } from '../../testing/compare';
import { testGpu } from '../../testing/gpu';
import { makeBatch, rowOf, type LogitKind } from '../../testing/logits';
import { rowStatsReference } from './reference';
import { computeLogSoftmax, computeRowStats } from './stats';

const KINDS: LogitKind[] = ['normal', 'huge', 'ties', 'neg-inf', 'peaked', 'flat'];

async function checkStats(seed: number, rows: number, vocab: number, kinds: LogitKind[]) {
  const gpu = await testGpu();
  const data = makeBatch(seed, rows, vocab, kinds);
  const buffer = uploadStorage(gpu, data, 'stats-input');
  try {
    const got = await computeRowStats(gpu, buffer, { rows, vocab });
    for (let r = 0; r < rows; r++) {
      const want = rowStatsReference(rowOf(data, vocab, r));
      const g = got[r];
      const where = `vocab ${vocab} row ${r} (${kinds[r % kinds.length]})`;
      expect(g.finiteCount, where).toBe(want.finiteCount);
      expect(g.invalidCount, where).toBe(want.invalidCount);
      expect(g.argmax, where).toBe(want.argmax);
      expect(g.max, where).toBe(Math.fround(want.max));
      // lse and entropy are sums of up to 151,936 f32 terms in a different order.
      const scale = Math.max(1, Math.abs(want.lse));
      expect(Math.abs(g.lse - want.lse), `${where} lse`).toBeLessThanOrEqual(2e-6 * scale + 1e-5);
      expect(Math.abs(g.entropy - want.entropy), `${where} entropy`).toBeLessThanOrEqual(
        1e-4 * Math.max(1, want.entropy),
      );
      expect(
        g.top.map((t) => t.id),
        `${where} top ids`,
      ).toEqual(want.top.map((t) => t.id));
      expect(
        g.top.map((t) => t.logit),
        `${where} top logits`,
      ).toEqual(want.top.map((t) => Math.fround(t.logit)));
    }
  } finally {
    buffer.destroy();
  }
}

describe('row statistics on the GPU match the reference', () => {
  test.each([1, 7, 255, 257, 1000, 4099])('odd vocab %i, every kind', (vocab) =>
    checkStats(vocab, 6, vocab, KINDS),
  );
  test('vocab 50,257, batch 6, every kind', () => checkStats(11, 6, 50_257, KINDS));
  test('vocab 151,936, batch 3', () => checkStats(12, 3, 151_936, ['normal', 'ties', 'huge']));
  test('ties: argmax and top-10 prefer the lower index', async () => {
    const gpu = await testGpu();
    const vocab = 3000;
    const data = new Float32Array(vocab).fill(-1);
    for (const i of [2999, 17, 1500, 256, 255, 3, 2048, 100, 99, 98, 97, 1]) data[i] = 5;
    const buffer = uploadStorage(gpu, data, 'ties');
    const [got] = await computeRowStats(gpu, buffer, { rows: 1, vocab });
    buffer.destroy();
    expect(got.argmax).toBe(1);
    expect(got.top.map((t) => t.id)).toEqual([1, 3, 17, 97, 98, 99, 100, 255, 256, 1500]);
  });
  test('more than 1024 entries tie at the top: the serial fallback still finds the top-10', async () => {
    // Every entry ties, so every entry qualifies as a top-10 candidate and the list overflows.
    const gpu = await testGpu();
    const vocab = 50_257;
    const data = new Float32Array(2 * vocab).fill(0.5);
    data[vocab + 40_000] = 0.75;
    const buffer = uploadStorage(gpu, data, 'all-ties');
    const [flat, oneHigh] = await computeRowStats(gpu, buffer, { rows: 2, vocab });
    buffer.destroy();
    expect(flat.top.map((t) => t.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(flat.argmax).toBe(0);
    expect(Math.abs(flat.entropy - Math.log(vocab))).toBeLessThan(1e-4);
    expect(oneHigh.top.map((t) => t.id)).toEqual([40_000, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  test('NaN and +Infinity are counted as invalid; an all -Infinity row has no argmax', async () => {
    const gpu = await testGpu();
    const vocab = 500;
    const data = new Float32Array(2 * vocab).fill(-Infinity);
    data[vocab + 3] = NaN;
    data[vocab + 4] = Infinity;
    data[vocab + 5] = 1;
    const buffer = uploadStorage(gpu, data, 'invalid');
    const [empty, invalid] = await computeRowStats(gpu, buffer, { rows: 2, vocab });
    buffer.destroy();
    expect(empty).toMatchObject({ finiteCount: 0, invalidCount: 0, argmax: null, top: [] });
    expect(empty.lse).toBe(-Infinity);
    expect(invalid).toMatchObject({ finiteCount: 1, invalidCount: 2, argmax: 5 });
  });
});

describe('log-softmax on the GPU matches the reference', () => {
  test.each([
    [257, 4],
    [50_257, 2],
    [151_936, 1],
  ])('vocab %i rows %i', async (vocab, rows) => {
    const gpu = await testGpu();
    const data = makeBatch(vocab, rows, vocab, ['neg-inf', 'huge', 'ties', 'normal']);
    const buffer = uploadStorage(gpu, data, 'log-softmax-input');
    const output = await computeLogSoftmax(gpu, buffer, { rows, vocab });
    const got = await readFloat32(gpu, output, rows * vocab);
    buffer.destroy();
    output.destroy();
    for (let r = 0; r < rows; r++) {
      const row = rowOf(data, vocab, r);
      const { lse } = rowStatsReference(row);
      const want = Float32Array.from(row, (x) => x - lse);
      // Each output is x - lse: error is lse's error, relative to |lse|.
      const report = compareArrays(`row ${r}`, rowOf(got, vocab, r), want, {
        atol: 2e-6 * Math.max(1, Math.abs(lse)) + 1e-5,
        rtol: 1e-6,
      });
      expect(report).toBeNull();
    }
  });
});
