// Embedding lookup on the GPU equals the reference bit for bit (a copy, or one f32 add): a table
// split into uneven row chunks, GPT-2 learned positions, out-of-range ids and positions (zero
// rows, recorded in the status buffer), and the CPU-side checks.
import { describe, expect, test } from 'vitest';
import { submitPass } from '../../gpu/dispatch';
import { readFloat32, readUint32, uploadStorage } from '../../gpu/readback';
import { testGpu } from '../../testing/gpu';
import { storage } from '../../testing/run';
import { destroyWeight, uploadWeight } from '../matmul/chunks';
import { gaussianArray } from '../matmul/testing';
import {
  checkPositions,
  checkTokenIds,
  clearEmbeddingStatus,
  EMBEDDING_STATUS_BYTES,
  EmbeddingKernel,
  embeddingStatusError,
  parseEmbeddingStatus,
} from './embedding';
import { embeddingReference } from './reference';

const kernel = testGpu().then((gpu) => EmbeddingKernel.create(gpu, 'embedding-test'));

interface Case {
  vocab: number;
  dim: number;
  ids: number[];
  chunkRows?: number;
  positions?: number[];
  maxPositions?: number;
}

async function run(c: Case) {
  const gpu = await testGpu();
  const embed = await kernel;
  const table = gaussianArray(c.vocab + c.dim, c.vocab * c.dim);
  const limit = (c.chunkRows ?? c.vocab) * c.dim * 4;
  const chunks = uploadWeight(gpu, table, 'nk', c.vocab, c.dim, 'embedding-test:E', limit);
  const ids = uploadStorage(gpu, Uint32Array.from(c.ids), 'embedding-test:ids');
  const output = storage(gpu, c.ids.length * c.dim * 4, 'embedding-test:out');
  const status = storage(gpu, EMBEDDING_STATUS_BYTES, 'embedding-test:status');
  const owned = [ids, output, status];
  const positional = c.positions && {
    positions: uploadStorage(gpu, Uint32Array.from(c.positions), 'embedding-test:positions'),
    table: uploadStorage(gpu, gaussianArray(7, (c.maxPositions ?? 1) * c.dim), 'embedding-test:P'),
    maxPositions: c.maxPositions ?? 1,
  };
  if (positional) owned.push(positional.positions, positional.table);
  try {
    // Poison the output so rows the kernel fails to write show up.
    gpu.device.queue.writeBuffer(output, 0, new Float32Array(c.ids.length * c.dim).fill(NaN));
    clearEmbeddingStatus(gpu, status);
    const shape = { tokens: c.ids.length, dim: c.dim, vocab: c.vocab };
    await submitPass(gpu, 'embedding-test', (pass) =>
      embed.encode(pass, ids, chunks.chunks, output, status, shape, positional),
    );
    expect(gpu.takeUncapturedErrors()).toEqual([]);
    const got = await readFloat32(gpu, output, c.ids.length * c.dim);
    const words = await readUint32(gpu, status, 4);
    const reference = embeddingReference(
      c.ids,
      table,
      c.dim,
      c.vocab,
      positional && {
        positions: c.positions ?? [],
        table: await readFloat32(gpu, positional.table),
        maxPositions: positional.maxPositions,
      },
    );
    return { got, reference, status: parseEmbeddingStatus(words), chunkCount: chunks.chunks.length };
  } finally {
    destroyWeight(chunks);
    for (const b of owned) b.destroy();
  }
}

describe('embedding lookup matches the reference exactly', () => {
  test('one chunk, dim 896 (Qwen2.5-0.5B), repeated ids and the last id', async () => {
    const vocab = 1000;
    const { got, reference, status } = await run({ vocab, dim: 896, ids: [0, 5, 5, 999, 17, 0, 512] });
    expect(got).toEqual(reference.out);
    expect(status).toEqual({ badIds: 0, largestBadId: null, badPositions: 0, largestBadPosition: null });
  });
  test('uneven row chunks: a 7-row limit gives 12 chunks of 4 rows and one of 2', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => (i * 37) % 50);
    const result = await run({ vocab: 50, dim: 65, ids, chunkRows: 7 });
    expect(result.chunkCount).toBe(13);
    expect(result.got).toEqual(result.reference.out);
  });
  test('GPT-2 learned positions are added (f32 sum)', async () => {
    const positions = [0, 1, 2, 3, 1023];
    const result = await run({
      vocab: 300,
      dim: 64,
      ids: [3, 299, 0, 150, 7],
      positions,
      maxPositions: 1024,
    });
    expect(result.got).toEqual(result.reference.out);
  });
});

