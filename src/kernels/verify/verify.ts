// Speculative verification on the GPU (shaders/speculative-verify.wgsl: the papers, formulas and
// conventions are in its header; the spec is ./reference.ts). One run = one submission of one
// dispatch (a workgroup per trial) and one small readback of 5 + 4K words per trial.
//
// Order: validate -> write tokens and uniforms -> dispatch (encode) -> copy -> map (run). A
// VerifyKernel owns its uniform, token, result and staging buffers (created once for its shape),
// so it serves one run at a time: await run() before calling it again.
import { dispatch } from '../../gpu/dispatch';
import { GpuError, KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { parseResults, resultWords } from './layout';
import {
  resolveDraftTokens,
  resolveParams,
  resolveRowOffset,
  resolveShape,
  type ResolvedShape,
  type VerifyInputs,
  type VerifyParams,
  type VerifyResult,
  type VerifyShape,
} from './params';

export const VERIFY_SHADER = 'speculative-verify.wgsl';
const PARAM_WORDS = 16;

export interface VerifyOptions {
  label?: string;
  /**
   * Threads per workgroup (one workgroup per trial); default defaultWorkgroupSize(vocab). On
   * software adapters (SwiftShader) a barrier costs per thread: 4096 trials at V = 6 took ~3-9 s
   * with 32 threads and ~0.2-1 s with 4 (shared 2-core machine), while large vocabularies want
   * the threads for their sweeps.
   */
  workgroupSize?: number;
  /**
   * TEST ONLY, the negative control of exactness.gpu.test.ts: accept with min(1, p/q) but draw
   * the correction from p instead of the residual. The output is then NOT the target's
   * distribution; the chi-square test must reject it. Never set it for decoding.
   */
  negativeControlCorrectionFromP?: boolean;
}

function checkLogits(name: string, buffer: GPUBuffer, rows: number, vocab: number, limit: number): void {
  const needed = rows * vocab * 4;
  if (buffer.size < needed) {
    throw new KernelInputError(
      `verify: ${name} buffer "${buffer.label}" has ${buffer.size} bytes; rows up to ${rows - 1} of vocab ${vocab} need ${needed}`,
    );
  }
  if ((buffer.usage & GPUBufferUsage.STORAGE) === 0) {
    throw new KernelInputError(`verify: ${name} buffer "${buffer.label}" lacks STORAGE usage`);
  }
  if (buffer.size > limit) {
    throw new KernelInputError(
      `verify: ${name} buffer "${buffer.label}" has ${buffer.size} bytes, more than this device binds at once ` +
        `(maxStorageBufferBindingSize ${limit}); pass a buffer holding only the rows to verify`,
    );
  }
}

/** 4 threads up to V = 64, 32 up to V = 4096, 256 above (capped by the device). */
export function defaultWorkgroupSize(vocab: number): number {
  return vocab <= 64 ? 4 : vocab <= 4096 ? 32 : 256;
}

export class VerifyKernel {
  readonly shape: ResolvedShape;
  private busy = false;
  private readonly uniforms: GPUBuffer;
  private readonly tokens: GPUBuffer;
  /** [trials, 5 + 4K] u32: the last encode's results (layout.ts). */
  readonly output: GPUBuffer;
  private lastPass: GPUComputePassEncoder | null = null;
  private readonly staging: GPUBuffer;
  private readonly noDraft: GPUBuffer;

  private constructor(
    private readonly gpu: Gpu,
    private readonly pipeline: GPUComputePipeline,
    shape: ResolvedShape,
    label: string,
  ) {
    this.shape = shape;
    const { device } = gpu;
    const create = (size: number, usage: number, name: string) =>
      device.createBuffer({
        label: `${label}:${name}`,
        size: Math.max(16, Math.ceil(size / 16) * 16),
        usage,
      });
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
    const resultBytes = shape.trials * resultWords(shape.draftLength) * 4;
    this.uniforms = create(PARAM_WORDS * 4, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, 'params');
    this.tokens = create(shape.trials * shape.candidates * shape.draftLength * 4, storage, 'draft-tokens');
    this.output = create(resultBytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'results');
    this.staging = create(resultBytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'staging');
    this.noDraft = create(16, GPUBufferUsage.STORAGE, 'no-draft');
  }

  static async create(gpu: Gpu, shape: VerifyShape, options: VerifyOptions = {}): Promise<VerifyKernel> {
    const resolved = resolveShape(shape);
    const limits = gpu.device.limits;
    if (resolved.trials > limits.maxComputeWorkgroupsPerDimension) {
      throw new KernelInputError(
        `verify: trials ${resolved.trials} exceeds this device's ${limits.maxComputeWorkgroupsPerDimension} workgroups per dispatch`,
      );
    }
    const max = Math.min(256, limits.maxComputeInvocationsPerWorkgroup);
    const size = options.workgroupSize ?? defaultWorkgroupSize(resolved.vocab);
    if (!Number.isInteger(size) || size < 1 || size > max) {
      throw new KernelInputError(`verify: workgroupSize must be an integer in 1..${max}, got ${size}`);
    }
    const pipeline = await gpu.pipelines.get({
      shader: VERIFY_SHADER,
      entryPoint: 'verifyDraft',
      constants: {
        WORKGROUP_SIZE: size,
        NEGATIVE_CONTROL_CORRECTION_FROM_P: options.negativeControlCorrectionFromP ? 1 : 0,
      },
    });
    return new VerifyKernel(gpu, pipeline, resolved, options.label ?? 'verify');
  }

  /** Throws KernelInputError naming the first bad input; returns the uniform words. */
  validate(inputs: VerifyInputs, params: VerifyParams): Uint32Array<ArrayBuffer> {
    const { shape } = this;
    const resolved = resolveParams(params, shape);
    const perTrial = resolveDraftTokens(inputs.draftTokens, shape);
    const limit = this.gpu.device.limits.maxStorageBufferBindingSize;
    const K = shape.draftLength;
    const targetOffset = resolveRowOffset('targetRowOffset', inputs.targetRowOffset);
    checkLogits('target', inputs.target, targetOffset + shape.candidates * (K + 1), shape.vocab, limit);
    const draftOffset = resolveRowOffset('draftRowOffset', inputs.draftRowOffset);
    if (inputs.draft)
      checkLogits('draft', inputs.draft, draftOffset + shape.candidates * K, shape.vocab, limit);
    const words = new Uint32Array(PARAM_WORDS);
    const floats = new Float32Array(words.buffer);
    words.set([
      shape.vocab,
      K,
      shape.candidates,
      shape.trials,
      targetOffset,
      draftOffset,
      inputs.draft ? 1 : 0,
      resolved.greedy ? 1 : 0,
      resolved.seed.lo,
      resolved.seed.hi,
      resolved.stream,
      resolved.counter,
    ]);
    floats[12] = resolved.targetTemperature;
    floats[13] = resolved.draftTemperature;
    words[14] = resolved.rhoFloorUnits;
    words[15] = perTrial ? 1 : 0;
    return words;
  }

  /**
   * Validates, writes this run's tokens and uniforms, and records the one dispatch into `pass`;
   * the results land in `this.output` ([trials, 5 + 4K] u32) when the submission runs. One encode
   * per instance per submission (the uniforms are rewritten).
   */
  encode(pass: GPUComputePassEncoder, inputs: VerifyInputs, params: VerifyParams): void {
    const uniformWords = this.validate(inputs, params);
    const { device } = this.gpu;
    if (pass === this.lastPass) {
      throw new Error(
        'verify: this kernel is already encoded in this pass; create one instance per use within a pass',
      );
    }
    this.lastPass = pass;
    device.queue.writeBuffer(this.uniforms, 0, uniformWords);
    device.queue.writeBuffer(this.tokens, 0, new Uint32Array(inputs.draftTokens));
    const buffers = [inputs.target, inputs.draft ?? this.noDraft, this.tokens, this.output, this.uniforms];
    dispatch(this.gpu, pass, this.pipeline, buffers, this.shape.trials);
  }

  /** Verifies the drafts of every trial: one submission, one readback of 5 + 4K words per trial. */
  async run(inputs: VerifyInputs, params: VerifyParams): Promise<VerifyResult[]> {
    this.gpu.assertAlive();
    this.validate(inputs, params);
    if (this.busy)
      throw new Error('VerifyKernel.run called while the previous run is still in flight; await it first');
    this.busy = true;
    const { device } = this.gpu;
    const bytes = this.shape.trials * resultWords(this.shape.draftLength) * 4;
    try {
      const encoder = device.createCommandEncoder({ label: 'verify' });
      const pass = encoder.beginComputePass({ label: 'verify' });
      this.encode(pass, inputs, params);
      pass.end();
      encoder.copyBufferToBuffer(this.output, 0, this.staging, 0, bytes);
      device.queue.submit([encoder.finish()]);
      try {
        await this.staging.mapAsync(GPUMapMode.READ, 0, bytes);
      } catch (cause) {
        if (this.gpu.isLost)
          throw new GpuError('device-lost', 'The GPU device was lost while verifying drafts.');
        throw cause;
      }
      const words = new Uint32Array(this.staging.getMappedRange(0, bytes).slice(0));
      this.staging.unmap();
      return parseResults(words, this.shape, { greedy: params.mode === 'greedy', hasDraft: !!inputs.draft });
    } finally {
      this.busy = false;
    }
  }

  destroy(): void {
    for (const buffer of [this.uniforms, this.tokens, this.output, this.staging, this.noDraft])
      buffer.destroy();
  }
}
