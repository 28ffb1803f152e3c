// Seeded categorical sampling from the kept set of each row (see shaders/logit-sample.wgsl):
// an integer inverse CDF driven by Philox4x32-10 (Salmon et al., SC'11), so a token is a pure
// function of the logits and (seed, stream = streamBase + row, counter = counter + draw).
import { dispatch } from '../../gpu/dispatch';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import type { Seed } from '../random/philox';
import { DECISION_WORDS, SUMMARY_WORDS } from './layout';
import { checkBuffer, checkDraws, checkShape, checkU32, type LogitShape } from './params';

export interface SampleParams {
  seed: Seed;
  /** Stream of row 0; row b uses streamBase + b (one stream per lane). */
  streamBase: number;
  /** Counter of draw 0; draw d uses counter + d (the decoding step, usually). */
  counter: number;
  /** Independent samples per row (1 for decoding; more for best-of-N or tests). */
  draws: number;
}

export function validateSample(params: SampleParams, rows: number): void {
  checkU32(params.seed.lo, 'seed (low word)');
  checkU32(params.seed.hi, 'seed (high word)');
  checkU32(params.streamBase, 'stream');
  checkU32(params.streamBase + rows - 1, 'stream of the last row');
  checkU32(params.counter, 'counter');
  checkDraws(params.draws);
  checkU32(params.counter + params.draws - 1, 'counter of the last draw');
}

export class SampleKernel {
  private constructor(
    private readonly gpu: Gpu,
    private readonly pipeline: GPUComputePipeline,
    private readonly uniforms: UniformBlock,
  ) {}

  static async create(gpu: Gpu, label = 'sample'): Promise<SampleKernel> {
    const pipeline = await gpu.pipelines.get({
      shader: 'logit-sample.wgsl',
      entryPoint: 'sampleTokens',
      constants: { WORKGROUP_SIZE: 256 },
    });
    return new SampleKernel(gpu, pipeline, new UniformBlock(gpu, 32, `${label}:params`));
  }

  /**
   * tokens (rows, draws, 2 words: id, logit bits) <- samples from logits (rows, vocab) restricted
   * to decision's threshold; also writes kept count and mass into decision words 6 and 7.
   */
  encode(
    pass: GPUComputePassEncoder,
    logits: GPUBuffer,
    summary: GPUBuffer,
    decision: GPUBuffer,
    tokens: GPUBuffer,
    shape: LogitShape,
    params: SampleParams,
  ): void {
    checkShape(shape);
    validateSample(params, shape.rows);
    checkBuffer(logits, shape.rows * shape.vocab * 4, 'logits');
    checkBuffer(summary, shape.rows * SUMMARY_WORDS * 4, 'summary');
    checkBuffer(decision, shape.rows * DECISION_WORDS * 4, 'decision');
    checkBuffer(tokens, shape.rows * params.draws * 8, 'tokens');
    this.uniforms.write(
      new Uint32Array([
        shape.rows,
        shape.vocab,
        params.draws,
        params.streamBase,
        params.seed.lo,
        params.seed.hi,
        params.counter,
        0,
      ]).buffer,
      pass,
    );
    dispatch(
      this.gpu,
      pass,
      this.pipeline,
      [logits, summary, decision, tokens, this.uniforms.buffer],
      shape.rows,
      params.draws,
    );
  }

  destroy(): void {
    this.uniforms.destroy();
  }
}
