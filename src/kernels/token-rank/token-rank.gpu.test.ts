// Parity of shaders/token-rank.wgsl with the reference, in Chromium with WebGPU: ranks and logit
// bits exactly, on hard rows (-Infinity, ties, ±0, NaN, +Infinity), vocabularies that are not a
// multiple of the workgroup size, and small workgroups (more entries per thread).
import { afterAll, describe, expect, test } from 'vitest';
import { KernelInputError } from '../../gpu/errors';
import { uploadStorage } from '../../gpu/readback';
import { describeKernelChecks } from '../../testing/checks';
import { testGpu } from '../../testing/gpu';
import { checks, compareRanks, hardRankQueries, hardRankRows } from './checks';
import { tokenRankReference } from './reference';
import { TokenRank } from './token-rank';

describeKernelChecks('token-rank', checks, ['token-rank/rank']);

describe('TokenRank', () => {
  const created: { destroy(): void }[] = [];
  afterAll(() => created.forEach((c) => c.destroy()));

  test.each([
    [61, 64],
    [1000, 256],
    [50_257, 32],
    [151_936, 256],
  ])('vocab %i, workgroup %i: exact on hard rows', async (vocab, workgroupSize) => {
    const gpu = await testGpu();
    const data = hardRankRows(vocab * 3 + 1, vocab);
    const queries = hardRankQueries(data, vocab, 19, vocab);
    const logits = uploadStorage(gpu, data, 'token-rank-test');
    const kernel = await TokenRank.create(gpu, { maxQueries: 32, workgroupSize });
    created.push(logits, kernel);
    const actual = await kernel.compute({ logits, vocab, rows: 4, queries });
    expect(compareRanks(actual, tokenRankReference(data, vocab, queries))).toBeNull();
    // The tie row: every entry equal, so every token ranks first.
    expect(actual[1].rank).toBe(1);
  });

  test('a -Infinity token after every finite entry; a lone finite entry first', async () => {
    const gpu = await testGpu();
    const vocab = 300;
    const data = new Float32Array(vocab).fill(-Infinity);
    data[123] = -5;
    const logits = uploadStorage(gpu, data, 'token-rank-test:one-hot');
    const kernel = await TokenRank.create(gpu, { maxQueries: 2 });
    created.push(logits, kernel);
    const result = await kernel.compute({
      logits,
      vocab,
      rows: 1,
      queries: [
        { row: 0, token: 123 },
        { row: 0, token: 7 },
      ],
    });
    expect(result).toEqual([
      { rank: 1, logit: -5 },
      { rank: 2, logit: -Infinity },
    ]);
  });

  test('refuses queries outside the rows, the vocabulary or the instance size, saying which', async () => {
    const gpu = await testGpu();
    const logits = uploadStorage(gpu, new Float32Array(20), 'token-rank-test:small');
    const kernel = await TokenRank.create(gpu, { maxQueries: 1 });
    created.push(logits, kernel);
    const args = { logits, vocab: 10, rows: 2 };
    expect(() => kernel.validate({ ...args, queries: [{ row: 2, token: 0 }] })).toThrow(/row 2.*rows 0\.\.1/);
    expect(() => kernel.validate({ ...args, queries: [{ row: 0, token: 10 }] })).toThrow(/token 10.*0\.\.9/);
    expect(() => kernel.validate({ ...args, queries: [] })).toThrow(KernelInputError);
    expect(() =>
      kernel.validate({
        ...args,
        queries: [
          { row: 0, token: 0 },
          { row: 1, token: 0 },
        ],
      }),
    ).toThrow(/2 queries.*1\.\.1/);
    expect(() => kernel.validate({ ...args, rows: 3, queries: [{ row: 0, token: 0 }] })).toThrow(
      /80 bytes.*needs 120/,
    );
  });
});
