// Matrix multiply with an optional fused epilogue, over a weight split into chunks:
//
//   Y[m, n] = (accumulate ? Y[m, n] : 0) + act(sum_k X[m, k] W(k, n) + bias[n])
//
// X [M, K], Y [M, N], bias [N], all f32 row-major; W(k, n) = W[k, n] for layout "kn" (GPT-2
// Conv1D) and W[n, k] for "nk" (nn.Linear, the tied head h E^T); W arrives as chunks along N
// (./chunks.ts). act: "none" or "gelu" (tanh approximation, GPT-2's gelu_new) so the MLP
// up-projection is one dispatch; `accumulate` adds into Y, so a residual update
// h += attn(h) W_o (+ b) is one dispatch too. Spec: ./reference.ts. Shader: shaders/matmul.wgsl.
// Weights may be f16 (weight.dtype, packed as in ./chunks.ts): shaders/matmul-f16.wgsl decodes
// them with the core unpack2x16float and accumulates in f32, so the spec is the reference applied
// to the f16-rounded weights.
//
// Path: M <= 16 (decoding, speculative verification) takes the GEMV kernels, which stream W once
// for M = 1 and ceil(M / 4) times otherwise, with vec4 loads where the layout allows; larger M
// the tiled kernel: 128 x 128 tiles with 8 x 8 outputs per thread, or for M <= 64 (training of
// small models, M = batch x tokens) 32 x 128 tiles with 4 x 8, since most of a 128-row tile would
// be padding. Either tile gives the same bits. On SwiftShader (same run, against the former
// 64 x 64 tiles with 4 x 4 per thread): 2.2-2.3x at M = 1024, K = 256, N = 1024 (f32 and f16
// weights), 2.5-2.9x at M = 128, K = 64, N = 256; for M = 20..64 the 32-row tile beat the
// 128-row one by 1.2-1.6x, and a 64-row tile was ~8% faster at M = 33..64 but 1.45x slower at
// M <= 32, so it is not built (each tiled pipeline takes ~2 s to compile on SwiftShader).
// One dispatch per chunk. Kernels are compiled once per device (the pipeline cache); an instance
// owns the uniform blocks of one use-site: encode it once per submission (a second encode in the
// same submission would overwrite the first one's parameters).
import { dispatch } from '../../gpu/dispatch';
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import { checkChunks, weightChunkBytes, type MatmulWeight, type WeightDtype } from './chunks';
import { checkDistinct, checkInteger, checkStorage, dummyStorage, MAX_GROUPS_PER_DIMENSION } from './support';

const SHADER = 'matmul.wgsl';
const SHADER_F16 = 'matmul-f16.wgsl';
const KERNEL = 'matmul';

/** Largest M the GEMV path takes (shaders/matmul.wgsl GEMV_MAX_ROWS). */
export const GEMV_MAX_ROWS = 16;
const GEMV_WORKGROUP = 64;
/** Output columns per GEMV workgroup: 4 per thread. */
const GEMV_COLUMNS_PER_GROUP = GEMV_WORKGROUP * 4;
/** Output columns per tiled workgroup (shaders/matmul.wgsl TILE_N): 8 per thread, 16 threads. */
const TILE_COLUMNS = 128;
/**
 * Tiled workgroup shapes by rows of Y per workgroup (shaders/matmul.wgsl TILE_M): 16 threads
 * across, TILE_THREAD_ROWS down, ROWS_PER_THREAD x 8 outputs each.
 */
const TILE_SHAPES = {
  128: { TILE_THREAD_ROWS: 16, ROWS_PER_THREAD: 8 },
  32: { TILE_THREAD_ROWS: 8, ROWS_PER_THREAD: 4 },
} as const;
export type MatmulTileRows = keyof typeof TILE_SHAPES;
const TILE_ROWS = [128, 32] as const satisfies readonly MatmulTileRows[];
/** Largest M the 32-row tile takes; above it the 128-row tile wastes less than it gains. */
const SMALL_TILE_MAX_ROWS = 64;

const FLAG_BIAS = 1;
const FLAG_GELU = 2;
const FLAG_ACCUMULATE = 4;

/** M rows of X and Y, K inner, N output columns. */
export interface MatmulShape {
  m: number;
  k: number;
  n: number;
}

export type MatmulActivation = 'none' | 'gelu';

export interface MatmulEpilogue {
  /** [N] f32, added before the activation. */
  bias?: GPUBuffer;
  activation?: MatmulActivation;
  /** Add the result into Y instead of overwriting it (after bias and activation). */
  accumulate?: boolean;
}

export type MatmulPath = 'gemv' | 'tiled';

/** The path `auto` takes for M rows. */
export function matmulPath(m: number): MatmulPath {
  return m <= GEMV_MAX_ROWS ? 'gemv' : 'tiled';
}

