// Row divergence on the GPU: entropy, KL both ways, Jensen-Shannon divergence and total variation
// between pairs of logit rows, and each row's top token, reading back only 12 floats per pair
// (DoLa's layer choice, the inspector's summaries, draft-vs-target agreement).
//
// For each pair (pRow, qRow) with p = softmax(P[pRow]), q = softmax(Q[qRow]), natural logs:
//   H(P) = -sum p log p,   KL(P||Q) = sum p (log p - log q),
//   JS(P,Q) = 1/2 KL(P||M) + 1/2 KL(Q||M),  M = (P + Q)/2,  in [0, ln 2],
//   TV(P,Q) = 1/2 sum |p - q| = 1 - sum min(p, q),  in [0, 1],
//   argmax P, argmax Q (lowest index among equal logits), p(argmax Q).
// With P the target and Q the draft of speculative sampling (Leviathan et al., "Fast Inference from
// Transformers via Speculative Decoding"), 1 - TV is the probability that a token drawn from q is
// accepted, and p(argmax Q) that of a greedily drafted token.
// Two sweeps over the vocabulary per pair (shaders/divergence.wgsl): an online max + normaliser,
// then per-token log-softmax and the sums. Conventions follow ./reference.ts (the spec):
// -Infinity logits are probability 0 (0 log 0 = 0); p > 0 where q = 0 gives KL(P||Q) = +Infinity;
// NaN / +Infinity logits are counted on the GPU and rejected here (KernelInputError); a row with
// no finite logit is flagged on the GPU and rejected here (EmptyDistributionError).
//
// Order: validate -> plan (cached uniforms, pair list, output per shape) -> dispatch.
import { EmptyDistributionError, KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';

export const MAX_DIVERGENCE_VOCAB = 262_144;
/** f32 values per pair in the output buffer. */
export const DIVERGENCE_STRIDE = 12;
/** Offsets inside one pair's output record. */
export const DivergenceSlot = {
  entropyP: 0,
  entropyQ: 1,
  klPQ: 2,
  klQP: 3,
  js: 4,
  nanCountP: 5,
  nanCountQ: 6,
  flags: 7,
  totalVariation: 8,
  argmaxP: 9,
  argmaxQ: 10,
  pOfArgmaxQ: 11,
} as const;
/** Bits of the `flags` slot. */
export const DivergenceFlag = { emptyP: 1, emptyQ: 2, positiveInfinityP: 4, positiveInfinityQ: 8 } as const;

const SHADER = 'divergence.wgsl';
const ENTRY_POINT = 'row_divergence';
const LABEL = 'row-divergence';
/** Workgroup memory per invocation: two vec4<f32> reduction slots and a vec2<u32> of indices. */
const SHARED_BYTES_PER_INVOCATION = 40;
/** Distinct shapes kept ready; submit before encoding more than this many different shapes. */
const MAX_PLANS = 64;

export type DivergencePair = readonly [pRow: number, qRow: number];

export interface DivergenceArgs {
  /** Logits [pRows, vocab] f32, STORAGE usage. May be the same buffer as `q`. */
  p: GPUBuffer;
  /** Logits [qRows, vocab] f32, STORAGE usage. */
  q: GPUBuffer;
  vocab: number;
  pRows: number;
  qRows: number;
  pairs: readonly DivergencePair[];
}

export interface DivergenceResult {
  entropyP: number;
  entropyQ: number;
  /** KL(P||Q), +Infinity on support mismatch. */
  klPQ: number;
  /** KL(Q||P) */
  klQP: number;
  js: number;
  /** TV(P,Q) = 1/2 sum |p - q|; 1 - TV is the speculative acceptance rate of a draft Q for a target P. */
  totalVariation: number;
  /** Index of P's largest logit (the lowest among ties). */
  argmaxP: number;
  argmaxQ: number;
  /** p(argmax Q): P's probability of Q's top token. */
  pOfArgmaxQ: number;
}

interface Plan {
  params: GPUBuffer;
  pairs: GPUBuffer;
  output: GPUBuffer;
}

function positiveInteger(name: string, value: number, max: number, advice: string): void {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new KernelInputError(
      `RowDivergence: ${name} = ${value} must be an integer in [1, ${max}]; ${advice}`,
    );
  }
}

function checkBuffer(name: string, buffer: GPUBuffer, rows: number, vocab: number): void {
  const needed = rows * vocab * 4;
  if (buffer.size < needed) {
    throw new KernelInputError(
      `RowDivergence: buffer ${name} ("${buffer.label}") has ${buffer.size} bytes but [${rows}, ${vocab}] f32 ` +
        `logits need ${needed}; pass the row count and vocabulary the buffer was made for.`,
    );
  }
  if ((buffer.usage & GPUBufferUsage.STORAGE) === 0) {
    throw new KernelInputError(
      `RowDivergence: buffer ${name} ("${buffer.label}") lacks STORAGE usage; create it with GPUBufferUsage.STORAGE.`,
    );
  }
}

