// Plumbing shared by the logit family's Kernel checks (checks.ts, checks-sampling.ts,
// checks-fused.ts): seeded hard inputs, GPU resources that are always released, tolerances taken
// from the GPU tests, and the one-line result a researcher reads in the Kernel check panel.
import { uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import type { TimedResult } from '../../gpu/timing';
import type { LogitKind } from '../../testing/logits';
import type { Seed } from '../random/philox';
import type { KernelCheckResult } from '../check';
import { isKept, sampleReference, type SampleReference } from './reference';

/** Every hard case of src/testing/logits.ts: gaussian, 1e4 magnitudes, ties, 30% -Inf, peaked, flat. */
export const HARD_KINDS: LogitKind[] = ['normal', 'huge', 'ties', 'neg-inf', 'peaked', 'flat'];

/** GPT-2's vocabulary: not a multiple of any workgroup size. */
export const GPT2_VOCAB = 50_257;
/** Qwen2's vocabulary. */
export const QWEN_VOCAB = 151_936;

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** GPU buffers and kernels owned by one check, destroyed together in `finally`. */
export class CheckResources {
  private readonly owned: { destroy(): void }[] = [];

  constructor(
    private readonly gpu: Gpu,
    private readonly label: string,
  ) {}

  own<T extends { destroy(): void }>(resource: T): T {
    this.owned.push(resource);
    return resource;
  }

  upload(data: Float32Array, name: string): GPUBuffer {
    return this.own(uploadStorage(this.gpu, data, `${this.label}:${name}`));
  }

  storage(bytes: number, name: string): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    return this.own(this.gpu.device.createBuffer({ label: `${this.label}:${name}`, size, usage: STORAGE }));
  }

  destroy(): void {
    for (const resource of this.owned.splice(0)) resource.destroy();
  }
}

/** Runs `work` once and measures it with performance.now(). */
export function timeCpu<T>(work: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = work();
  return { value, ms: performance.now() - start };
}

/**
 * Tolerance of a GPU log-sum-exp against the f64 reference (as in stats.gpu.test.ts): a sum of up
 * to 151,936 f32 terms in a different order.
 */
export function lseTolerance(lse: number): number {
  return 2e-6 * Math.max(1, Math.abs(lse)) + 1e-5;
}

/** Tolerance of a GPU entropy (as in stats.gpu.test.ts). */
export function entropyTolerance(entropy: number): number {
  return 1e-4 * Math.max(1, entropy);
}

/** Kept mass agrees to ~1e-6 of itself: f32 exp may differ from V8's by a few ulp (sample.gpu.test.ts). */
export function massTolerance(mass: number): number {
  return 2e-6 * mass + 1;
}

export const fmt = (x: number): string => (x === 0 ? '0' : x.toExponential(1));

/** "B=6 V=50,257" */
export function shapeText(rows: number, vocab: number): string {
  return `B=${rows} V=${vocab.toLocaleString('en-US')}`;
}

/**
 * The check's result: passes when there are no failures and WebGPU reported no error. `failures`
 * are short strings; the first three go into the one-line detail, followed by the summary.
 */
export function checkResult(
  gpu: Gpu,
  failures: string[],
  summary: string,
  timing: TimedResult,
  cpuMs: number,
): KernelCheckResult {
  const errors = gpu.takeUncapturedErrors();
  if (errors.length > 0) failures.push(`WebGPU errors: ${errors.join(' | ')}`);
  const shown = failures.slice(0, 3).join('; ');
  const more = failures.length > 3 ? ` (+${failures.length - 3} more)` : '';
  return {
    pass: failures.length === 0,
    detail: failures.length === 0 ? summary : `FAILED ${shown}${more} | ${summary}`,
    gpuMs: timing.ms,
    timing: timing.source,
    cpuMs,
  };
}

export interface ManyDraws {
  tokens: (number | null)[];
  keptCount: number;
  keptMass: number;
}

/**
 * sampleReference for draws counter .. counter + draws - 1. The first draw runs on the whole row;
 * the others on the row's kept entries in vocabulary order, which is the same computation
 * (sampleReference gives every other entry zero mass) without a full sweep per draw.
 */
export function sampleDrawsReference(
  row: Float32Array,
  lse: number,
  thresholdKey: number,
  seed: Seed,
  stream: number,
  counter: number,
  draws: number,
): ManyDraws {
  const first: SampleReference = sampleReference(row, lse, thresholdKey, seed, stream, counter);
  const keptIds: number[] = [];
  for (let i = 0; i < row.length; i++) if (isKept(row[i], thresholdKey)) keptIds.push(i);
  const kept = Float32Array.from(keptIds, (id) => row[id]);
  const tokens = [first.token];
  for (let d = 1; d < draws; d++) {
    const { token } = sampleReference(kept, lse, thresholdKey, seed, stream, counter + d);
    tokens.push(token === null ? null : keptIds[token]);
  }
  return { tokens, keptCount: first.keptCount, keptMass: first.keptMass };
}