/** The tile height the tiled path takes for M rows. */
export function matmulTileRows(m: number): MatmulTileRows {
  return m <= SMALL_TILE_MAX_ROWS ? 32 : 128;
}

const GEMV_ENTRY_POINTS = ['gemvNk4', 'gemvNk1', 'gemvKn4', 'gemvKn1'] as const;
const TILED_ENTRY_POINTS = ['tiledNk', 'tiledKn'] as const;
const GEMV_F16_ENTRY_POINTS = ['gemvNkHalf', 'gemvKnHalf'] as const;
const TILED_F16_ENTRY_POINTS = ['tiledNkHalf', 'tiledKnHalf'] as const;
/** GEMV rows per pass over W: 1 for M = 1 (no wasted work), else 4 (W streamed ceil(M/4) times). */
const ROW_BLOCKS = [1, 4] as const;

/** Pipeline key: a tiled entry point with its tile height, or a GEMV entry point with its row block. */
type PipelineName =
  | `${(typeof TILED_ENTRY_POINTS)[number] | (typeof TILED_F16_ENTRY_POINTS)[number]}/${MatmulTileRows}`
  | `${(typeof GEMV_ENTRY_POINTS)[number] | (typeof GEMV_F16_ENTRY_POINTS)[number]}/${1 | 4}`;
type PipelineSpec = [PipelineName, string, string, Record<string, number>];

export interface MatmulOptions {
  /** Force a path (tests, benchmarks); "auto" picks by M. */
  path?: 'auto' | MatmulPath;
  /** Force the tiled path's tile height (tests, benchmarks); "auto" picks by M (matmulTileRows). */
  tileRows?: 'auto' | MatmulTileRows;
  /** Weight element types to compile pipelines for; default both. */
  weightDtypes?: readonly WeightDtype[];
}

export class MatmulKernel {
  private readonly uniforms: UniformBlock[] = [];

  private constructor(
    private readonly gpu: Gpu,
    private readonly label: string,
    private readonly pipelines: Map<PipelineName, GPUComputePipeline>,
    private readonly path: 'auto' | MatmulPath,
    private readonly tileRows: 'auto' | MatmulTileRows,
    private readonly weightDtypes: readonly WeightDtype[],
  ) {}

  static async create(gpu: Gpu, label = KERNEL, options: MatmulOptions = {}): Promise<MatmulKernel> {
    const path = options.path ?? 'auto';
    const tileRows = options.tileRows ?? 'auto';
    const weightDtypes = options.weightDtypes ?? ['f32', 'f16'];
    // A kernel forced onto one path compiles only that path's pipelines, and only for its dtypes.
    const specs: PipelineSpec[] = [];
    for (const dtype of weightDtypes) {
      const shader = dtype === 'f16' ? SHADER_F16 : SHADER;
      if (path !== 'gemv') {
        for (const e of dtype === 'f16' ? TILED_F16_ENTRY_POINTS : TILED_ENTRY_POINTS) {
          for (const rows of tileRows === 'auto' ? TILE_ROWS : [tileRows]) {
            specs.push([`${e}/${rows}`, shader, e, { ...TILE_SHAPES[rows] }]);
          }
        }
      }
      if (path !== 'tiled') {
        for (const e of dtype === 'f16' ? GEMV_F16_ENTRY_POINTS : GEMV_ENTRY_POINTS) {
          for (const ROW_BLOCK of ROW_BLOCKS) {
            specs.push([`${e}/${ROW_BLOCK}`, shader, e, { GEMV_WORKGROUP, ROW_BLOCK }]);
          }
        }
      }
    }
    const compiled = await Promise.all(
      specs.map(([, shader, entryPoint, constants]) => gpu.pipelines.get({ shader, entryPoint, constants })),
    );
    const pipelines = new Map(specs.map(([name], i) => [name, compiled[i]]));
    return new MatmulKernel(gpu, label, pipelines, path, tileRows, weightDtypes);
  }

