// Where a layer-contrasting method finds its rows: the outputs of one forward (final logits and
// logit lens, see ForwardResult) and the lane's row in them. The shape is the lane runner's
// ComponentOutput (src/decoding/methods/types.ts), so a runner passes its component as is.
import { KernelInputError } from '../../gpu/errors';
import type { ForwardResult } from '../../model/interface';

export interface LayerSource {
  /** [rows, vocab] f32 logits of the forward. */
  logits: GPUBuffer;
  /** The lane's row in it. */
  row: number;
  /** Logit rows of the forward. */
  rows: number;
  /** [layers.length, rows, vocab] logit-lens logits and the layers the forward captured, in order. */
  logitLens?: { buffer: GPUBuffer; layers: readonly number[] };
}

/** A LayerSource from a ForwardResult run with capture { logitLensLayers: lensLayers }. */
export function layerSource(
  forward: ForwardResult,
  row: number,
  lensLayers: readonly number[] = [],
): LayerSource {
  return {
    logits: forward.logits,
    row,
    rows: forward.rows.length,
    ...(forward.logitLens ? { logitLens: { buffer: forward.logitLens, layers: lensLayers } } : {}),
  };
}

/** The row of `layer`'s lens in the source's logitLens buffer [layers, rows, vocab]. */
export function lensRow(source: LayerSource, layer: number): number {
  const layers = source.logitLens?.layers ?? [];
  const index = layers.indexOf(layer);
  if (index < 0) {
    throw new KernelInputError(
      `the forward has no logit lens of layer ${layer} (it captured [${layers.join(', ')}]); ` +
        "run it with this method's capture",
    );
  }
  if (!Number.isInteger(source.row) || source.row < 0 || source.row >= source.rows) {
    throw new KernelInputError(
      `row must be in 0..${source.rows - 1} (the forward returned ${source.rows} rows), got ${source.row}`,
    );
  }
  return index * source.rows + source.row;
}
