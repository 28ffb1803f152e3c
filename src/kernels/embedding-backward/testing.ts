// Shared by the embedding backward tests and Kernel checks: seeded ids with repeats, one-shot GPU
// runs over a chunked table gradient.
import { submitPass } from '../../gpu/dispatch';
import { readFloat32, uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { seededRandom } from '../../testing/logits';
import { destroyWeight, uploadWeight } from '../matmul/chunks';
import type { EmbeddingBackwardKernel } from './embedding-backward';
import { groupTokensById, TokenGroupingBuffers } from './grouping';

/** T ids in 0..rows-1 drawn from a small pool, so most ids repeat (as real text does). */
export function idsWithRepeats(seed: number, tokens: number, rows: number): Uint32Array {
  const random = seededRandom(seed);
  const pool = Array.from({ length: Math.max(1, Math.ceil(tokens / 3)) }, () => Math.floor(random() * rows));
  pool.push(0, rows - 1);
  return Uint32Array.from({ length: tokens }, () => pool[Math.floor(random() * pool.length)]);
}

/**
 * Uploads dOut and dE (as chunks of at most `chunkRows` rows), groups the ids on the CPU, encodes
 * once, reads dE back, releases everything.
 */
export async function runEmbeddingBackward(
  gpu: Gpu,
  kernel: EmbeddingBackwardKernel,
  ids: Uint32Array,
  outputGradient: Float32Array,
  tableGradient: Float32Array,
  rows: number,
  dim: number,
  chunkRows = rows,
): Promise<Float32Array> {
  const tokens = ids.length;
  const grouping = new TokenGroupingBuffers(gpu, tokens, 'embedding-backward-test:grouping');
  const dOut = uploadStorage(gpu, outputGradient, 'embedding-backward-test:dOut');
  const table = uploadWeight(
    gpu,
    tableGradient,
    'nk',
    rows,
    dim,
    'embedding-backward-test:dE',
    chunkRows * dim * 4,
  );
  try {
    grouping.write(groupTokensById(ids, rows));
    await submitPass(gpu, 'embedding-backward-test', (pass) =>
      kernel.encode(pass, grouping, dOut, table.chunks, { tokens, dim, rows }),
    );
    const parts = await Promise.all(
      table.chunks.map((c) => readFloat32(gpu, c.buffer, (c.end - c.start) * dim)),
    );
    const out = new Float32Array(rows * dim);
    table.chunks.forEach((c, i) => out.set(parts[i], c.start * dim));
    return out;
  } finally {
    grouping.destroy();
    dOut.destroy();
    destroyWeight(table);
  }
}