  /** Y [M, N] <- epilogue(X [M, K] . W), one dispatch per chunk of W. */
  encode(
    pass: GPUComputePassEncoder,
    x: GPUBuffer,
    weight: MatmulWeight,
    y: GPUBuffer,
    shape: MatmulShape,
    epilogue: MatmulEpilogue = {},
  ): void {
    const path = this.validate(x, weight, y, shape, epilogue);
    const { m, k, n } = shape;
    const flags =
      (epilogue.bias ? FLAG_BIAS : 0) |
      (epilogue.activation === 'gelu' ? FLAG_GELU : 0) |
      (epilogue.accumulate ? FLAG_ACCUMULATE : 0);
    const bias = epilogue.bias ?? dummyStorage(this.gpu);
    weight.chunks.forEach((chunk, i) => {
      const width = chunk.end - chunk.start;
      const uniforms = this.uniformBlock(i);
      uniforms.write(new Uint32Array([m, k, n, chunk.start, width, flags, 0, 0]).buffer, pass);
      const buffers = [x, chunk.buffer, bias, y, uniforms.buffer];
      const layout = weight.layout === 'nk' ? 'Nk' : 'Kn';
      const half = weight.dtype === 'f16';
      if (path === 'tiled') {
        const rows = this.tileRowsFor(m);
        const pipeline = this.pipeline(`tiled${layout}${half ? 'Half' : ''}/${rows}`);
        dispatch(this.gpu, pass, pipeline, buffers, Math.ceil(width / TILE_COLUMNS), Math.ceil(m / rows));
      } else {
        const vec4 = weight.layout === 'nk' ? k % 4 === 0 : width % 4 === 0;
        const variant = half ? 'Half' : vec4 ? '4' : '1';
        const name: PipelineName = `gemv${layout}${variant}/${m === 1 ? 1 : 4}`;
        dispatch(this.gpu, pass, this.pipeline(name), buffers, Math.ceil(width / GEMV_COLUMNS_PER_GROUP));
      }
    });
  }

  private validate(
    x: GPUBuffer,
    weight: MatmulWeight,
    y: GPUBuffer,
    shape: MatmulShape,
    epilogue: MatmulEpilogue,
  ): MatmulPath {
    const { m, k, n } = shape;
    const path = this.path === 'auto' ? matmulPath(m) : this.path;
    const maxM = path === 'gemv' ? GEMV_MAX_ROWS : this.tileRowsFor(m) * MAX_GROUPS_PER_DIMENSION;
    checkInteger(KERNEL, `M (rows of X) on the ${path} path`, m, 1, maxM);
    checkInteger(KERNEL, 'K (inner size)', k, 1, 2 ** 24);
    checkInteger(KERNEL, 'N (output columns)', n, 1, 2 ** 24);
    if (weight.layout !== 'kn' && weight.layout !== 'nk') {
      throw new KernelInputError(
        `${KERNEL}: weight layout must be "kn" or "nk", got ${String(weight.layout)}`,
      );
    }
    const dtype = weight.dtype ?? 'f32';
    if (dtype !== 'f32' && dtype !== 'f16') {
      throw new KernelInputError(`${KERNEL}: weight dtype must be "f32" or "f16", got ${String(dtype)}`);
    }
    if (!this.weightDtypes.includes(dtype)) {
      throw new KernelInputError(
        `${KERNEL}: the weight is ${dtype} but kernel "${this.label}" was created for ` +
          `${this.weightDtypes.join(', ')} weights only: add "${dtype}" to options.weightDtypes`,
      );
    }
    const activation = epilogue.activation ?? 'none';
    if (activation !== 'none' && activation !== 'gelu') {
      throw new KernelInputError(`${KERNEL}: activation must be "none" or "gelu", got ${String(activation)}`);
    }
    checkStorage(this.gpu, KERNEL, 'X', x, m * k * 4);
    checkStorage(this.gpu, KERNEL, 'Y', y, m * n * 4);
    if (epilogue.bias) checkStorage(this.gpu, KERNEL, 'bias', epilogue.bias, n * 4);
    checkChunks(this.gpu, KERNEL, `${dtype} weight`, weight.chunks, n, k, (width) =>
      weightChunkBytes(dtype, weight.layout, k, width),
    );
    const inputs: [string, GPUBuffer][] = [
      ['X', x],
      ...weight.chunks.map((c, i) => [`weight chunk ${i}`, c.buffer] as [string, GPUBuffer]),
    ];
    if (epilogue.bias) inputs.push(['bias', epilogue.bias]);
    checkDistinct(KERNEL, ['Y', y], inputs);
    const widest = Math.max(...weight.chunks.map((c) => c.end - c.start));
    const groups = Math.ceil(widest / (path === 'gemv' ? GEMV_COLUMNS_PER_GROUP : TILE_COLUMNS));
    if (groups > MAX_GROUPS_PER_DIMENSION) {
      throw new KernelInputError(
        `${KERNEL}: a chunk of ${widest} columns needs ${groups} workgroups, over 65535`,
      );
    }
    return path;
  }

  private tileRowsFor(m: number): MatmulTileRows {
    return this.tileRows === 'auto' ? matmulTileRows(m) : this.tileRows;
  }

  private pipeline(name: PipelineName): GPUComputePipeline {
    const pipeline = this.pipelines.get(name);
    if (!pipeline) throw new Error(`matmul: no pipeline ${name} (a bug: create() compiles them all)`);
    return pipeline;
  }

  private uniformBlock(i: number): UniformBlock {
    while (this.uniforms.length <= i) {
      this.uniforms.push(new UniformBlock(this.gpu, 32, `${this.label}:params[${this.uniforms.length}]`));
    }
    return this.uniforms[i];
  }

  destroy(): void {
    for (const block of this.uniforms.splice(0)) block.destroy();
  }
}
