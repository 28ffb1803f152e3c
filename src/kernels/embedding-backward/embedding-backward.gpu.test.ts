// The embedding backward on the GPU equals the reference bit for bit (same f32 adds in the same
// token order): repeated ids, a table split into uneven row chunks, GPT-2 positions as ids (two
// sequences sharing positions), d in {1, 33, 768}, more than 65,535 unique ids (2-D grid);
// plus the CPU grouping and refused arguments.
import { describe, expect, test } from 'vitest';
import { testGpu } from '../../testing/gpu';
import { storage } from '../../testing/run';
import { gaussianArray } from '../matmul/testing';
import { EmbeddingBackwardKernel } from './embedding-backward';
import { groupTokensById, TokenGroupingBuffers } from './grouping';
import { embeddingBackwardReference } from './reference';
import { idsWithRepeats, runEmbeddingBackward } from './testing';

const kernel = testGpu().then((gpu) => EmbeddingBackwardKernel.create(gpu, 'embedding-backward-test'));

const CASES = [
  { name: 'one-row table', tokens: 7, rows: 1, dim: 33, chunkRows: 1 },
  { name: 'repeats', tokens: 65, rows: 50_257, dim: 33, chunkRows: 50_257 },
  { name: 'uneven chunks', tokens: 65, rows: 1000, dim: 33, chunkRows: 333 },
  { name: 'd 768', tokens: 33, rows: 300, dim: 768, chunkRows: 300 },
  { name: 'd 1', tokens: 257, rows: 10, dim: 1, chunkRows: 3 },
];

async function check(ids: Uint32Array, rows: number, dim: number, chunkRows: number) {
  const gpu = await testGpu();
  const dOut = gaussianArray(ids.length + dim, ids.length * dim);
  const dE0 = gaussianArray(rows + dim, rows * dim);
  const got = await runEmbeddingBackward(gpu, await kernel, ids, dOut, dE0, rows, dim, chunkRows);
  expect(gpu.takeUncapturedErrors()).toEqual([]);
  const want = embeddingBackwardReference(ids, dOut, dE0, dim);
  let mismatches = 0;
  let first = '';
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i]) && mismatches++ === 0) {
      first = `dE[${Math.floor(i / dim)}, ${i % dim}] GPU ${got[i]} vs ref ${want[i]}`;
    }
  }
  expect(mismatches, first).toBe(0);
}

describe('embedding backward equals the reference bit for bit', () => {
  test.each(CASES)('$name: T $tokens rows $rows d $dim', ({ tokens, rows, dim, chunkRows }) =>
    check(idsWithRepeats(tokens * rows + dim, tokens, rows), rows, dim, chunkRows),
  );

  test('GPT-2 positions as ids: two sequences of 40 share positions 0..39', () =>
    check(
      Uint32Array.from({ length: 80 }, (_, t) => t % 40),
      1024,
      64,
      1024,
    ));

  test('more than 65,535 unique ids (2-D workgroup grid)', () =>
    check(
      Uint32Array.from({ length: 70_000 }, (_, t) => 69_999 - t),
      70_000,
      1,
      70_000,
    ));
});

describe('grouping and bad arguments', () => {
  test('groupTokensById builds the CSR in token order', () => {
    const grouping = groupTokensById([5, 2, 5, 9, 2, 5], 10);
    expect(Array.from(grouping.uniqueIds)).toEqual([2, 5, 9]);
    expect(Array.from(grouping.offsets)).toEqual([0, 2, 5, 6]);
    expect(Array.from(grouping.tokens)).toEqual([1, 4, 0, 2, 5, 3]);
  });

  test('bad ids are refused naming the token', () => {
    expect(() => groupTokensById([1, 2, 10], 10)).toThrow(
      /embedding backward: token 2 has token id 10, outside 0\.\.9 \(table of 10 rows\)/,
    );
    expect(() => groupTokensById([0, 1024], 1024, 'position')).toThrow(
      /token 1 has position 1024, outside 0\.\.1023/,
    );
  });

  test('shapes, stale groupings, sizes, aliasing', async () => {
    const gpu = await testGpu();
    const k = await kernel;
    const grouping = new TokenGroupingBuffers(gpu, 4, 'bad:grouping');
    grouping.write(groupTokensById([1, 1, 2], 4));
    const [dOut, dE] = ['dOut', 'dE'].map((name) => storage(gpu, 64, `bad:${name}`));
    const table = [{ start: 0, end: 4, buffer: dE }];
    const pass = gpu.device.createCommandEncoder().beginComputePass();
    expect(() => k.encode(pass, grouping, dOut, table, { tokens: 5, dim: 4, rows: 4 })).toThrow(
      /embedding backward: tokens must be an integer in 1\.\.4, got 5/,
    );
    expect(() => k.encode(pass, grouping, dOut, table, { tokens: 2, dim: 4, rows: 4 })).toThrow(
      /the grouping last written holds 3 tokens but the shape has 2/,
    );
    expect(() => k.encode(pass, grouping, dOut, table, { tokens: 3, dim: 8, rows: 4 })).toThrow(
      /dOut buffer "bad:dOut" has 64 bytes but the shape needs 96/,
    );
    expect(() =>
      k.encode(pass, grouping, dOut, [{ start: 0, end: 4, buffer: dOut }], { tokens: 3, dim: 1, rows: 4 }),
    ).toThrow(/dE chunk 0 and dOut are the same buffer "bad:dOut"/);
    expect(() => grouping.write(groupTokensById([0, 0, 0, 0, 0], 4))).toThrow(
      /the grouping has 5 tokens but the buffers hold 4/,
    );
    pass.end();
    grouping.destroy();
  });
});
