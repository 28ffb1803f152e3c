// One training step of a transformer feed-forward block (the GPT-2 MLP, no norm), composed from
// the WGSL kernels in one compute pass of one submission:
//
//   forward   H = X W_up + b_up                       [T, I]   matmul, bias epilogue
//             A = gelu(H)                             [T, I]   activation (tanh form, gelu_new)
//             Y = X + A W_down + b_down               [T, d]   matmul, bias + accumulate onto a copy of X
//   backward  (dY [T, d] is given: the gradient from the rest of the network)
//             dA = dY W_down^T                        [T, I]   matmul, W_down read as "nk"
//             dW_down = A^T dY, db_down = sum_t dY             linear backward
//             dH = dA * gelu'(H)                      [T, I]   activation backward
//             dX = dY + dH W_up^T                     [T, d]   matmul, W_up read as "nk", accumulate
//                                                              onto a copy of dY (the residual)
//             dW_up = X^T dH, db_up = sum_t dH                 linear backward
//   optimizer ||g|| over dW_up, db_up, dW_down, db_down (one global norm), then AdamW with global
//             clipping (src/kernels/optimizer/adamw.ts); weight decay on the two weights only, as
//             GPT-2/nanoGPT do for biases.
//
// T tokens, d = dim, I = hidden (4d in GPT-2). Weights are GPT-2 Conv1D ("kn"): W_up [d, I],
// W_down [I, d]. All f32 row-major. The pre-activation H is kept for the GELU backward instead of
// fusing gelu into the matmul epilogue, which would lose it.
// Why the input gradients go through the matmul kernel: dA = dY W_down^T is a plain product whose
// weight is read transposed, and a "kn" [K, N] buffer read as "nk" is exactly W^T, so the forward's
// 64 x 64 register-blocked tiles serve it; the linear backward's 16 x 16 one-output-per-thread
// tiles were ~5x slower at this shape on SwiftShader (1.9 s vs 0.38 s for T 1024, d 256, I 1024,
// measured on a loaded 2-core machine).
// Weight gradients X^T dY read their left operand transposed, which only the linear backward does.
// Gradients are overwritten each step (one micro-batch); a trainer accumulating micro-batches would
// zeroGradients (src/kernels/optimizer/zero.ts) and pass accumulate: true to the backward kernels.
// Each kernel instance owns its uniform blocks, so every use-site has its own instance and each is
// encoded once per pass. Buffers, pipelines and bind groups are made once in create().
import { KernelInputError } from '../../gpu/errors';
import { readFloat32 } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { ActivationKernel } from '../../kernels/activation/activation';
import { ActivationBackwardKernel } from '../../kernels/activation-backward/activation-backward';
import { LinearBackwardKernel, MAX_LINEAR_DIM } from '../../kernels/backward-linear/backward-linear';
import { chunkLimit, type MatmulWeight } from '../../kernels/matmul/chunks';
import { MatmulKernel } from '../../kernels/matmul/matmul';
import { checkInteger } from '../../kernels/matmul/support';
import { AdamWKernel, type AdamWTensor } from '../../kernels/optimizer/adamw';
import {
  gradientStatsBytes,
  GradientNormKernel,
  readGradientStats,
  type GradientStats,
} from '../../kernels/optimizer/gradient-norm';
import type { AdamWHyperParameters } from '../../kernels/optimizer/params';

export interface FfnShape {
  /** T, rows of X. */
  tokens: number;
  /** d, the model width. */
  dim: number;
  /** I, the hidden width (4d in GPT-2). */
  hidden: number;
}

/** One array per parameter tensor: values, gradients or optimizer moments, by context. */
export interface FfnParameters {
  /** W_up [d, I]. */
  upWeight: Float32Array;
  /** b_up [I]. */
  upBias: Float32Array;
  /** W_down [I, d]. */
  downWeight: Float32Array;
  /** b_down [d]. */
  downBias: Float32Array;
}

export type FfnParameterName = keyof FfnParameters;
/** The order of the gradient-norm and AdamW tensors. */
export const FFN_PARAMETERS: readonly FfnParameterName[] = ['upWeight', 'upBias', 'downWeight', 'downBias'];
/** Which per-parameter buffer to read back. */
export type FfnParameterState = 'parameter' | 'gradient' | 'firstMoment' | 'secondMoment';

