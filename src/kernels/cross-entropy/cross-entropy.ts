// Fused softmax cross-entropy with per-token weights: the seam every training objective uses.
//
//   logp_t          = l_t[target_t] - logsumexp(l_t)                     (always)
//   dlogits[t, v]   = w_t (onehot(target_t)[v] - softmax(l_t)[v])          (when `writeGradient`)
//
// w_t = dLoss/dlogp_t, so dlogits is the gradient of Loss = sum_t w_t logp_t (chain rule through
// log-softmax: dlogp_t/dl_t[v] = onehot - softmax). Mean cross-entropy over T tokens is
// w_t = -1/T (Loss = -(1/T) sum_t logp_t); w_t = 0 masks a token (its gradient row is exactly
// zero); DPO, GRPO and the rest are objective code computing other w_t. The kernel returns logp_t
// (the batched "log-prob of given tokens" for policy and reference models); the objective computes
// its loss on the CPU from those T scalars.
//
// Layouts: logits f32 [tokens, vocab] (row-major, one binding; the rows of tokens
// firstToken .. firstToken + tokens - 1); targets u32, weights f32, logProbs f32, each indexed by
// token over the whole batch (at least firstToken + tokens entries), so a batch whose logits do not
// fit one binding is encoded in row blocks with one instance per block.
// The gradient is written IN PLACE over the logits: at V = 151,936 a separate buffer would cost
// 600 KB per token, and the backward pass never needs the logits again (copy them first if you
// do). Without writeGradient the logits are left unchanged.
// Bad targets: a target >= vocab gets logp = NaN and a zero gradient row, and is recorded in
// `status` (CROSS_ENTROPY_STATUS_BYTES: [count, largest], sticky until clearCrossEntropyStatus).
// Targets from the CPU should be checked there first with checkTargets, which names the token.
// Spec: ./reference.ts. Shader: shaders/cross-entropy.wgsl. One uniform block: encode once per pass.
import { dispatch } from '../../gpu/dispatch';
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { UniformBlock } from '../../gpu/uniforms';
import { checkDistinct, checkInteger, checkStorage, MAX_GROUPS_PER_DIMENSION } from '../matmul/support';
import { RowPipelines, rowWorkgroupSize, type RowWorkgroupSize } from '../norm/row-workgroup';

const SHADER = 'cross-entropy.wgsl';
const KERNEL = 'cross-entropy';
/**
 * Most logits per thread. Each sum is a chain of ceil(V / WG) + WG terms (strided partials, then
 * thread 0 over the partials), so every WG below 256 gives at most 32 + 128 terms, fewer than the
 * ceil(V / 256) + 256 of 256 threads; on SwiftShader V = 1000 runs 1.9x faster on 32 threads than
 * on 64, 8x faster than on 256.
 */
export const CROSS_ENTROPY_ELEMENTS_PER_THREAD = 32;

/** Threads per token row (../norm/row-workgroup.ts): 32 up to V = 1024, 256 from V = 4097 (GPT-2). */
export function crossEntropyWorkgroupSize(vocab: number): RowWorkgroupSize {
  return rowWorkgroupSize(vocab, CROSS_ENTROPY_ELEMENTS_PER_THREAD);
}
/** Largest vocabulary: token ids must stay exact in the f32 / u32 arithmetic around them. */
export const MAX_CROSS_ENTROPY_VOCAB = 2 ** 24;

/** Size of the status buffer: [bad targets, largest bad target, 0, 0] as u32. */
export const CROSS_ENTROPY_STATUS_BYTES = 16;

export interface CrossEntropyShape {
  /** Rows of this logits buffer (one workgroup each). */
  tokens: number;
  vocab: number;
  /** Index of the first row in targets / weights / logProbs; default 0. */
  firstToken?: number;
}

export interface CrossEntropyStatus {
  badTargets: number;
  largestBadTarget: number | null;
}

export function parseCrossEntropyStatus(words: Uint32Array): CrossEntropyStatus {
  return { badTargets: words[0], largestBadTarget: words[0] > 0 ? words[1] : null };
}

