// Backward of LayerNorm and RMSNorm (src/kernels/norm/norm.ts), two deterministic dispatches:
//
//   rows pass (one workgroup per row, as wide as the forward's: normWorkgroupSize(d)),
//   g = dY * gamma, x^ = the forward's normalized row:
//     LayerNorm: dX = (1/sigma) (g - mean(g) - x^ mean(g x^)),   sigma = sqrt(var + eps)
//     RMSNorm:   dX = (1/r) (g - x^ mean(g x^)),                  r = sqrt(mean(x^2) + eps)
//   columns pass (one invocation per column, rows summed in order 0..rows-1, no atomics):
//     dGamma[d] (+)= sum_r dY[r, d] x^[r, d];   dBeta[d] (+)= sum_r dY[r, d]   (LayerNorm)
//
// Options: `accumulateInput` adds dX into the buffer instead of overwriting it; `accumulate`
// adds dGamma/dBeta into theirs (gradient accumulation over micro-batches).
//
// The fused residual forward (encodeResidual: h <- h + delta; y = norm(h)) needs no kernel of its
// own: call this with x = the updated residual stream h, and since d(h_in) = d(delta) = dH where
// dH = (gradient arriving on the stream) + dX of the norm, pass the stream's gradient as `dX`
// with accumulateInput: true; that buffer then holds the gradient of both h_in and delta.
//
// Layouts: dY, x, dX f32 [rows, d] row-major; gamma, dGamma, dBeta [d]; `statistics` a workspace
// of normBackwardWorkspaceBytes(rows) bytes (4 f32 per row, written by the rows pass, read by the
// columns pass). Spec: ./reference.ts. Numerics: shaders/norm-backward.wgsl. An instance owns two
// uniform blocks (one per dispatch): encode it once per pass.
import { dispatch } from '../../gpu/dispatch';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import { MAX_NORM_DIM, normWorkgroupSize, type NormShape } from '../norm/norm';
import { RowPipelines } from '../norm/row-workgroup';
import {
  checkDistinct,
  checkFinitePositive,
  checkInteger,
  checkStorage,
  MAX_GROUPS_PER_DIMENSION,
} from '../matmul/support';

const SHADER = 'norm-backward.wgsl';
const COLUMN_WORKGROUP = 64;

export interface NormBackwardOptions {
  eps: number;
  /** dX += instead of dX = (the residual stream's gradient; see the header). Default false. */
  accumulateInput?: boolean;
  /** dGamma (and dBeta) += instead of = (gradient accumulation). Default false. */
  accumulate?: boolean;
}

/** Bytes of the `statistics` workspace for `rows` rows. */
export function normBackwardWorkspaceBytes(rows: number): number {
  return rows * 16;
}

type Kind = 'layer' | 'rms';
const NAMES: Record<Kind, string> = { layer: 'layer norm backward', rms: 'rms norm backward' };
const ENTRIES: Record<Kind, [string, string]> = {
  layer: ['layerNormBackwardRows', 'layerNormBackwardColumns'],
  rms: ['rmsNormBackwardRows', 'rmsNormBackwardColumns'],
};

abstract class NormBackwardKernel {
  protected constructor(
    private readonly gpu: Gpu,
    private readonly kind: Kind,
    private readonly rowsPipelines: RowPipelines,
    private readonly columnsPipeline: GPUComputePipeline,
    private readonly rowsUniforms: UniformBlock,
    private readonly columnsUniforms: UniformBlock,
  ) {}

  protected static async build(gpu: Gpu, kind: Kind, label: string) {
    const [rowsEntry, columnsEntry] = ENTRIES[kind];
    const [rows, columns] = await Promise.all([
      RowPipelines.compile(gpu, { shader: SHADER, entryPoint: rowsEntry }),
      gpu.pipelines.get({ shader: SHADER, entryPoint: columnsEntry, constants: { COLUMN_WORKGROUP } }),
    ]);
    const uniforms = ['rows', 'columns'].map((pass) => new UniformBlock(gpu, 32, `${label}:${pass}-params`));
    return [gpu, kind, rows, columns, uniforms[0], uniforms[1]] as const;
  }