/** Entries of each parameter tensor. */
export function ffnParameterSizes({ dim, hidden }: FfnShape): Record<FfnParameterName, number> {
  return { upWeight: dim * hidden, upBias: hidden, downWeight: hidden * dim, downBias: dim };
}

const NAME = 'ffn training step';
const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

interface Kernels {
  up: MatmulKernel;
  down: MatmulKernel;
  downInputGrad: MatmulKernel;
  upInputGrad: MatmulKernel;
  gelu: ActivationKernel;
  downBackward: LinearBackwardKernel;
  geluBackward: ActivationBackwardKernel;
  upBackward: LinearBackwardKernel;
  norm: GradientNormKernel;
  adamw: AdamWKernel;
}

/** Activations and their gradients, [T, d] or [T, I]. */
interface Activations {
  input: GPUBuffer;
  preActivation: GPUBuffer;
  activation: GPUBuffer;
  output: GPUBuffer;
  gradOutput: GPUBuffer;
  gradActivation: GPUBuffer;
  gradPreActivation: GPUBuffer;
  gradInput: GPUBuffer;
}

export class FfnTrainingStep {
  private constructor(
    private readonly gpu: Gpu,
    readonly shape: FfnShape,
    private readonly label: string,
    private readonly kernels: Kernels,
    private readonly buffers: Activations,
    /** AdamW's view of the four parameters, in FFN_PARAMETERS order. */
    private readonly tensors: readonly AdamWTensor[],
    private readonly stats: GPUBuffer,
  ) {}

  /** Uploads the initial parameters and compiles (or reuses) every kernel's pipelines. */
  static async create(
    gpu: Gpu,
    shape: FfnShape,
    initial: FfnParameters,
    label = 'ffn-step',
  ): Promise<FfnTrainingStep> {
    const { tokens, dim, hidden } = shape;
    checkInteger(NAME, 'tokens (T)', tokens, 1, MAX_LINEAR_DIM);
    checkInteger(NAME, 'dim (d)', dim, 1, MAX_LINEAR_DIM);
    checkInteger(NAME, 'hidden (I)', hidden, 1, MAX_LINEAR_DIM);
    const sizes = ffnParameterSizes(shape);
    for (const name of FFN_PARAMETERS) checkLength(name, initial[name], sizes[name]);
    // The linear backward binds each weight as one buffer, so the weights must not need chunks.
    const limit = chunkLimit(gpu);
    if (dim * hidden * 4 > limit) {
      throw new KernelInputError(
        `${NAME}: a ${dim} x ${hidden} f32 weight is ${dim * hidden * 4} bytes, over this device's ` +
          `binding limit of ${limit} bytes; this step does not split weights into chunks`,
      );
    }
    const kernels = await createKernels(
      gpu,
      label,
      FFN_PARAMETERS.map((name) => sizes[name]),
    );
    const owned: GPUBuffer[] = [];
    const buffer = (bytes: number, name: string) => {
      const created = gpu.device.createBuffer({
        label: `${label}:${name}`,
        size: Math.max(16, Math.ceil(bytes / 16) * 16),
        usage: STORAGE,
      });
      owned.push(created);
      return created;
    };
    try {
      const tensors = FFN_PARAMETERS.map((name): AdamWTensor => {
        const parameter = buffer(sizes[name] * 4, name);
        writeFloats(gpu, parameter, initial[name]);
        return {
          parameter,
          gradient: buffer(sizes[name] * 4, `${name}.grad`),
          // Fresh buffers are zero-filled: m = v = 0 before the first step, as AdamW starts.
          firstMoment: buffer(sizes[name] * 4, `${name}.m`),
          secondMoment: buffer(sizes[name] * 4, `${name}.v`),
          count: sizes[name],
          decay: name === 'upWeight' || name === 'downWeight',
        };
      });
      const rowsD = tokens * dim * 4;
      const rowsI = tokens * hidden * 4;
      const activations: Activations = {
        input: buffer(rowsD, 'X'),
        preActivation: buffer(rowsI, 'H'),
        activation: buffer(rowsI, 'A'),
        output: buffer(rowsD, 'Y'),
        gradOutput: buffer(rowsD, 'dY'),
        gradActivation: buffer(rowsI, 'dA'),
        gradPreActivation: buffer(rowsI, 'dH'),
        gradInput: buffer(rowsD, 'dX'),
      };
      const stats = buffer(gradientStatsBytes(FFN_PARAMETERS.length), 'grad-stats');
      return new FfnTrainingStep(gpu, shape, label, kernels, activations, tensors, stats);
    } catch (error) {
      for (const created of owned) created.destroy();
      for (const kernel of Object.values(kernels)) kernel.destroy();
      throw error;
    }
  }

