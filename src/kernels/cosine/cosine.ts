// Cosine similarity between hidden states on the GPU (shaders/cosine.wgsl): unit-normalised rows
// and, per candidate, the largest cosine against a set of context rows with its position. This is
// contrastive search's degeneration penalty max_j cos(h_v, h_j) (Su et al., "A Contrastive Framework
// for Neural Text Generation"); the host reads back 8 bytes per candidate.
// Spec and conventions (zero vectors, empty context, ties, NaN): ./reference.ts.
//
// Order: validate -> uniforms -> dispatch. One instance holds one uniform block per entry point,
// so it can encode one normalize and one max-cosine per submission (UniformBlock's rule).
import { dispatch } from '../../gpu/dispatch';
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import type { MaxCosine } from './reference';

export const COSINE_SHADER = 'cosine.wgsl';
/** u32 words per candidate in the max-cosine output: (f32 bits of the maximum, position). */
export const MAX_COSINE_WORDS = 2;
const NO_INDEX = 0xffffffff;
const WORKGROUP_SIZE = 256;

export interface NormalizeShape {
  /** Entries per row (the hidden size). */
  dim: number;
  rows: number;
  /** First row read from the input buffer. */
  inputRow: number;
  /** First row written in the output buffer. */
  outputRow: number;
}

export interface MaxCosineShape {
  dim: number;
  candidates: number;
  /** Rows 0 .. contextRows - 1 of the context buffer are compared; 0 is allowed (no penalty). */
  contextRows: number;
}

function checkCount(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new KernelInputError(`cosine: ${name} must be an integer in ${min}..${max}, got ${value}`);
  }
}

function checkStorage(name: string, buffer: GPUBuffer, bytes: number, what: string): void {
  if (buffer.size < bytes) {
    throw new KernelInputError(
      `cosine: buffer ${name} ("${buffer.label}") has ${buffer.size} bytes but ${what} needs ${bytes}`,
    );
  }
  if ((buffer.usage & GPUBufferUsage.STORAGE) === 0) {
    throw new KernelInputError(`cosine: buffer ${name} ("${buffer.label}") lacks STORAGE usage`);
  }
}

const scratch = new DataView(new ArrayBuffer(4));
function bitsToFloat(bits: number): number {
  scratch.setUint32(0, bits >>> 0, true);
  return scratch.getFloat32(0, true);
}

/** Parses the max-cosine output [candidates, 2]; throws when a row was invalid (NaN/Inf entries). */
export function decodeMaxCosine(words: Uint32Array, candidates: number): MaxCosine[] {
  return Array.from({ length: candidates }, (_, c) => {
    const maxCosine = bitsToFloat(words[c * MAX_COSINE_WORDS]);
    const position = words[c * MAX_COSINE_WORDS + 1];
    if (Number.isNaN(maxCosine)) {
      throw new KernelInputError(
        `cosine: candidate ${c} or a context row holds NaN or infinite hidden-state entries, so its ` +
          'cosine is undefined; the forward that produced them overflowed or read uninitialised memory.',
      );
    }
    return { maxCosine, position: position === NO_INDEX ? null : position };
  });
}

export class CosineKernels {
  private constructor(
    private readonly gpu: Gpu,
    private readonly normalizePipeline: GPUComputePipeline,
    private readonly maxCosinePipeline: GPUComputePipeline,
    private readonly normalizeUniforms: UniformBlock,
    private readonly maxCosineUniforms: UniformBlock,
  ) {}

  static async create(gpu: Gpu, label = 'cosine'): Promise<CosineKernels> {
    const limits = gpu.device.limits;
    if (limits.maxComputeInvocationsPerWorkgroup < WORKGROUP_SIZE) {
      throw new KernelInputError(
        `cosine: needs ${WORKGROUP_SIZE} invocations per workgroup, this device allows ${limits.maxComputeInvocationsPerWorkgroup}`,
      );
    }
    const constants = { WORKGROUP_SIZE };
    const [normalize, maxCosine] = await Promise.all([
      gpu.pipelines.get({ shader: COSINE_SHADER, entryPoint: 'normalize_rows', constants }),
      gpu.pipelines.get({ shader: COSINE_SHADER, entryPoint: 'max_cosine', constants }),
    ]);
    return new CosineKernels(
      gpu,
      normalize,
      maxCosine,
      new UniformBlock(gpu, 16, `${label}:normalize-params`),
      new UniformBlock(gpu, 16, `${label}:max-cosine-params`),
    );
  }

  private maxRows(): number {
    return this.gpu.device.limits.maxComputeWorkgroupsPerDimension;
  }

  /** output rows outputRow.. (rows, dim) <- unit vectors of input rows inputRow.. (rows, dim). */
  encodeNormalize(
    pass: GPUComputePassEncoder,
    input: GPUBuffer,
    output: GPUBuffer,
    shape: NormalizeShape,
  ): void {
    const { dim, rows, inputRow, outputRow } = shape;
    const maxBinding = this.gpu.device.limits.maxStorageBufferBindingSize;
    checkCount('dim', dim, 1, Math.floor(maxBinding / 4));
    checkCount('rows', rows, 1, this.maxRows());
    checkCount('inputRow', inputRow, 0, 0xffffffff);
    checkCount('outputRow', outputRow, 0, 0xffffffff);
    checkStorage('input', input, (inputRow + rows) * dim * 4, `rows ${inputRow}..${inputRow + rows - 1}`);
    checkStorage(
      'output',
      output,
      (outputRow + rows) * dim * 4,
      `rows ${outputRow}..${outputRow + rows - 1}`,
    );
    if (input === output) throw new KernelInputError('cosine: normalize cannot run in place');
    this.normalizeUniforms.write(new Uint32Array([dim, rows, inputRow, outputRow]).buffer, pass);
    dispatch(this.gpu, pass, this.normalizePipeline, [input, output, this.normalizeUniforms.buffer], rows);
  }

  /**
   * output (candidates, 2 words) <- per candidate row of `candidates` (unit rows from
   * encodeNormalize) the largest cosine against context rows 0 .. contextRows - 1 and its row.
   */
  encodeMaxCosine(
    pass: GPUComputePassEncoder,
    candidateUnits: GPUBuffer,
    contextUnits: GPUBuffer,
    output: GPUBuffer,
    shape: MaxCosineShape,
  ): void {
    const { dim, candidates, contextRows } = shape;
    checkCount('dim', dim, 1, Math.floor(this.gpu.device.limits.maxStorageBufferBindingSize / 4));
    checkCount('candidates', candidates, 1, this.maxRows());
    checkCount('contextRows', contextRows, 0, 0xfffffffe);
    checkStorage('candidateUnits', candidateUnits, candidates * dim * 4, `${candidates} rows of ${dim}`);
    checkStorage('contextUnits', contextUnits, Math.max(1, contextRows) * dim * 4, `${contextRows} rows`);
    checkStorage('output', output, candidates * MAX_COSINE_WORDS * 4, `${candidates} candidates`);
    this.maxCosineUniforms.write(new Uint32Array([dim, candidates, contextRows, 0]).buffer, pass);
    dispatch(
      this.gpu,
      pass,
      this.maxCosinePipeline,
      [candidateUnits, contextUnits, output, this.maxCosineUniforms.buffer],
      candidates,
    );
  }

  destroy(): void {
    this.normalizeUniforms.destroy();
    this.maxCosineUniforms.destroy();
  }
}
