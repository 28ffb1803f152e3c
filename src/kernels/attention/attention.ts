// Attention for the WGSL engine: one call per (layer, sequence) that picks the kernel by the
// number of new tokens and optionally captures one head's probabilities for the viewer.
//   queries <= DECODE_MAX_QUERIES (16): DecodeAttention (key-split + merge, ./decode.ts)
//   otherwise:                          PrefillAttention (tiled online softmax, ./prefill.ts)
// Layouts (./shape.ts): Q, O [queries, numHeads, headDim]; K, V cache [capacity, numKvHeads,
// headDim] from cacheOffset; the new tokens are positions keys - queries .. keys - 1.
import type { Gpu } from '../../gpu/runtime';
import { DecodeAttention } from './decode';
import { PrefillAttention } from './prefill';
import { AttentionProbabilities } from './probabilities';
import type { AttentionBuffers, AttentionShape } from './shape';
import { DECODE_MAX_QUERIES } from './splits';

export { DecodeAttention, type DecodeOptions } from './decode';
export { NaiveAttention } from './naive';
export { PrefillAttention, prefillTiling, type PrefillTiling } from './prefill';
export { AttentionProbabilities, type ProbabilityBuffers } from './probabilities';
export type { AttentionBuffers, AttentionShape } from './shape';
export { chooseDecodeSplits, DECODE_MAX_QUERIES, DECODE_SPLIT_TUNING } from './splits';

export interface AttentionCapture {
  /** The head to capture (0-based). */
  head: number;
  /** Written: [queries, keys] f32. */
  probabilities: GPUBuffer;
}

export class Attention {
  private constructor(
    private readonly prefill: PrefillAttention,
    private readonly decode: DecodeAttention,
    private readonly capture: AttentionProbabilities,
  ) {}

  static async create(gpu: Gpu, label = 'attention'): Promise<Attention> {
    const [prefill, decode, capture] = await Promise.all([
      PrefillAttention.create(gpu, `${label}:prefill`),
      DecodeAttention.create(gpu, `${label}:decode`),
      AttentionProbabilities.create(gpu, `${label}:probabilities`),
    ]);
    return new Attention(prefill, decode, capture);
  }

  /**
   * Records O <- attention into `pass` (and the capture when asked); returns the kernel used.
   * One call per pass per instance: the engine keeps one instance per (layer, sequence slot).
   */
  encode(
    pass: GPUComputePassEncoder,
    buffers: AttentionBuffers,
    shape: AttentionShape,
    capture?: AttentionCapture,
  ): 'decode' | 'prefill' {
    const kind = shape.queries <= DECODE_MAX_QUERIES ? 'decode' : 'prefill';
    const captureBuffers = capture && {
      query: buffers.query,
      key: buffers.key,
      probabilities: capture.probabilities,
    };
    // Bad capture arguments throw before anything is recorded.
    if (capture && captureBuffers) this.capture.validate(captureBuffers, shape, capture.head);
    if (kind === 'decode') this.decode.encode(pass, buffers, shape);
    else this.prefill.encode(pass, buffers, shape);
    if (capture && captureBuffers) this.capture.encode(pass, captureBuffers, shape, capture.head);
    return kind;
  }

  destroy(): void {
    this.prefill.destroy();
    this.decode.destroy();
    this.capture.destroy();
  }
}
