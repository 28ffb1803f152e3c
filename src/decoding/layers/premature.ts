// DoLa's dynamic premature layer: M = argmax_j JS(q_N || q_j) over the candidate layers, computed
// on the GPU by the row-divergence kernel (src/kernels/divergence/), of which only the JS value and
// the validity words of each pair are mapped back: 16 bytes per candidate layer.
// Ties go to the lowest candidate layer (torch.argmax in Hugging Face's _dola_select_contrast takes
// the first maximum).
import { EmptyDistributionError, GpuError, KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import {
  DIVERGENCE_STRIDE,
  DivergenceFlag,
  DivergenceSlot,
  RowDivergence,
  type DivergencePair,
} from '../../kernels/divergence/divergence';

/** Bytes mapped back per candidate: JS, NaN counts of both rows, flags. */
export const PREMATURE_BYTES_PER_LAYER = 16;

export interface PrematureRows {
  /** Final-layer logits [pRows, vocab] and the row of q_N in it. */
  final: GPUBuffer;
  finalRows: number;
  finalRow: number;
  /** Logit-lens logits [lensRows, vocab] and, per candidate layer (in order), the row of q_j. */
  lens: GPUBuffer;
  lensRows: number;
  candidateRows: readonly number[];
}

export interface PrematureChoice {
  /** Index into the candidate list of the layer with the largest JS divergence. */
  index: number;
  /** JS(q_N || q_j) per candidate, natural log, in [0, ln 2]. */
  js: number[];
}

export class PrematureLayerSelector {
  private readonly staging: GPUBuffer;
  private busy = false;

  private constructor(
    private readonly gpu: Gpu,
    private readonly divergence: RowDivergence,
    private readonly vocab: number,
    private readonly candidates: number,
  ) {
    this.staging = gpu.device.createBuffer({
      label: 'dola:js-readback',
      size: candidates * PREMATURE_BYTES_PER_LAYER,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
  }

  static async create(gpu: Gpu, vocab: number, candidates: number): Promise<PrematureLayerSelector> {
    if (!Number.isInteger(candidates) || candidates < 1) {
      throw new KernelInputError(`DoLa needs at least one candidate layer, got ${candidates}`);
    }
    return new PrematureLayerSelector(gpu, await RowDivergence.create(gpu), vocab, candidates);
  }

  /** One submission (divergence + copies of 16 bytes per pair), one small readback. */
  async select(rows: PrematureRows): Promise<PrematureChoice> {
    this.gpu.assertAlive();
    if (rows.candidateRows.length !== this.candidates) {
      throw new KernelInputError(
        `DoLa selector was built for ${this.candidates} candidate layers, got ${rows.candidateRows.length} rows`,
      );
    }
    if (this.busy) throw new Error('PrematureLayerSelector.select called before the previous one resolved');
    this.busy = true;
    try {
      const pairs: DivergencePair[] = rows.candidateRows.map((q) => [rows.finalRow, q]);
      const encoder = this.gpu.device.createCommandEncoder({ label: 'dola:premature-layer' });
      const pass = encoder.beginComputePass({ label: 'dola:premature-layer' });
      const output = this.divergence.encode(pass, {
        p: rows.final,
        q: rows.lens,
        vocab: this.vocab,
        pRows: rows.finalRows,
        qRows: rows.lensRows,
        pairs,
      });
      pass.end();
      pairs.forEach((_, k) =>
        encoder.copyBufferToBuffer(
          output,
          (k * DIVERGENCE_STRIDE + DivergenceSlot.js) * 4,
          this.staging,
          k * PREMATURE_BYTES_PER_LAYER,
          PREMATURE_BYTES_PER_LAYER,
        ),
      );
      this.gpu.device.queue.submit([encoder.finish()]);
      const bytes = this.candidates * PREMATURE_BYTES_PER_LAYER;
      try {
        await this.staging.mapAsync(GPUMapMode.READ, 0, bytes);
      } catch (cause) {
        if (this.gpu.isLost) throw new GpuError('device-lost', 'The GPU device was lost during DoLa.');
        throw cause;
      }
      const record = new Float32Array(this.staging.getMappedRange(0, bytes).slice(0));
      this.staging.unmap();
      return decodePremature(record, rows);
    } finally {
      this.busy = false;
    }
  }

  destroy(): void {
    this.staging.destroy();
    this.divergence.dispose();
  }
}

// Slots js, nanCountP, nanCountQ, flags are consecutive in the divergence record (4..7).
const JS = 0;
const NAN_P = DivergenceSlot.nanCountP - DivergenceSlot.js;
const NAN_Q = DivergenceSlot.nanCountQ - DivergenceSlot.js;
const FLAGS = DivergenceSlot.flags - DivergenceSlot.js;

function decodePremature(record: Float32Array, rows: PrematureRows): PrematureChoice {
  const js: number[] = [];
  let index = 0;
  rows.candidateRows.forEach((lensRow, k) => {
    const o = k * 4;
    const flags = record[o + FLAGS];
    if (record[o + NAN_P] > 0 || flags & DivergenceFlag.positiveInfinityP) {
      throw new KernelInputError(
        `DoLa: the final-layer logits (row ${rows.finalRow}) contain NaN or +Infinity`,
      );
    }
    if (record[o + NAN_Q] > 0 || flags & DivergenceFlag.positiveInfinityQ) {
      throw new KernelInputError(`DoLa: logit-lens row ${lensRow} contains NaN or +Infinity`);
    }
    if (flags & DivergenceFlag.emptyP)
      throw new EmptyDistributionError([rows.finalRow], 'DoLa (final layer)');
    if (flags & DivergenceFlag.emptyQ) throw new EmptyDistributionError([lensRow], 'DoLa (logit lens)');
    js.push(record[o + JS]);
    if (record[o + JS] > js[index]) index = k;
  });
  return { index, js };
}
