// Half-precision tensors to f32 on the GPU (shaders/f16-to-f32.wgsl): onnxruntime's fp16 and
// q4f16 exports return float16 logits, and the logit kernels read f32. The input is any storage
// buffer holding f16 elements two per u32 word (no `shader-f16` feature needed); each copy
// converts `count` elements from element `inputOffset` into f32 elements from `outputOffset`, so
// the wanted rows of a [batch, seq, vocab] output land where a forward's logit rows go.
// Exact for every half value (-0, subnormals, +-Infinity and NaN included). Spec: ./reference.ts.
//
// Order: validate -> uniforms -> dispatch. An instance owns one uniform block per copy of an
// `encode` call, so it serves one `encode` per submission.
import { dispatch } from '../../gpu/dispatch';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import {
  checkDistinct,
  checkInteger,
  checkStorage,
  MAX_GROUPS_PER_DIMENSION,
  strideGroups,
} from '../matmul/support';

export const F16_TO_F32_SHADER = 'f16-to-f32.wgsl';
const KERNEL = 'f16-to-f32';
const WORKGROUP_SIZE = 256;
const U32_MAX = 0xffffffff;

/** One run of elements: input[inputOffset ..] (f16) -> output[outputOffset ..] (f32). */
export interface HalfCopy {
  /** f16 elements packed two per u32 word, element 2k in the low half (little-endian). */
  input: GPUBuffer;
  /** f32 elements. */
  output: GPUBuffer;
  count: number;
  /** First element read; may be odd. Default 0. */
  inputOffset?: number;
  /** First element written. Default 0. */
  outputOffset?: number;
}

export interface F16ToF32Options {
  label?: string;
  /**
   * Most workgroups per dispatch; larger counts loop (grid stride). Default: WebGPU's guaranteed
   * 65,535. Tests set it low to run the loop without a 16-million-element buffer.
   */
  maxWorkgroups?: number;
}

/** Bytes of the u32 words holding f16 elements `offset .. offset + count - 1`. */
export function halfWordsBytes(offset: number, count: number): number {
  return (Math.floor((offset + count - 1) / 2) + 1) * 4;
}

export class F16ToF32Kernel {
  private readonly uniforms: UniformBlock[] = [];

  private constructor(
    private readonly gpu: Gpu,
    private readonly pipeline: GPUComputePipeline,
    private readonly label: string,
    private readonly maxWorkgroups: number,
  ) {}

  static async create(gpu: Gpu, options: F16ToF32Options = {}): Promise<F16ToF32Kernel> {
    const { label = KERNEL, maxWorkgroups = MAX_GROUPS_PER_DIMENSION } = options;
    checkInteger(KERNEL, 'maxWorkgroups', maxWorkgroups, 1, MAX_GROUPS_PER_DIMENSION);
    const pipeline = await gpu.pipelines.get({
      shader: F16_TO_F32_SHADER,
      entryPoint: 'halfToSingle',
      constants: { WORKGROUP_SIZE },
    });
    return new F16ToF32Kernel(gpu, pipeline, label, maxWorkgroups);
  }

  /** Encodes every copy in `pass` (one dispatch each); call once per submission. */
  encode(pass: GPUComputePassEncoder, copies: readonly HalfCopy[]): void {
    copies.forEach((copy, i) => this.validate(copy, copies.length > 1 ? `copy ${i}` : 'copy'));
    copies.forEach(({ input, output, count, inputOffset = 0, outputOffset = 0 }, i) => {
      const uniforms = this.uniformBlock(i);
      uniforms.write(new Uint32Array([count, inputOffset, outputOffset, 0]).buffer, pass);
      const groups = Math.min(this.maxWorkgroups, strideGroups(count, WORKGROUP_SIZE));
      dispatch(this.gpu, pass, this.pipeline, [input, output, uniforms.buffer], groups);
    });
  }

  private validate(copy: HalfCopy, what: string): void {
    const { input, output, count, inputOffset = 0, outputOffset = 0 } = copy;
    const name = `${KERNEL} ${what}`;
    checkInteger(name, 'count', count, 1, U32_MAX);
    checkInteger(name, 'inputOffset', inputOffset, 0, U32_MAX - count);
    checkInteger(name, 'outputOffset', outputOffset, 0, U32_MAX - count);
    checkStorage(this.gpu, name, 'input (f16)', input, halfWordsBytes(inputOffset, count));
    checkStorage(this.gpu, name, 'output (f32)', output, (outputOffset + count) * 4);
    checkDistinct(name, ['output', output], [['input', input]]);
  }

  private uniformBlock(i: number): UniformBlock {
    while (this.uniforms.length <= i) {
      this.uniforms.push(new UniformBlock(this.gpu, 16, `${this.label}:params[${this.uniforms.length}]`));
    }
    return this.uniforms[i];
  }

  destroy(): void {
    for (const block of this.uniforms.splice(0)) block.destroy();
  }
}