  protected run(
    pass: GPUComputePassEncoder,
    buffers: { gradOutput: GPUBuffer; input: GPUBuffer; gamma: GPUBuffer; gradInput: GPUBuffer },
    parameterGradients: [string, GPUBuffer][],
    statistics: GPUBuffer,
    shape: NormShape,
    options: NormBackwardOptions,
  ): void {
    const name = NAMES[this.kind];
    const { rows, dim } = shape;
    checkInteger(name, 'rows', rows, 1, MAX_GROUPS_PER_DIMENSION);
    checkInteger(name, 'dim (row length d)', dim, 1, MAX_NORM_DIM);
    checkFinitePositive(name, 'eps', options.eps);
    const bytes = rows * dim * 4;
    const { gradOutput, input, gamma, gradInput } = buffers;
    checkStorage(this.gpu, name, 'dY (gradient of the output)', gradOutput, bytes);
    checkStorage(this.gpu, name, 'x (forward input)', input, bytes);
    checkStorage(this.gpu, name, 'gamma', gamma, dim * 4);
    checkStorage(this.gpu, name, 'dX (gradient of the input)', gradInput, bytes);
    for (const [what, buffer] of parameterGradients) checkStorage(this.gpu, name, what, buffer, dim * 4);
    checkStorage(this.gpu, name, 'statistics workspace', statistics, normBackwardWorkspaceBytes(rows));
    const read: [string, GPUBuffer][] = [
      ['dY', gradOutput],
      ['x', input],
      ['gamma', gamma],
    ];
    checkDistinct(name, ['dX', gradInput], [...read, ['statistics', statistics]]);
    checkDistinct(name, ['statistics', statistics], read);
    for (const [index, written] of parameterGradients.entries()) {
      const others = [...read, ['statistics', statistics], ...parameterGradients.slice(index + 1)];
      checkDistinct(name, written, others as [string, GPUBuffer][]);
    }

    const block = new ArrayBuffer(32);
    new Uint32Array(block).set([rows, dim, options.accumulateInput ? 1 : 0, options.accumulate ? 1 : 0]);
    new Float32Array(block)[4] = options.eps;
    this.rowsUniforms.write(block, pass);
    this.columnsUniforms.write(block, pass);
    const rowBuffers = [gradOutput, input, gamma, gradInput, statistics, this.rowsUniforms.buffer];
    dispatch(this.gpu, pass, this.rowsPipelines.get(normWorkgroupSize(dim)), rowBuffers, rows);
    const columnBuffers = [
      gradOutput,
      input,
      statistics,
      ...parameterGradients.map(([, buffer]) => buffer),
      this.columnsUniforms.buffer,
    ];
    dispatch(this.gpu, pass, this.columnsPipeline, columnBuffers, Math.ceil(dim / COLUMN_WORKGROUP));
  }

  destroy(): void {
    this.rowsUniforms.destroy();
    this.columnsUniforms.destroy();
  }
}

export class LayerNormBackwardKernel extends NormBackwardKernel {
  static async create(gpu: Gpu, label = 'layer-norm-backward'): Promise<LayerNormBackwardKernel> {
    return new LayerNormBackwardKernel(...(await NormBackwardKernel.build(gpu, 'layer', label)));
  }

  /** dX [rows, d], dGamma [d], dBeta [d] from dY [rows, d], x [rows, d], gamma [d]. GPT-2: eps 1e-5. */
  encode(
    pass: GPUComputePassEncoder,
    gradOutput: GPUBuffer,
    input: GPUBuffer,
    gamma: GPUBuffer,
    gradInput: GPUBuffer,
    gradGamma: GPUBuffer,
    gradBeta: GPUBuffer,
    statistics: GPUBuffer,
    shape: NormShape,
    options: NormBackwardOptions,
  ): void {
    const parameterGradients: [string, GPUBuffer][] = [
      ['dGamma', gradGamma],
      ['dBeta', gradBeta],
    ];
    this.run(pass, { gradOutput, input, gamma, gradInput }, parameterGradients, statistics, shape, options);
  }
}

export class RmsNormBackwardKernel extends NormBackwardKernel {
  static async create(gpu: Gpu, label = 'rms-norm-backward'): Promise<RmsNormBackwardKernel> {
    return new RmsNormBackwardKernel(...(await NormBackwardKernel.build(gpu, 'rms', label)));
  }

  /** dX [rows, d], dGamma [d] from dY [rows, d], x [rows, d], gamma [d]. Llama: eps = rms_norm_eps. */
  encode(
    pass: GPUComputePassEncoder,
    gradOutput: GPUBuffer,
    input: GPUBuffer,
    gamma: GPUBuffer,
    gradInput: GPUBuffer,
    gradGamma: GPUBuffer,
    statistics: GPUBuffer,
    shape: NormShape,
    options: NormBackwardOptions,
  ): void {
    const parameterGradients: [string, GPUBuffer][] = [['dGamma', gradGamma]];
    this.run(pass, { gradOutput, input, gamma, gradInput }, parameterGradients, statistics, shape, options);
  }
}
