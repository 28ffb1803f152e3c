// Seeded attention inputs, their GPU buffers and the comparison against the reference, shared by
// the GPU tests, the Kernel checks and the bench rows. Inputs are poisoned where no kernel may
// read: the elements before each offset and the cache positions keys .. capacity - 1 hold NaN,
// so a stray read turns the output into NaN and fails the comparison.
import { submitPass } from '../../gpu/dispatch';
import { readFloat32, uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { compareArrays, type Tolerance } from '../../testing/compare';
import { gaussian, seededRandom } from '../../testing/logits';
import { attentionReference, type AttentionHostInputs } from './reference';
import {
  resolveShape,
  tensorElements,
  type AttentionBuffers,
  type AttentionShape,
  type ResolvedShape,
} from './shape';

/** Written into the output buffer before a run; must survive outside O's range. */
export const OUTPUT_SENTINEL = 12345;

export interface AttentionFixture {
  shape: ResolvedShape;
  /** Whole buffer contents, offsets and poison included. */
  host: AttentionHostInputs;
  /** q and k entries are gaussian times this; v entries are gaussian. */
  magnitude: number;
}

/** Q, K, V for `shape`: q, k ~ N(0, magnitude^2), v ~ N(0, 1); NaN where nothing may be read. */
export function makeFixture(seed: number, shape: AttentionShape, magnitude = 1): AttentionFixture {
  const s = resolveShape('makeFixture', shape);
  const random = seededRandom(seed);
  const elements = tensorElements(s);
  const query = new Float32Array(elements.query).fill(NaN);
  const key = new Float32Array(elements.cache).fill(NaN);
  const value = new Float32Array(elements.cache).fill(NaN);
  for (let i = s.queryOffset; i < elements.query; i++) query[i] = magnitude * gaussian(random);
  const validEnd = s.cacheOffset + s.keys * s.numKvHeads * s.headDim;
  for (let i = s.cacheOffset; i < validEnd; i++) {
    key[i] = magnitude * gaussian(random);
    value[i] = gaussian(random);
  }
  return { shape: s, host: { query, key, value }, magnitude };
}

/**
 * Tolerance of O against the f64 reference. Even a correctly rounded f32 score s = scale q.k is off
 * by up to u S (u = 2^-24, S = max over (t, h, j) of sum_d |scale q_d k_d|, the magnitude the dot
 * product passes through), and O = sum_j p_j v_j moves by at most 2 max|ds| max|v| for score
 * errors ds. We allow
 *   atol = max|v| (2e-6 + 2 u S)
 * where 2e-6 covers exp, the running rescales, the sums over up to thousands of keys and the final
 * division. Measured on SwiftShader: ~2e-7 max|v| for unit gaussians, ~0.2 u S max|v| for scores
 * of magnitude ~1e3, about a tenth of the bound in both regimes.
 */
export function attentionTolerance(fixture: AttentionFixture): Tolerance {
  const { shape, host } = fixture;
  let maxV = 0;
  const validEnd = shape.cacheOffset + shape.keys * shape.numKvHeads * shape.headDim;
  for (let i = shape.cacheOffset; i < validEnd; i++) maxV = Math.max(maxV, Math.abs(host.value[i]));
  return { atol: maxV * (2e-6 + 2 * 2 ** -24 * scoreMagnitude(fixture)), rtol: 0 };
}

/**
 * Tolerance of captured probabilities: p = exp(s - max) / sum moves by p |ds - mean ds| <= 2 u S
 * (p <= 1), plus 2e-6 for exp, the sum and the division.
 */
export function probabilityTolerance(fixture: AttentionFixture): Tolerance {
  return { atol: 2e-6 + 2 * 2 ** -24 * scoreMagnitude(fixture), rtol: 0 };
}

/** S = max over (t, h, visible j) of sum_d |scale q_d k_d|: the magnitude a score passes through. */
export function scoreMagnitude({ shape, host }: AttentionFixture): number {
  const { queries, keys, numHeads, numKvHeads, headDim, scale, groupSize } = shape;
  let magnitude = 0;
  for (let t = 0; t < queries; t++) {
    for (let h = 0; h < numHeads; h++) {
      const q = shape.queryOffset + (t * numHeads + h) * headDim;
      for (let j = 0; j <= keys - queries + t; j++) {
        const k = shape.cacheOffset + (j * numKvHeads + Math.floor(h / groupSize)) * headDim;
        let sum = 0;
        for (let d = 0; d < headDim; d++) sum += Math.abs(host.query[q + d] * host.key[k + d]);
        magnitude = Math.max(magnitude, Math.abs(scale) * sum);
      }
    }
  }
  return magnitude;
}

/** The reference output [queries, numHeads, headDim] (dense). */
export function expectedOutput(fixture: AttentionFixture): Float64Array {
  return attentionReference(fixture.host, fixture.shape);
}

/** Largest |got - want| (NaN counts as infinite). */
export function worstAbsError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const error = Math.abs(got[i] - want[i]);
    worst = Number.isNaN(error) ? Infinity : Math.max(worst, error);
  }
  return worst;
}