  /** X [T, d] and dY [T, d] for the following steps. */
  setBatch(input: Float32Array, gradOutput: Float32Array): void {
    const count = this.shape.tokens * this.shape.dim;
    checkLength('input X [T, d]', input, count);
    checkLength('gradOutput dY [T, d]', gradOutput, count);
    writeFloats(this.gpu, this.buffers.input, input);
    writeFloats(this.gpu, this.buffers.gradOutput, gradOutput);
  }

  /** Forward, backward, gradient norm and AdamW: two copies and one compute pass on `encoder`. */
  encode(encoder: GPUCommandEncoder, hyper: AdamWHyperParameters): void {
    const { tokens: t, dim: d, hidden: i } = this.shape;
    const b = this.buffers;
    const k = this.kernels;
    const [up, upBias, down, downBias] = this.tensors;
    // The residual: Y starts as X and dX as dY; the branch's matmuls add into them.
    encoder.copyBufferToBuffer(b.input, 0, b.output, 0, t * d * 4);
    encoder.copyBufferToBuffer(b.gradOutput, 0, b.gradInput, 0, t * d * 4);
    const pass = encoder.beginComputePass({ label: this.label });
    const addInto = { accumulate: true };
    // Forward.
    // Products from width d to I (up, dA) and from I to d (down, dX); linear backward shapes alike.
    const toHidden = { m: t, k: d, n: i };
    const toModel = { m: t, k: i, n: d };
    k.up.encode(pass, b.input, asMatmulWeight(up, 'kn', i), b.preActivation, toHidden, {
      bias: upBias.parameter,
    });
    k.gelu.encodeUnary(pass, 'gelu', b.preActivation, b.activation, t * i);
    const downEpilogue = { bias: downBias.parameter, ...addInto };
    k.down.encode(pass, b.activation, asMatmulWeight(down, 'kn', d), b.output, toModel, downEpilogue);
    // Backward through the down projection: dA = dY W_down^T ([I, d] read as "nk" is W_down^T).
    const downTransposed = asMatmulWeight(down, 'nk', i);
    k.downInputGrad.encode(pass, b.gradOutput, downTransposed, b.gradActivation, toHidden);
    const downGradients = { weight: { buffer: down.gradient }, bias: { buffer: downBias.gradient } };
    const downLinear = { buffer: down.parameter, layout: 'kn' as const };
    k.downBackward.encode(pass, b.gradOutput, b.activation, downLinear, downGradients, toModel);
    // Through the GELU, then the up projection: dX = dY + dH W_up^T.
    k.geluBackward.encodeUnary(pass, 'gelu', b.preActivation, b.gradActivation, b.gradPreActivation, t * i);
    const upTransposed = asMatmulWeight(up, 'nk', d);
    k.upInputGrad.encode(pass, b.gradPreActivation, upTransposed, b.gradInput, toModel, addInto);
    const upGradients = { weight: { buffer: up.gradient }, bias: { buffer: upBias.gradient } };
    const upLinear = { buffer: up.parameter, layout: 'kn' as const };
    k.upBackward.encode(pass, b.gradPreActivation, b.input, upLinear, upGradients, toHidden);
    // Optimizer: the global norm is read on the GPU by AdamW (clipping, skip on NaN/Inf).
    k.norm.encode(
      pass,
      this.tensors.map((tensor) => tensor.gradient),
      this.stats,
    );
    k.adamw.encode(pass, this.tensors, this.stats, hyper);
    pass.end();
  }

