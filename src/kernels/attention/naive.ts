// Straightforward WGSL attention (shaders/attention-naive.wgsl): the full score matrix
// [numHeads, queries, keys] f32 in a scratch storage buffer, one softmax per row, then P V.
// The benchmark baseline ("naive-wgsl") for the tiled kernels and a second GPU cross-check of
// them; not for production (its scratch grows as queries x keys). Spec: reference.ts.
import { dispatch } from '../../gpu/dispatch';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import { ScratchBuffer } from './scratch';
import {
  checkAttentionBuffers,
  checkGrid,
  packParams,
  PARAM_BYTES,
  resolveShape,
  type AttentionBuffers,
  type AttentionShape,
} from './shape';

const KERNEL = 'NaiveAttention';
const SHADER = 'attention-naive.wgsl';
const WORKGROUP_SIZE = 64;

export class NaiveAttention {
  private constructor(
    private readonly gpu: Gpu,
    private readonly pipelines: {
      scores: GPUComputePipeline;
      softmax: GPUComputePipeline;
      output: GPUComputePipeline;
    },
    private readonly uniforms: UniformBlock,
    private readonly scores: ScratchBuffer,
  ) {}

  static async create(gpu: Gpu, label = 'attention-naive'): Promise<NaiveAttention> {
    const [scores, softmax, output] = await Promise.all(
      ['naiveScores', 'naiveSoftmax', 'naiveOutput'].map((entryPoint) =>
        gpu.pipelines.get({ shader: SHADER, entryPoint }),
      ),
    );
    return new NaiveAttention(
      gpu,
      { scores, softmax, output },
      new UniformBlock(gpu, PARAM_BYTES, `${label}:params`),
      new ScratchBuffer(gpu, `${label}:scores`),
    );
  }

  /** Records the three dispatches into `pass`; one call per pass per instance. */
  encode(pass: GPUComputePassEncoder, buffers: AttentionBuffers, shape: AttentionShape): void {
    const s = resolveShape(KERNEL, shape);
    checkAttentionBuffers(KERNEL, this.gpu.device, buffers, s);
    const scores = this.scores.get(
      KERNEL,
      s.numHeads * s.queries * s.keys * 4,
      `the [${s.numHeads}, ${s.queries}, ${s.keys}] score matrix`,
    );
    this.uniforms.write(packParams(s), pass);
    const params = this.uniforms.buffer;
    const keyGroups = Math.ceil(s.keys / WORKGROUP_SIZE);
    checkGrid(KERNEL, this.gpu.device, `keys (L) = ${s.keys}`, keyGroups);
    checkGrid(KERNEL, this.gpu.device, `queries (Tq) = ${s.queries}`, s.queries);
    dispatch(
      this.gpu,
      pass,
      this.pipelines.scores,
      [buffers.query, buffers.key, scores, params],
      keyGroups,
      s.queries,
      s.numHeads,
    );
    dispatch(this.gpu, pass, this.pipelines.softmax, [scores, params], s.queries, s.numHeads);
    dispatch(
      this.gpu,
      pass,
      this.pipelines.output,
      [scores, buffers.value, buffers.output, params],
      Math.ceil(s.headDim / WORKGROUP_SIZE),
      s.queries,
      s.numHeads,
    );
  }

  destroy(): void {
    this.uniforms.destroy();
    this.scores.destroy();
  }
}