/** The error to throw after reading a non-clean status, or null when it is clean. */
export function crossEntropyStatusError(status: CrossEntropyStatus, vocab: number): KernelInputError | null {
  if (status.badTargets === 0) return null;
  return new KernelInputError(
    `${KERNEL}: ${status.badTargets} target id(s) out of range (largest ${status.largestBadTarget}, vocab ` +
      `${vocab}); their log-probs are NaN. Check the tokenizer matches the model`,
  );
}

/** CPU-side check of targets before upload: names the first bad token. */
export function checkTargets(targets: ArrayLike<number>, vocab: number): void {
  for (let t = 0; t < targets.length; t++) {
    const id = targets[t];
    if (!Number.isInteger(id) || id < 0 || id >= vocab) {
      throw new KernelInputError(
        `${KERNEL}: token ${t} has target ${id}, outside 0..${vocab - 1} (vocab ${vocab}); ` +
          'the tokenizer and the model may not match',
      );
    }
  }
}

/** Zeroes the status buffer before the next submission (queue write). */
export function clearCrossEntropyStatus(gpu: Gpu, status: GPUBuffer): void {
  gpu.device.queue.writeBuffer(status, 0, new Uint32Array(4));
}

export class CrossEntropyKernel {
  private constructor(
    private readonly gpu: Gpu,
    private readonly pipelines: RowPipelines,
    private readonly uniforms: UniformBlock,
  ) {}

  static async create(gpu: Gpu, label = 'cross-entropy'): Promise<CrossEntropyKernel> {
    const pipelines = await RowPipelines.compile(gpu, { shader: SHADER, entryPoint: 'crossEntropy' });
    return new CrossEntropyKernel(gpu, pipelines, new UniformBlock(gpu, 16, `${label}:params`));
  }

  /**
   * logProbs[firstToken + r] = logp of row r; with `writeGradient`, logits row r becomes
   * dLoss/dlogits (in place). `status` gets bad targets (not cleared here).
   */
  encode(
    pass: GPUComputePassEncoder,
    logits: GPUBuffer,
    targets: GPUBuffer,
    weights: GPUBuffer,
    logProbs: GPUBuffer,
    status: GPUBuffer,
    shape: CrossEntropyShape,
    writeGradient: boolean,
  ): void {
    const { tokens, vocab } = shape;
    const firstToken = shape.firstToken ?? 0;
    checkInteger(KERNEL, 'tokens (rows of logits)', tokens, 1, MAX_GROUPS_PER_DIMENSION);
    checkInteger(KERNEL, 'vocab', vocab, 1, MAX_CROSS_ENTROPY_VOCAB);
    checkInteger(KERNEL, 'firstToken', firstToken, 0, 2 ** 31);
    const end = firstToken + tokens;
    checkStorage(this.gpu, KERNEL, 'logits', logits, tokens * vocab * 4);
    checkStorage(this.gpu, KERNEL, 'targets', targets, end * 4);
    checkStorage(this.gpu, KERNEL, 'weights', weights, end * 4);
    checkStorage(this.gpu, KERNEL, 'logProbs', logProbs, end * 4);
    checkStorage(this.gpu, KERNEL, 'status', status, CROSS_ENTROPY_STATUS_BYTES);
    const reads: [string, GPUBuffer][] = [
      ['targets', targets],
      ['weights', weights],
    ];
    checkDistinct(KERNEL, ['logits', logits], reads);
    checkDistinct(KERNEL, ['logProbs', logProbs], [['logits', logits], ...reads]);
    checkDistinct(KERNEL, ['status', status], [['logits', logits], ['logProbs', logProbs], ...reads]);
    this.uniforms.write(new Uint32Array([tokens, vocab, writeGradient ? 1 : 0, firstToken]).buffer, pass);
    const buffers = [logits, targets, weights, logProbs, status, this.uniforms.buffer];
    dispatch(this.gpu, pass, this.pipelines.get(crossEntropyWorkgroupSize(vocab)), buffers, tokens);
  }

  destroy(): void {
    this.uniforms.destroy();
  }
}