/** GPU buffers of a fixture; the output buffer is pre-filled with OUTPUT_SENTINEL. */
export class FixtureBuffers {
  readonly buffers: AttentionBuffers;
  readonly outputElements: number;

  constructor(
    private readonly gpu: Gpu,
    readonly fixture: AttentionFixture,
    label: string,
  ) {
    const { host, shape } = fixture;
    this.outputElements = tensorElements(shape).output;
    this.buffers = {
      query: uploadStorage(gpu, host.query, `${label}:query`),
      key: uploadStorage(gpu, host.key, `${label}:key`),
      value: uploadStorage(gpu, host.value, `${label}:value`),
      output: uploadStorage(
        gpu,
        new Float32Array(this.outputElements).fill(OUTPUT_SENTINEL),
        `${label}:output`,
      ),
    };
  }

  /** The whole output buffer (offset region included). */
  readAll(): Promise<Float32Array> {
    return readFloat32(this.gpu, this.buffers.output, this.outputElements);
  }

  /** O [queries, numHeads, headDim] from outputOffset. */
  async readOutput(): Promise<Float32Array> {
    return (await this.readAll()).subarray(this.fixture.shape.outputOffset);
  }

  destroy(): void {
    for (const buffer of Object.values(this.buffers)) buffer.destroy();
  }
}

export interface ParityResult {
  /** null when every element is within tolerance, else compareArrays' report. */
  report: string | null;
  /** Largest |gpu - ref| over O, and the tolerance it is held to. */
  error: number;
  atol: number;
  /** Elements of the output buffer before outputOffset that were overwritten. */
  clobbered: number;
}

/** Uploads `fixture`, runs `encode` in one pass, and compares O with the reference. */
export async function runParity(
  gpu: Gpu,
  fixture: AttentionFixture,
  label: string,
  encode: (pass: GPUComputePassEncoder, buffers: AttentionBuffers) => void,
): Promise<ParityResult> {
  const gpuBuffers = new FixtureBuffers(gpu, fixture, label);
  try {
    await submitPass(gpu, label, (pass) => encode(pass, gpuBuffers.buffers));
    const errors = gpu.takeUncapturedErrors();
    if (errors.length > 0) throw new Error(`${label}: WebGPU errors: ${errors.join(' | ')}`);
    const all = await gpuBuffers.readAll();
    const got = all.subarray(fixture.shape.outputOffset);
    const want = expectedOutput(fixture);
    const tolerance = attentionTolerance(fixture);
    let clobbered = 0;
    for (let i = 0; i < fixture.shape.outputOffset; i++) if (all[i] !== OUTPUT_SENTINEL) clobbered++;
    return {
      report: compareArrays(label, got, want, tolerance),
      error: worstAbsError(got, want),
      atol: tolerance.atol,
      clobbered,
    };
  } finally {
    gpuBuffers.destroy();
  }
}

/** Tracks the worst error / tolerance ratio over a test file, for its closing line. */
export class WorstError {
  ratio = 0;
  error = 0;
  where = '';

  note(result: { error: number; atol: number }, where: string): void {
    const ratio = result.error / result.atol;
    if (ratio > this.ratio) Object.assign(this, { ratio, error: result.error, where });
  }

  toString(): string {
    return `worst |gpu-ref| ${this.error.toExponential(2)} = ${this.ratio.toFixed(3)} of atol, in ${this.where}`;
  }
}