describe('out-of-range ids and positions', () => {
  test('ids >= vocab (and 2^32 - 1, a negative id cast to u32) give zero rows and are recorded', async () => {
    const ids = [4, 50_257, 3, 0xffffffff, 49_999];
    const result = await run({ vocab: 50_000, dim: 32, ids, chunkRows: 20_000 });
    expect(result.got).toEqual(result.reference.out);
    expect(result.reference.badIds).toEqual([50_257, 0xffffffff]);
    for (const t of [1, 3])
      expect(Array.from(result.got.subarray(t * 32, (t + 1) * 32))).toEqual(new Array(32).fill(0));
    expect(result.status).toEqual({
      badIds: 2,
      largestBadId: 0xffffffff,
      badPositions: 0,
      largestBadPosition: null,
    });
    expect(embeddingStatusError(result.status, 50_000)?.message).toMatch(
      /embedding: 2 token id\(s\) out of range \(largest 4294967295, vocab 50000\)/,
    );
  });
  test('positions >= maxPositions give zero rows and are recorded', async () => {
    const result = await run({
      vocab: 10,
      dim: 8,
      ids: [1, 2, 3],
      positions: [0, 1024, 5],
      maxPositions: 1024,
    });
    expect(result.got).toEqual(result.reference.out);
    expect(result.status).toMatchObject({ badIds: 0, badPositions: 1, largestBadPosition: 1024 });
    expect(embeddingStatusError(result.status, 10, 1024)?.message).toMatch(
      /1 position\(s\) out of range \(largest 1024/,
    );
  });
  test('CPU checks name the token and the value', () => {
    expect(() => checkTokenIds([1, 2, 50_257], 50_257)).toThrow(
      /embedding: token 2 has id 50257, outside 0\.\.50256 \(vocab 50257\)/,
    );
    expect(() => checkTokenIds([1, -1], 10)).toThrow(/token 1 has id -1/);
    expect(() => checkPositions([0, 1024], 1024)).toThrow(/token 1 is at position 1024, outside 0\.\.1023/);
    expect(() => checkTokenIds([0, 9], 10)).not.toThrow();
  });
});

describe('bad arguments are refused with the value named', () => {
  test('short buffers, chunk gaps, aliasing', async () => {
    const gpu = await testGpu();
    const embed = await kernel;
    const ids = storage(gpu, 16, 'bad:ids');
    const table = storage(gpu, 10 * 8 * 4, 'bad:E');
    const output = storage(gpu, 4 * 8 * 4, 'bad:out');
    const status = storage(gpu, 16, 'bad:status');
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    const chunks = [{ buffer: table, start: 0, end: 10 }];
    const shape = { tokens: 4, dim: 8, vocab: 10 };
    expect(() => embed.encode(pass, ids, chunks, output, status, { ...shape, tokens: 5 })).toThrow(
      /embedding: ids buffer "bad:ids" has 16 bytes but the shape needs 20/,
    );
    expect(() => embed.encode(pass, ids, chunks, output, status, { ...shape, vocab: 11 })).toThrow(
      /table chunks end at 10 but must cover 0\.\.11/,
    );
    expect(() => embed.encode(pass, ids, chunks, output, output, shape)).toThrow(
      /output and status are the same buffer "bad:out"/,
    );
    const positional = { positions: ids, table, maxPositions: 11 };
    expect(() => embed.encode(pass, ids, chunks, output, status, shape, positional)).toThrow(
      /position table buffer "bad:E" has 320 bytes but the shape needs 352/,
    );
    pass.end();
  });
});
