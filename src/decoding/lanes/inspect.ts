// The inspector's GPU side for one lane: after a token is chosen, where it stands under every
// component distribution (and the combined one), and how far each component is from the base.
// One submission and ONE small readback per lane-step:
//   ranks:        2 words per ranked row (rank, logit bits)       src/kernels/token-rank/
//   divergences: 12 floats per (base, other) pair                  src/kernels/divergence/
// so (components + 1) x 8 + (components - 1) x 48 bytes, whatever the vocabulary.
// Rows are grouped by the buffer they live in (the main model's logits, the amateur's, a
// pipeline's combined scores, a logit-lens buffer): one rank dispatch per buffer.
// Owned objects (rank kernels, the divergence kernel's plans, the staging buffer) are created
// once and reused every token; a new one appears only when a step has more buffers than before.
import type { Gpu } from '../../gpu/runtime';
import { RowDivergence, DIVERGENCE_STRIDE, decodeDivergence, type DivergenceResult } from '../../kernels/divergence/divergence'; // prettier-ignore
import { RANK_WORDS, TokenRank, parseRanks, type TokenRankResult } from '../../kernels/token-rank/token-rank';

/** One row of logits somewhere on the GPU. */
export interface RowRef {
  logits: GPUBuffer;
  row: number;
  /** Rows of `logits` (its [rows, vocab] shape). */
  rows: number;
}

export interface InspectRequest {
  /** The component rows; rows[0] is the base every divergence is measured from. */
  rows: readonly RowRef[];
  /** Rows ranked but not compared (the combined scores); may be empty. */
  extraRows?: readonly RowRef[];
  token: number;
}

export interface Inspection {
  /** Rank and logit of the token under rows[i], then under extraRows[i]. */
  ranks: TokenRankResult[];
  extraRanks: TokenRankResult[];
  /** Divergence between rows[0] (P) and rows[j] (Q), j = 1.. */
  divergences: DivergenceResult[];
  /** Bytes mapped back. */
  bytes: number;
}

export class LaneInspector {
  private readonly rankKernels: TokenRank[] = [];
  private staging: GPUBuffer | null = null;

  private constructor(
    private readonly gpu: Gpu,
    private readonly vocab: number,
    private readonly maxRows: number,
    private readonly divergence: RowDivergence,
    private readonly label: string,
  ) {}

  /** `maxRows`: the most rows (components + extra) one request ranks. */
  static async create(gpu: Gpu, vocab: number, maxRows: number, label: string): Promise<LaneInspector> {
    const inspector = new LaneInspector(gpu, vocab, maxRows, await RowDivergence.create(gpu), label);
    await inspector.ensureRankKernels(1);
    return inspector;
  }

  private async ensureRankKernels(count: number): Promise<void> {
    while (this.rankKernels.length < count) {
      const label = `${this.label}:rank-${this.rankKernels.length}`;
      this.rankKernels.push(await TokenRank.create(this.gpu, { maxQueries: this.maxRows, label }));
    }
  }

  private stagingFor(bytes: number): GPUBuffer {
    if (this.staging && this.staging.size >= bytes) return this.staging;
    this.staging?.destroy();
    this.staging = this.gpu.device.createBuffer({
      label: `${this.label}:inspect-readback`,
      size: Math.max(16, Math.ceil(bytes / 16) * 16),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    return this.staging;
  }

  async inspect(request: InspectRequest): Promise<Inspection> {
    this.gpu.assertAlive();
    const all = [...request.rows, ...(request.extraRows ?? [])];
    if (all.length > this.maxRows)
      throw new Error(
        `${this.label}: ${all.length} rows to rank, this inspector was built for ${this.maxRows}`,
      );
    const rankGroups = groupBy(
      all.map((ref, index) => ({ ref, index })),
      ({ ref }) => ref.logits,
    );
    await this.ensureRankKernels(rankGroups.length);
    const base = request.rows[0];
    const pairGroups = groupBy(
      request.rows.slice(1).map((ref, k) => ({ ref, index: k })),
      ({ ref }) => ref.logits,
    );
    const rankBytes = all.length * RANK_WORDS * 4;
    const bytes = rankBytes + (request.rows.length - 1) * DIVERGENCE_STRIDE * 4;
    const staging = this.stagingFor(bytes);
    const encoder = this.gpu.device.createCommandEncoder({ label: `${this.label}:inspect` });
    const rankPass = encoder.beginComputePass({ label: `${this.label}:ranks` });
    rankGroups.forEach((group, g) => {
      const first = group[0].ref;
      this.rankKernels[g].encode(rankPass, {
        logits: first.logits,
        vocab: this.vocab,
        rows: first.rows,
        queries: group.map(({ ref }) => ({ row: ref.row, token: request.token })),
      });
    });
    rankPass.end();
    // Results land in staging in request order: query q of group g goes to its row's slot.
    rankGroups.forEach((group, g) => {
      group.forEach(({ index }, q) => {
        const size = RANK_WORDS * 4;
        encoder.copyBufferToBuffer(this.rankKernels[g].output, q * size, staging, index * size, size);
      });
    });
    for (const group of pairGroups) {
      // One pass per group: the divergence output of a shape is reused, so copy before the next.
      const pass = encoder.beginComputePass({ label: `${this.label}:divergence` });
      const output = this.divergence.encode(pass, {
        p: base.logits,
        q: group[0].ref.logits,
        vocab: this.vocab,
        pRows: base.rows,
        qRows: group[0].ref.rows,
        pairs: group.map(({ ref }) => [base.row, ref.row] as const),
      });
      pass.end();
      group.forEach(({ index }, k) => {
        const size = DIVERGENCE_STRIDE * 4;
        encoder.copyBufferToBuffer(output, k * size, staging, rankBytes + index * size, size);
      });
    }
    this.gpu.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    const words = new Uint32Array(staging.getMappedRange(0, bytes).slice(0));
    staging.unmap();
    const ranks = parseRanks(words, all.length);
    const pairs = request.rows.slice(1).map((ref) => [base.row, ref.row] as const);
    const floats = new Float32Array(words.buffer, rankBytes, pairs.length * DIVERGENCE_STRIDE);
    return {
      ranks: ranks.slice(0, request.rows.length),
      extraRanks: ranks.slice(request.rows.length),
      divergences: pairs.length > 0 ? decodeDivergence(floats, pairs) : [],
      bytes,
    };
  }

  dispose(): void {
    for (const kernel of this.rankKernels) kernel.destroy();
    this.divergence.dispose();
    this.staging?.destroy();
  }
}

/** Items grouped by key identity, groups in order of first appearance. */
function groupBy<T, K>(items: readonly T[], key: (item: T) => K): T[][] {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return [...groups.values()];
}
