// Truncation before sampling: top-k, top-p (nucleus), min-p, as one threshold per row.
//
// top-k: Fan et al., "Hierarchical Neural Story Generation": keep the k most likely tokens.
// top-p: Holtzman et al., "The Curious Case of Neural Text Degeneration": keep the smallest set
//        whose cumulative probability is >= p.
// min-p: Nguyen et al., "Turning Up the Heat: Min-p Sampling...": keep p(y) >= min_p * max p.
//
// Applied in Hugging Face's order: top-k, then top-p renormalised over the top-k survivors, then
// min-p. Interpretations (documented in shaders/logit-filter.wgsl):
// - Every filter is a threshold on the logit, so ties at a boundary are all kept (as in
//   transformers' TopKLogitsWarper, which removes `scores < kth_value`).
// - Top-p mass is counted in units of 2^-31 (q = floor(p * 2^31)) so the GPU's sums are exact and
//   order-independent; tokens with p < 2^-31 add nothing to the mass.
// - top_k = 0, top_p = 1 and min_p = 0 turn the corresponding filter off.
import { dispatch } from '../../gpu/dispatch';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import { DECISION_WORDS, SUMMARY_WORDS } from './layout';
import { checkBuffer, checkMinP, checkShape, checkTopK, checkTopP, type LogitShape } from './params';

export interface FilterParams {
  topK: number;
  topP: number;
  minP: number;
}

export const NO_FILTER: FilterParams = { topK: 0, topP: 1, minP: 0 };

export function validateFilter(params: FilterParams): void {
  checkTopK(params.topK);
  checkTopP(params.topP);
  checkMinP(params.minP);
}

export class FilterKernel {
  private constructor(
    private readonly gpu: Gpu,
    private readonly thresholds: GPUComputePipeline,
    private readonly apply: GPUComputePipeline,
    private readonly uniforms: UniformBlock,
    private readonly applyUniforms: UniformBlock,
  ) {}

  static async create(gpu: Gpu, label = 'filter'): Promise<FilterKernel> {
    const constants = { WORKGROUP_SIZE: 256 };
    const [thresholds, apply] = await Promise.all([
      gpu.pipelines.get({ shader: 'logit-filter.wgsl', entryPoint: 'filterThresholds', constants }),
      gpu.pipelines.get({ shader: 'logit-filter.wgsl', entryPoint: 'applyThreshold', constants }),
    ]);
    return new FilterKernel(
      gpu,
      thresholds,
      apply,
      new UniformBlock(gpu, 32, `${label}:params`),
      new UniformBlock(gpu, 16, `${label}:apply-params`),
    );
  }

  /** decision (rows, 8 words) <- thresholds for logits (rows, vocab) with their summary. */
  encode(
    pass: GPUComputePassEncoder,
    logits: GPUBuffer,
    summary: GPUBuffer,
    decision: GPUBuffer,
    shape: LogitShape,
    params: FilterParams,
  ): void {
    checkShape(shape);
    validateFilter(params);
    checkBuffer(logits, shape.rows * shape.vocab * 4, 'logits');
    checkBuffer(summary, shape.rows * SUMMARY_WORDS * 4, 'summary');
    checkBuffer(decision, shape.rows * DECISION_WORDS * 4, 'decision');
    const block = new ArrayBuffer(32);
    const words = new Uint32Array(block);
    const floats = new Float32Array(block);
    words[0] = shape.rows;
    words[1] = shape.vocab;
    words[2] = params.topK;
    words[3] = params.topP < 1 ? 1 : 0;
    floats[4] = params.topP;
    words[5] = params.minP > 0 ? 1 : 0;
    floats[6] = params.minP > 0 ? Math.log(params.minP) : 0;
    this.uniforms.write(block, pass);
    dispatch(this.gpu, pass, this.thresholds, [logits, summary, decision, this.uniforms.buffer], shape.rows);
  }

  /** filtered (rows, vocab) <- logits with every entry below the row's threshold set to -Inf. */
  encodeApply(
    pass: GPUComputePassEncoder,
    logits: GPUBuffer,
    decision: GPUBuffer,
    filtered: GPUBuffer,
    shape: LogitShape,
  ): void {
    checkShape(shape);
    checkBuffer(filtered, shape.rows * shape.vocab * 4, 'filtered');
    this.applyUniforms.write(new Uint32Array([shape.rows, shape.vocab, 0, 0]).buffer, pass);
    dispatch(
      this.gpu,
      pass,
      this.apply,
      [logits, decision, filtered, this.applyUniforms.buffer],
      Math.ceil(shape.vocab / 256),
      shape.rows,
    );
  }

  destroy(): void {
    this.uniforms.destroy();
    this.applyUniforms.destroy();
  }
}