/** Parses the output records, throwing for NaN / +Infinity inputs and empty rows. Output [pairs, 12]. */
export function decodeDivergence(raw: Float32Array, pairs: readonly DivergencePair[]): DivergenceResult[] {
  const emptyP = new Set<number>();
  const emptyQ = new Set<number>();
  const results = pairs.map(([pRow, qRow], k) => {
    const record = raw.subarray(k * DIVERGENCE_STRIDE, (k + 1) * DIVERGENCE_STRIDE);
    const flags = record[DivergenceSlot.flags];
    const invalid: [string, number, number, boolean][] = [
      ['P', pRow, record[DivergenceSlot.nanCountP], (flags & DivergenceFlag.positiveInfinityP) !== 0],
      ['Q', qRow, record[DivergenceSlot.nanCountQ], (flags & DivergenceFlag.positiveInfinityQ) !== 0],
    ];
    for (const [side, row, nanCount, positiveInfinity] of invalid) {
      if (nanCount > 0 || positiveInfinity) {
        const what = nanCount > 0 ? `${nanCount} NaN logits` : '+Infinity logits';
        throw new KernelInputError(
          `RowDivergence: row ${row} of ${side} contains ${what} (pair ${k}); its softmax is undefined. ` +
            'Fix the step that produced them (overflow, 0/0 or an uninitialised buffer).',
        );
      }
    }
    if (flags & DivergenceFlag.emptyP) emptyP.add(pRow);
    if (flags & DivergenceFlag.emptyQ) emptyQ.add(qRow);
    return {
      entropyP: record[DivergenceSlot.entropyP],
      entropyQ: record[DivergenceSlot.entropyQ],
      klPQ: record[DivergenceSlot.klPQ],
      klQP: record[DivergenceSlot.klQP],
      js: record[DivergenceSlot.js],
      totalVariation: record[DivergenceSlot.totalVariation],
      argmaxP: record[DivergenceSlot.argmaxP],
      argmaxQ: record[DivergenceSlot.argmaxQ],
      pOfArgmaxQ: record[DivergenceSlot.pOfArgmaxQ],
    };
  });
  if (emptyP.size > 0) throw new EmptyDistributionError([...emptyP], 'RowDivergence (P)');
  if (emptyQ.size > 0) throw new EmptyDistributionError([...emptyQ], 'RowDivergence (Q)');
  return results;
}

export class RowDivergence {
  readonly workgroupSize: number;
  private readonly gpu: Gpu;
  private readonly pipeline: GPUComputePipeline;
  private readonly plans = new Map<string, Plan>();

  private constructor(gpu: Gpu, pipeline: GPUComputePipeline, workgroupSize: number) {
    this.gpu = gpu;
    this.pipeline = pipeline;
    this.workgroupSize = workgroupSize;
  }

  /** Compiles (or reuses) the pipeline. `workgroupSize` must be a power of two within the device limits. */
  static async create(gpu: Gpu, options: { workgroupSize?: number } = {}): Promise<RowDivergence> {
    const limits = gpu.device.limits;
    const max = Math.min(
      limits.maxComputeInvocationsPerWorkgroup,
      limits.maxComputeWorkgroupSizeX,
      Math.floor(limits.maxComputeWorkgroupStorageSize / SHARED_BYTES_PER_INVOCATION),
    );
    const size = options.workgroupSize ?? 2 ** Math.floor(Math.log2(Math.min(256, max)));
    if (!Number.isInteger(size) || size < 1 || size > max || (size & (size - 1)) !== 0) {
      throw new KernelInputError(
        `RowDivergence: workgroupSize = ${size} must be a power of two no larger than ${max} on this device.`,
      );
    }
    const pipeline = await gpu.pipelines.get({
      shader: SHADER,
      entryPoint: ENTRY_POINT,
      constants: { WORKGROUP_SIZE: size },
    });
    return new RowDivergence(gpu, pipeline, size);
  }