  /**
   * Encodes and submits one step, then reads the gradient norm and NaN/Inf counts (the only
   * readback a trainer needs per step; it resolves once the step has run).
   */
  async run(hyper: AdamWHyperParameters): Promise<GradientStats> {
    this.gpu.assertAlive();
    const encoder = this.gpu.device.createCommandEncoder({ label: this.label });
    this.encode(encoder, hyper);
    this.gpu.device.queue.submit([encoder.finish()]);
    return readGradientStats(this.gpu, this.stats, this.tensors.length);
  }

  /** The four tensors' parameters, gradients (of the last step) or moments. */
  async readParameters(state: FfnParameterState = 'parameter'): Promise<FfnParameters> {
    const arrays = await Promise.all(this.tensors.map((t) => readFloat32(this.gpu, t[state], t.count)));
    return { upWeight: arrays[0], upBias: arrays[1], downWeight: arrays[2], downBias: arrays[3] };
  }

  /** Y [T, d] and dX [T, d] of the last step (the forward ran on the parameters before the update). */
  async readActivations(): Promise<{ output: Float32Array; gradInput: Float32Array }> {
    const count = this.shape.tokens * this.shape.dim;
    const [output, gradInput] = await Promise.all([
      readFloat32(this.gpu, this.buffers.output, count),
      readFloat32(this.gpu, this.buffers.gradInput, count),
    ]);
    return { output, gradInput };
  }

  dispose(): void {
    for (const kernel of Object.values(this.kernels)) kernel.destroy();
    for (const buffer of Object.values(this.buffers)) buffer.destroy();
    for (const tensor of this.tensors) {
      for (const buffer of [tensor.parameter, tensor.gradient, tensor.firstMoment, tensor.secondMoment])
        buffer.destroy();
    }
    this.stats.destroy();
  }
}

/** Every use-site's kernel instance; on failure the ones already made are destroyed. */
async function createKernels(gpu: Gpu, label: string, counts: number[]): Promise<Kernels> {
  const matmul = { weightDtypes: ['f32'] as const };
  const made = await Promise.allSettled([
    MatmulKernel.create(gpu, `${label}:up`, matmul),
    MatmulKernel.create(gpu, `${label}:down`, matmul),
    MatmulKernel.create(gpu, `${label}:down-input-grad`, matmul),
    MatmulKernel.create(gpu, `${label}:up-input-grad`, matmul),
    ActivationKernel.create(gpu, `${label}:gelu`),
    LinearBackwardKernel.create(gpu, `${label}:down-backward`),
    ActivationBackwardKernel.create(gpu, `${label}:gelu-backward`),
    LinearBackwardKernel.create(gpu, `${label}:up-backward`),
    GradientNormKernel.create(gpu, counts, `${label}:grad-norm`),
    AdamWKernel.create(gpu, counts.length, `${label}:adamw`),
  ]);
  const failed = made.find((result) => result.status === 'rejected');
  if (failed) {
    for (const result of made) if (result.status === 'fulfilled') result.value.destroy();
    throw failed.reason;
  }
  const value = <T>(result: PromiseSettledResult<T>) => (result as PromiseFulfilledResult<T>).value;
  return {
    up: value(made[0]),
    down: value(made[1]),
    downInputGrad: value(made[2]),
    upInputGrad: value(made[3]),
    gelu: value(made[4]),
    downBackward: value(made[5]),
    geluBackward: value(made[6]),
    upBackward: value(made[7]),
    norm: value(made[8]),
    adamw: value(made[9]),
  };
}

/**
 * A weight in one buffer as the matmul's single chunk covering all N outputs. The same [K, N]
 * buffer read as "nk" with N and K swapped is its transpose: that is how the backward gets W^T.
 */
function asMatmulWeight(tensor: AdamWTensor, layout: 'kn' | 'nk', n: number): MatmulWeight {
  return { layout, dtype: 'f32', chunks: [{ start: 0, end: n, buffer: tensor.parameter }] };
}

/** Through the underlying buffer: accepts any Float32Array, whatever its buffer type. */
function writeFloats(gpu: Gpu, target: GPUBuffer, data: Float32Array): void {
  gpu.device.queue.writeBuffer(target, 0, data.buffer, data.byteOffset, data.byteLength);
}

function checkLength(what: string, data: Float32Array, expected: number): void {
  if (data.length !== expected) {
    throw new KernelInputError(`${NAME}: ${what} has ${data.length} entries, the shape needs ${expected}`);
  }
}
