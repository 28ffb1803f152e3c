// Attention probability capture for the attention viewer (shaders/attention-probabilities.wgsl):
// probabilities [queries, keys] f32 of ONE head, row t = softmax over keys 0 ..= t's causal
// position, exactly 0 after it. The tiled kernels never hold a whole row, so this is a separate
// dispatch that recomputes the chosen head's scores: it costs one extra pass over K for one head
// of one layer when the viewer asks, and nothing otherwise. Spec: attentionProbabilitiesReference.
import { dispatch } from '../../gpu/dispatch';
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import {
  checkBuffer,
  checkGrid,
  packParams,
  PARAM_BYTES,
  resolveShape,
  tensorElements,
  type AttentionShape,
  type ResolvedShape,
} from './shape';

const KERNEL = 'AttentionProbabilities';

export interface ProbabilityBuffers {
  /** Q [queries, numHeads, headDim] f32 from queryOffset. */
  query: GPUBuffer;
  /** K cache [capacity, numKvHeads, headDim] f32 from cacheOffset. */
  key: GPUBuffer;
  /** Written: [queries, keys] f32 from element 0. */
  probabilities: GPUBuffer;
}

export class AttentionProbabilities {
  private constructor(
    private readonly gpu: Gpu,
    private readonly pipeline: GPUComputePipeline,
    private readonly uniforms: UniformBlock,
  ) {}

  static async create(gpu: Gpu, label = 'attention-probabilities'): Promise<AttentionProbabilities> {
    const pipeline = await gpu.pipelines.get({
      shader: 'attention-probabilities.wgsl',
      entryPoint: 'captureProbabilities',
    });
    return new AttentionProbabilities(gpu, pipeline, new UniformBlock(gpu, PARAM_BYTES, `${label}:params`));
  }

  /** Records the capture of `head` (0-based) into `pass`; one call per pass per instance. */
  encode(
    pass: GPUComputePassEncoder,
    buffers: ProbabilityBuffers,
    shape: AttentionShape,
    head: number,
  ): void {
    const s = this.validate(buffers, shape, head);
    this.uniforms.write(packParams(s, { captureHead: head }), pass);
    dispatch(
      this.gpu,
      pass,
      this.pipeline,
      [buffers.query, buffers.key, buffers.probabilities, this.uniforms.buffer],
      s.queries,
    );
  }

  /** Throws KernelInputError naming the first bad argument; returns the resolved shape. */
  validate(buffers: ProbabilityBuffers, shape: AttentionShape, head: number): ResolvedShape {
    const s = resolveShape(KERNEL, shape);
    if (!Number.isInteger(head) || head < 0 || head >= s.numHeads) {
      throw new KernelInputError(
        `${KERNEL}: head = ${head} must be an integer in 0..${s.numHeads - 1} (numHeads = ${s.numHeads}).`,
      );
    }
    const elements = tensorElements(s);
    const { device } = this.gpu;
    const cache = `cacheOffset ${s.cacheOffset} + [${s.capacity}, ${s.numKvHeads}, ${s.headDim}] f32`;
    const rows = `[${s.queries}, ${s.numHeads}, ${s.headDim}] f32`;
    checkBuffer(
      KERNEL,
      device,
      'query',
      buffers.query,
      elements.query * 4,
      `queryOffset ${s.queryOffset} + ${rows}`,
    );
    checkBuffer(KERNEL, device, 'key', buffers.key, elements.cache * 4, cache);
    const bytes = s.queries * s.keys * 4;
    checkBuffer(
      KERNEL,
      device,
      'probabilities',
      buffers.probabilities,
      bytes,
      `[${s.queries}, ${s.keys}] f32`,
    );
    if (buffers.probabilities === buffers.query || buffers.probabilities === buffers.key) {
      throw new KernelInputError(`${KERNEL}: the probabilities buffer must not be the query or key buffer.`);
    }
    checkGrid(KERNEL, device, `queries (Tq) = ${s.queries}`, s.queries);
    return s;
  }

  destroy(): void {
    this.uniforms.destroy();
  }
}
