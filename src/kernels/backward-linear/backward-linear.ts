// Gradients of the linear layer Y[M, N] = X[M, K] . W (+ bias[N]) (forward: ../matmul/matmul.ts):
//
//   dX[m, k]  = (accumulate ? dX : 0) + sum_n dY[m, n] W(k, n)        dX = dY . W^T
//   dW(k, n)  = (accumulate ? dW : 0) + sum_m X[m, k] dY[m, n]        dW = X^T . dY, in W's layout
//   dBias[n]  = (accumulate ? dBias : 0) + sum_m dY[m, n]
//
// Layouts (f32 row-major): dY [M, N], X [M, K], dX [M, K], dBias [N]; W and dW are one buffer each
// in the same layout: "kn" [K, N] (GPT-2 Conv1D) or "nk" [N, K] (nn.Linear), W(k, n) as in matmul.
// `accumulate` adds into the existing gradient (gradient accumulation over micro-batches; the
// input gradient of a tensor used twice, as the residual stream). Each gradient is optional.
// dX and dW are register-tiled products (128 x 128 C tiles, 8 x 8 per thread): every element is
// one thread's sum in increasing index order (shaders/backward-linear.wgsl), so the result is
// deterministic and its error is that of a sequential f32 sum (./testing.ts). Bench: ./bench.ts.
// Spec: ./reference.ts. An instance owns one uniform block per gradient: encode it once per pass.
import { dispatch } from '../../gpu/dispatch';
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import type { WeightLayout } from '../matmul/chunks';
import { checkDistinct, checkInteger, checkStorage, MAX_GROUPS_PER_DIMENSION } from '../matmul/support';

const SHADER = 'backward-linear.wgsl';
const KERNEL = 'linear backward';
/** C rows and columns per product workgroup (shaders/backward-linear.wgsl TILE_ROWS, TILE_COLS). */
const TILE = 128;
const COLUMN_WORKGROUP = 64;
/** Largest M, K or N: a grid of 128 x 128 tiles, at most 65535 workgroups per dimension. */
export const MAX_LINEAR_DIM = TILE * MAX_GROUPS_PER_DIMENSION;

/** M rows of X and dY, K inputs, N outputs. */
export interface LinearShape {
  m: number;
  k: number;
  n: number;
}

/** W as one buffer ([K, N] for "kn", [N, K] for "nk"); dW is written in the same layout. */
export interface LinearWeight {
  buffer: GPUBuffer;
  layout: WeightLayout;
}

/** Where one gradient goes; `accumulate` adds into it instead of overwriting. */
export interface GradientTarget {
  buffer: GPUBuffer;
  accumulate?: boolean;
}

export interface LinearGradients {
  /** dX [M, K]. */
  input?: GradientTarget;
  /** dW in W's layout. */
  weight?: GradientTarget;
  /** dBias [N]. */
  bias?: GradientTarget;
}

type Which = 'input' | 'weight' | 'bias';

export class LinearBackwardKernel {
  private constructor(
    private readonly gpu: Gpu,
    private readonly product: GPUComputePipeline,
    private readonly columnSums: GPUComputePipeline,
    private readonly uniforms: Record<Which, UniformBlock>,
  ) {}

  static async create(gpu: Gpu, label = 'linear-backward'): Promise<LinearBackwardKernel> {
    const [product, columnSums] = await Promise.all([
      gpu.pipelines.get({ shader: SHADER, entryPoint: 'tiledProduct', constants: {} }),
      gpu.pipelines.get({ shader: SHADER, entryPoint: 'columnSums', constants: { COLUMN_WORKGROUP } }),
    ]);
    const block = (which: Which) => new UniformBlock(gpu, 32, `${label}:${which}-params`);
    return new LinearBackwardKernel(gpu, product, columnSums, {
      input: block('input'),
      weight: block('weight'),
      bias: block('bias'),
    });
  }

