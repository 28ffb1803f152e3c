// Contrastive combination of N distributions with an adaptive plausibility mask, and temperature.
//
// Papers: Li et al., "Contrastive Decoding: Open-ended Text Generation as Optimization" (expert
// vs amateur, plausibility constraint V_head); Leng et al., "Mitigating Object Hallucinations in
// Large Vision-Language Models through Visual Contrastive Decoding" (VCD); and the relatives in
// shared/METHODS.md (ICD, RITUAL, Debias, DoLa), which are all instances of
//
//   score(y) = (1/T) * sum_j w_j * log p_j(y)                      for y in V_head
//   V_head   = { y : p_b(y) >= beta * max_w p_b(w) }                (b = the base input)
//   score(y) = -Inf                                                otherwise
//
// VCD's softmax[(1+a) l(y|v,x) - a l(y|v',x)] is weights [1+a, -a]: softmax is invariant to a
// per-row shift, so combining log-probabilities (l - lse) and logits gives the same distribution;
// we use log-probabilities so that inputs from different models are on one scale.
// Interpretations: beta = 0 turns the mask off; a token that any input with a non-zero weight
// gives -Inf is excluded (a negative weight would otherwise turn it into +Inf); inputs with
// weight 0 are ignored except as the mask's base.
import { dispatch } from '../../gpu/dispatch';
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import { SUMMARY_WORDS } from './layout';
import {
  checkBaseInput,
  checkBeta,
  checkBuffer,
  checkShape,
  checkTemperature,
  checkWeights,
  type LogitShape,
} from './params';

export interface CombineParams {
  /** One weight per input, e.g. [1 + a, -a] for VCD or [1, -1] for Contrastive Decoding. */
  weights: readonly number[];
  /** Index of the input whose distribution defines the plausibility mask. */
  baseInput: number;
  /** Plausibility threshold beta in [0, 1]; 0 turns the mask off. */
  beta: number;
  /** Temperature T > 0 applied to the combined score. */
  temperature: number;
}

/** Workgroups per row: about 16 entries per thread, so per-row constants are loaded rarely. */
export function combineWorkgroupsPerRow(vocab: number): number {
  return Math.max(1, Math.ceil(vocab / (256 * 16)));
}

export function validateCombine(params: CombineParams): void {
  checkWeights(params.weights);
  checkBaseInput(params.baseInput, params.weights.length);
  checkBeta(params.beta);
  checkTemperature(params.temperature);
}

export class CombineKernel {
  private readonly pipelines = new Map<number, GPUComputePipeline>();

  private constructor(
    private readonly gpu: Gpu,
    private readonly uniforms: UniformBlock,
  ) {}

  /** Compiles the pipelines for the given input counts (one per count; the loop unrolls). */
  static async create(
    gpu: Gpu,
    label = 'combine',
    inputCounts: readonly number[] = [1, 2, 3],
  ): Promise<CombineKernel> {
    const kernel = new CombineKernel(gpu, new UniformBlock(gpu, 64, `${label}:params`));
    await Promise.all(inputCounts.map((count) => kernel.prepare(count)));
    return kernel;
  }

  async prepare(inputs: number): Promise<void> {
    if (this.pipelines.has(inputs)) return;
    const pipeline = await this.gpu.pipelines.get({
      shader: 'logit-combine.wgsl',
      entryPoint: 'combine',
      constants: { WORKGROUP_SIZE: 256, INPUTS: inputs },
    });
    this.pipelines.set(inputs, pipeline);
  }

  /**
   * combined (rows, vocab) <- combination of packed (inputs, rows, vocab), using each input row's
   * summary (inputs * rows, 32 words) from RowStatsKernel.
   */
  encode(
    pass: GPUComputePassEncoder,
    packed: GPUBuffer,
    inputSummary: GPUBuffer,
    combined: GPUBuffer,
    shape: LogitShape,
    params: CombineParams,
  ): void {
    checkShape(shape);
    validateCombine(params);
    const inputs = params.weights.length;
    const pipeline = this.pipelines.get(inputs);
    if (!pipeline) {
      throw new KernelInputError(
        `combine kernel has no pipeline for ${inputs} inputs; call prepare(${inputs}) first`,
      );
    }
    checkBuffer(packed, inputs * shape.rows * shape.vocab * 4, 'packed inputs');
    checkBuffer(inputSummary, inputs * shape.rows * SUMMARY_WORDS * 4, 'input summary');
    checkBuffer(combined, shape.rows * shape.vocab * 4, 'combined');
    const block = new ArrayBuffer(64);
    const words = new Uint32Array(block);
    const floats = new Float32Array(block);
    words.set([shape.rows, shape.vocab, inputs, params.baseInput]);
    floats[4] = 1 / params.temperature;
    floats[5] = params.beta > 0 ? Math.log(params.beta) : 0;
    words[6] = params.beta > 0 ? 1 : 0;
    floats.set(params.weights, 8);
    this.uniforms.write(block, pass);
    dispatch(
      this.gpu,
      pass,
      pipeline,
      [packed, inputSummary, combined, this.uniforms.buffer],
      combineWorkgroupsPerRow(shape.vocab),
      shape.rows,
    );
  }

  destroy(): void {
    this.uniforms.destroy();
  }
}
