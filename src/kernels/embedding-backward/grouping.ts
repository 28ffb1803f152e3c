// The CPU side of the embedding backward: token ids grouped by id, in CSR form.
//
//   uniqueIds [U]    the distinct ids, ascending
//   offsets   [U+1]  group u is tokens[offsets[u] .. offsets[u + 1]]
//   tokens    [T]    token positions, grouped by id, ascending within a group
//
// The ids are inputs the CPU already holds, so grouping them here (O(T log T), T a few thousand)
// makes the GPU side a race-free gather: one workgroup per unique id, adding in token order. The
// same grouping serves GPT-2's position table with the positions as ids.
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';

export interface TokenGrouping {
  uniqueIds: Uint32Array;
  offsets: Uint32Array;
  tokens: Uint32Array;
  /** T, the positions the ids covered (rows of dOut), including any left out. */
  positions: number;
}

/**
 * Groups token positions 0..T-1 by ids[t]. Every id must be an integer in 0..rows-1 (`rows` is
 * the vocabulary, or maxPositions for a position table); `what` names the ids in the error.
 * Positions for which `include` is false are left out (rows whose embedding was replaced, e.g.
 * a vision-language model's image rows, get no gradient from the table).
 */
export function groupTokensById(
  ids: ArrayLike<number>,
  rows: number,
  what = 'token id',
  include: (t: number) => boolean = () => true,
): TokenGrouping {
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t];
    if (!Number.isInteger(id) || id < 0 || id >= rows) {
      throw new KernelInputError(
        `embedding backward: token ${t} has ${what} ${id}, outside 0..${rows - 1} (table of ${rows} rows); ` +
          'the ids must be the ones the forward pass embedded',
      );
    }
  }
  // Array.prototype.sort is stable, so ties keep token order.
  const order = Array.from({ length: ids.length }, (_, t) => t)
    .filter(include)
    .sort((a, b) => ids[a] - ids[b]);
  const tokens = Uint32Array.from(order);
  const unique: number[] = [];
  const offsets: number[] = [];
  order.forEach((t, j) => {
    if (j === 0 || ids[t] !== ids[order[j - 1]]) {
      unique.push(ids[t]);
      offsets.push(j);
    }
  });
  offsets.push(order.length);
  return {
    uniqueIds: Uint32Array.from(unique),
    offsets: Uint32Array.from(offsets),
    tokens,
    positions: ids.length,
  };
}

/**
 * GPU buffers for a grouping of up to `maxTokens` tokens, created once and rewritten each step
 * (write), so no buffer is created per step. Sizes: uniqueIds and tokens maxTokens words, offsets
 * maxTokens + 1.
 */
export class TokenGroupingBuffers {
  readonly uniqueIds: GPUBuffer;
  readonly offsets: GPUBuffer;
  readonly tokens: GPUBuffer;
  /** Unique ids of the grouping last written. */
  uniqueCount = 0;
  tokenCount = 0;

  constructor(
    private readonly gpu: Gpu,
    readonly maxTokens: number,
    label: string,
  ) {
    if (!Number.isInteger(maxTokens) || maxTokens < 1) {
      throw new KernelInputError(
        `embedding backward: maxTokens must be a positive integer, got ${maxTokens}`,
      );
    }
    const create = (name: string, words: number) =>
      gpu.device.createBuffer({
        label: `${label}:${name}`,
        size: Math.max(16, Math.ceil((words * 4) / 16) * 16),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      });
    this.uniqueIds = create('unique-ids', maxTokens);
    this.offsets = create('offsets', maxTokens + 1);
    this.tokens = create('tokens', maxTokens);
  }

  /** Queue-writes `grouping` (before the submission that reads it). */
  write(grouping: TokenGrouping): void {
    const count = Math.max(grouping.tokens.length, grouping.positions);
    if (count > this.maxTokens) {
      throw new KernelInputError(
        `embedding backward: the grouping has ${count} tokens but the buffers hold ${this.maxTokens}; ` +
          'create TokenGroupingBuffers with a larger maxTokens',
      );
    }
    const queue = this.gpu.device.queue;
    queue.writeBuffer(this.uniqueIds, 0, new Uint32Array(grouping.uniqueIds));
    queue.writeBuffer(this.offsets, 0, new Uint32Array(grouping.offsets));
    queue.writeBuffer(this.tokens, 0, new Uint32Array(grouping.tokens));
    this.uniqueCount = grouping.uniqueIds.length;
    this.tokenCount = grouping.positions;
  }

  destroy(): void {
    for (const buffer of [this.uniqueIds, this.offsets, this.tokens]) buffer.destroy();
  }
}