  /** Throws KernelInputError naming the first bad argument. */
  validate(args: DivergenceArgs): void {
    const { vocab, pRows, qRows, pairs } = args;
    const limits = this.gpu.device.limits;
    positiveInteger('vocab', vocab, MAX_DIVERGENCE_VOCAB, 'larger vocabularies are not supported.');
    const maxRows = Math.floor(limits.maxStorageBufferBindingSize / (vocab * 4));
    const rowAdvice = `at most ${maxRows} rows of ${vocab} logits fit in one storage binding.`;
    positiveInteger('pRows', pRows, maxRows, rowAdvice);
    positiveInteger('qRows', qRows, maxRows, rowAdvice);
    const maxPairs = limits.maxComputeWorkgroupsPerDimension;
    if (pairs.length === 0 || pairs.length > maxPairs) {
      throw new KernelInputError(
        `RowDivergence: pairs has ${pairs.length} entries; pass between 1 and ${maxPairs} (pRow, qRow) pairs.`,
      );
    }
    pairs.forEach(([pRow, qRow], k) => {
      for (const [side, row, rows] of [
        ['P', pRow, pRows],
        ['Q', qRow, qRows],
      ] as const) {
        if (!Number.isInteger(row) || row < 0 || row >= rows) {
          throw new KernelInputError(
            `RowDivergence: pair ${k} names row ${row} of ${side}, which has rows 0..${rows - 1}.`,
          );
        }
      }
    });
    checkBuffer('p', args.p, pRows, vocab);
    checkBuffer('q', args.q, qRows, vocab);
  }

  /** Uniforms, pair list and output for one shape, created once and kept (LRU of MAX_PLANS). */
  private plan(args: DivergenceArgs): Plan {
    const key = `${args.vocab}|${args.pRows}|${args.qRows}|${args.pairs.map(([p, q]) => `${p},${q}`).join(';')}`;
    const cached = this.plans.get(key);
    if (cached) {
      this.plans.delete(key);
      this.plans.set(key, cached);
      return cached;
    }
    const { buffers, device } = this.gpu;
    const pairCount = args.pairs.length;
    const plan: Plan = {
      params: buffers.acquire(16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, `${LABEL}:params`),
      pairs: buffers.acquire(
        pairCount * 8,
        GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
        `${LABEL}:pairs`,
      ),
      output: buffers.acquire(
        pairCount * DIVERGENCE_STRIDE * 4,
        GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
        `${LABEL}:output`,
      ),
    };
    device.queue.writeBuffer(
      plan.params,
      0,
      new Uint32Array([args.vocab, pairCount, args.pRows, args.qRows]),
    );
    device.queue.writeBuffer(plan.pairs, 0, new Uint32Array(args.pairs.flat()));
    this.plans.set(key, plan);
    if (this.plans.size > MAX_PLANS) {
      const [oldestKey, oldest] = this.plans.entries().next().value as [string, Plan];
      this.plans.delete(oldestKey);
      this.releasePlan(oldest);
    }
    return plan;
  }

  private releasePlan(plan: Plan): void {
    this.gpu.buffers.release(plan.params);
    this.gpu.buffers.release(plan.pairs);
    this.gpu.buffers.release(plan.output);
  }

  /**
   * Records the kernel into `pass`; returns the output [pairs, 12] f32 (layout: DivergenceSlot).
   * The output belongs to this shape's plan: the next encode of the same shape overwrites it.
   */
  encode(pass: GPUComputePassEncoder, args: DivergenceArgs): GPUBuffer {
    this.validate(args);
    const plan = this.plan(args);
    const bindGroup = this.gpu.bindGroups.get(this.pipeline, [
      plan.params,
      args.p,
      args.q,
      plan.pairs,
      plan.output,
    ]);
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(args.pairs.length);
    return plan.output;
  }

  /** Encodes, submits and reads back only the small output; throws for NaN inputs and empty rows. */
  async compute(args: DivergenceArgs): Promise<DivergenceResult[]> {
    this.gpu.assertAlive();
    this.validate(args);
    const { device, buffers } = this.gpu;
    const bytes = args.pairs.length * DIVERGENCE_STRIDE * 4;
    const raw = await this.gpu.checked(LABEL, async () => {
      const staging = buffers.acquire(
        bytes,
        GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        `${LABEL}:readback`,
      );
      try {
        const encoder = device.createCommandEncoder({ label: LABEL });
        const pass = encoder.beginComputePass({ label: LABEL });
        const output = this.encode(pass, args);
        pass.end();
        // Copied in the same submission, so concurrent compute() calls of one shape cannot mix outputs.
        encoder.copyBufferToBuffer(output, 0, staging, 0, bytes);
        device.queue.submit([encoder.finish()]);
        await staging.mapAsync(GPUMapMode.READ, 0, bytes);
        const copy = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
        staging.unmap();
        return copy;
      } finally {
        buffers.release(staging);
      }
    });
    return decodeDivergence(raw, args.pairs);
  }

  /** Returns the cached per-shape buffers to the pool; the pipeline stays in the shared cache. */
  dispose(): void {
    for (const plan of this.plans.values()) this.releasePlan(plan);
    this.plans.clear();
  }
}