  /** Writes (or adds into) the requested gradients from dY [M, N], X [M, K] and W. */
  encode(
    pass: GPUComputePassEncoder,
    dY: GPUBuffer,
    x: GPUBuffer,
    weight: LinearWeight,
    gradients: LinearGradients,
    shape: LinearShape,
  ): void {
    this.validate(dY, x, weight, gradients, shape);
    const { m, k, n } = shape;
    const nk = weight.layout === 'nk';
    if (gradients.input) {
      // A = dY [M, N]: (m, n) at m N + n. B(n, k) = W(k, n): "kn" k N + n, "nk" n K + k.
      const strides = nk ? [k, 1] : [1, n];
      this.encodeProduct(pass, 'input', dY, weight.buffer, gradients.input, [m, k, n, n, 1, ...strides]);
    }
    if (gradients.weight) {
      // "kn": dW [K, N] = X^T dY, A(k, m) = X[m K + k], B(m, n) = dY[m N + n].
      // "nk": dW [N, K] = dY^T X, A(n, m) = dY[m N + n], B(m, k) = X[m K + k].
      const target = gradients.weight;
      if (nk) this.encodeProduct(pass, 'weight', dY, x, target, [n, k, m, 1, n, k, 1]);
      else this.encodeProduct(pass, 'weight', x, dY, target, [k, n, m, 1, k, n, 1]);
    }
    if (gradients.bias) {
      const block = this.uniforms.bias;
      block.write(new Uint32Array([m, n, gradients.bias.accumulate ? 1 : 0, 0]).buffer, pass);
      const buffers = [dY, gradients.bias.buffer, block.buffer];
      dispatch(this.gpu, pass, this.columnSums, buffers, Math.ceil(n / COLUMN_WORKGROUP));
    }
  }

  /** [rows, cols, inner, aStrideI, aStrideR, bStrideR, bStrideJ] as in the shader header. */
  private encodeProduct(
    pass: GPUComputePassEncoder,
    which: Which,
    a: GPUBuffer,
    b: GPUBuffer,
    target: GradientTarget,
    [rows, cols, inner, aStrideI, aStrideR, bStrideR, bStrideJ]: number[],
  ): void {
    const block = this.uniforms[which];
    const words = [rows, cols, inner, target.accumulate ? 1 : 0, aStrideI, aStrideR, bStrideR, bStrideJ];
    block.write(new Uint32Array(words).buffer, pass);
    const buffers = [a, b, target.buffer, block.buffer];
    dispatch(this.gpu, pass, this.product, buffers, Math.ceil(cols / TILE), Math.ceil(rows / TILE));
  }

  private validate(
    dY: GPUBuffer,
    x: GPUBuffer,
    weight: LinearWeight,
    gradients: LinearGradients,
    shape: LinearShape,
  ): void {
    const { m, k, n } = shape;
    checkInteger(KERNEL, 'M (rows of X and dY)', m, 1, MAX_LINEAR_DIM);
    checkInteger(KERNEL, 'K (inputs)', k, 1, MAX_LINEAR_DIM);
    checkInteger(KERNEL, 'N (outputs)', n, 1, MAX_LINEAR_DIM);
    if (weight.layout !== 'kn' && weight.layout !== 'nk') {
      throw new KernelInputError(
        `${KERNEL}: weight layout must be "kn" or "nk", got ${String(weight.layout)}`,
      );
    }
    const { input, weight: dW, bias } = gradients;
    if (!input && !dW && !bias) {
      throw new KernelInputError(
        `${KERNEL}: no gradient requested: pass at least one of input, weight, bias`,
      );
    }
    checkStorage(this.gpu, KERNEL, 'dY', dY, m * n * 4);
    if (input) checkStorage(this.gpu, KERNEL, 'W', weight.buffer, k * n * 4);
    if (dW) checkStorage(this.gpu, KERNEL, 'X', x, m * k * 4);
    const reads: [string, GPUBuffer][] = [
      ['dY', dY],
      ['X', x],
      ['W', weight.buffer],
    ];
    const written: [string, GPUBuffer, number][] = [];
    if (input) written.push(['dX', input.buffer, m * k * 4]);
    if (dW) written.push(['dW', dW.buffer, k * n * 4]);
    if (bias) written.push(['dBias', bias.buffer, n * 4]);
    written.forEach(([what, buffer, bytes], i) => {
      checkStorage(this.gpu, KERNEL, what, buffer, bytes);
      const others = [...reads, ...written.slice(0, i).map(([w, b]) => [w, b] as [string, GPUBuffer])];
      checkDistinct(KERNEL, [what, buffer], others);
    });
  }

  destroy(): void {
    for (const block of Object.values(this.uniforms)) block.destroy();
  }
}
