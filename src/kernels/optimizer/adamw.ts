// AdamW: Loshchilov & Hutter, "Decoupled Weight Decay Regularization" (ICLR 2019), Algorithm 2,
// with global-norm gradient clipping (as torch.nn.utils.clip_grad_norm_) in front:
//
//   c  = min(1, maxNorm / (||g||_2 + 1e-6))      (1 when maxNorm = Infinity; ||g|| over ALL tensors)
//   g' = c g
//   m  = b1 m + (1 - b1) g'
//   v  = b2 v + (1 - b2) g'^2
//   m^ = m / (1 - b1^t),  v^ = v / (1 - b2^t)
//   p  = p - lr (m^ / (sqrt(v^) + eps) + lambda p)     (lambda = 0 for tensors without decay)
//
// Paper defaults: b1 = 0.9, b2 = 0.999, eps = 1e-8. Interpretation: the paper scales the decay by
// the schedule multiplier eta_t alone (p -= eta_t (alpha m^/(sqrt v^ + eps) + lambda p)); we follow
// PyTorch's torch.optim.AdamW, where lr = eta_t alpha multiplies both terms, so our lambda is the
// paper's lambda / alpha (PyTorch default 0.01). Norms and biases usually get no decay (GPT-2/nanoGPT).
//
// ||g|| and the NaN/Inf count come from the stats buffer of GradientNormKernel, read ON THE GPU:
// no round trip between the norm and the step. If any gradient entry is NaN/Inf (or the norm
// overflowed), every tensor's p, m, v is left unchanged, so the caller can stop at the last good
// state. Layouts: p, g, m, v are [n] f32 each. Spec: ./reference.ts. Shader: shaders/optimizer.wgsl.
import { dispatch } from '../../gpu/dispatch';
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import { checkDistinct, checkInteger, checkStorage, strideGroups } from '../matmul/support';
import {
  MAX_GRADIENT_ENTRIES,
  MAX_GRADIENT_TENSORS,
  OPTIMIZER_WORKGROUP_SIZE,
  STATS_HEADER_WORDS,
} from './gradient-norm';
import { biasCorrection, validateAdamW, type AdamWHyperParameters } from './params';

const NAME = 'adamw';
const UNIFORM_BYTES = 64;

export interface AdamWTensor {
  parameter: GPUBuffer;
  gradient: GPUBuffer;
  firstMoment: GPUBuffer;
  secondMoment: GPUBuffer;
  /** n, the entries of each of the four buffers. */
  count: number;
  /** Apply weight decay (weights: yes; norms and biases: usually not). */
  decay: boolean;
}

export class AdamWKernel {
  private constructor(
    private readonly gpu: Gpu,
    private readonly pipeline: GPUComputePipeline,
    private readonly uniforms: UniformBlock[],
  ) {}

  /** One uniform block per tensor, made once: a step encodes every tensor in one pass. */
  static async create(gpu: Gpu, tensors: number, label = 'adamw'): Promise<AdamWKernel> {
    checkInteger(NAME, 'number of parameter tensors', tensors, 1, MAX_GRADIENT_TENSORS);
    const pipeline = await gpu.pipelines.get({
      shader: 'optimizer.wgsl',
      entryPoint: 'adamWStep',
      constants: { WORKGROUP_SIZE: OPTIMIZER_WORKGROUP_SIZE },
    });
    const uniforms = Array.from(
      { length: tensors },
      (_, i) => new UniformBlock(gpu, UNIFORM_BYTES, `${label}:${i}`),
    );
    return new AdamWKernel(gpu, pipeline, uniforms);
  }

  /** p, m, v of every tensor <- one AdamW step, unless stats (GradientNormKernel) flag NaN/Inf. */
  encode(
    pass: GPUComputePassEncoder,
    tensors: readonly AdamWTensor[],
    stats: GPUBuffer,
    hyper: AdamWHyperParameters,
  ): void {
    validateAdamW(hyper);
    if (tensors.length !== this.uniforms.length) {
      throw new KernelInputError(
        `${NAME}: got ${tensors.length} tensors but the kernel was created for ${this.uniforms.length}`,
      );
    }
    checkStorage(this.gpu, NAME, 'stats', stats, STATS_HEADER_WORDS * 4);
    tensors.forEach((tensor, i) => {
      checkInteger(NAME, `entries of tensor ${i}`, tensor.count, 1, MAX_GRADIENT_ENTRIES);
      const bytes = tensor.count * 4;
      const named: [string, GPUBuffer][] = [
        [`parameter ${i}`, tensor.parameter],
        [`gradient ${i}`, tensor.gradient],
        [`first moment ${i}`, tensor.firstMoment],
        [`second moment ${i}`, tensor.secondMoment],
        ['stats', stats],
      ];
      for (const [what, buffer] of named.slice(0, 4)) checkStorage(this.gpu, NAME, what, buffer, bytes);
      for (const written of [0, 2, 3]) {
        checkDistinct(
          NAME,
          named[written],
          named.filter((_, k) => k !== written),
        );
      }
    });
    const block = new ArrayBuffer(UNIFORM_BYTES);
    const words = new Uint32Array(block);
    const floats = new Float32Array(block);
    const clip = hyper.maxGradientNorm !== Infinity;
    floats.set(
      [
        hyper.learningRate,
        hyper.beta1,
        hyper.beta2,
        hyper.epsilon,
        hyper.weightDecay,
        clip ? hyper.maxGradientNorm : 0,
        biasCorrection(hyper.beta1, hyper.step),
        biasCorrection(hyper.beta2, hyper.step),
        1 - hyper.beta1,
        1 - hyper.beta2,
      ],
      4,
    );
    tensors.forEach((tensor, i) => {
      words.set([tensor.count, tensor.decay ? 1 : 0, clip ? 1 : 0, 0]);
      this.uniforms[i].write(block.slice(0), pass);
      const buffers = [tensor.parameter, tensor.gradient, tensor.firstMoment, tensor.secondMoment, stats];
      dispatch(
        this.gpu,
        pass,
        this.pipeline,
        [...buffers, this.uniforms[i].buffer],
        strideGroups(tensor.count, OPTIMIZER_WORKGROUP_SIZE),
      );
    });
  }

  destroy(): void {
    for (const block of this.uniforms) block.destroy();
  }
}
