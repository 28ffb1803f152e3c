// Kernel check for the cosine family: GPU max-cosine vs the f64 reference on hard inputs (a hidden
// size and a context length that are not multiples of the workgroup, zero vectors, 1e30 and 1e-30
// magnitudes, duplicated rows that tie), shared with the GPU tests.
import { readUint32, uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { submitPass } from '../../gpu/dispatch';
import { timeComputePass } from '../../gpu/timing';
import { compareArrays, type Tolerance } from '../../testing/compare';
import { gaussian, seededRandom } from '../../testing/logits';
import type { KernelCheck, KernelCheckResult } from '../check';
import { CosineKernels, decodeMaxCosine, MAX_COSINE_WORDS } from './cosine';
import { maxCosineReference, type MaxCosine } from './reference';

/**
 * f32 unit rows carry ~1 ulp (6e-8) per entry; a dot over d entries sums d such errors, so ~6e-8 *
 * sqrt(d) typically and 6e-8 * d at worst (6e-5 at d = 1000, never seen): atol 1e-5 over cosines
 * in [-1, 1]. SwiftShader stays under 1e-6 at d = 1000.
 */
export const COSINE_TOLERANCE: Tolerance = { atol: 1e-5, rtol: 0 };

export interface CosineCase {
  dim: number;
  candidates: Float32Array[];
  context: Float32Array[];
}

function gaussianRow(random: () => number, dim: number, scale = 1): Float32Array {
  return Float32Array.from({ length: dim }, () => scale * gaussian(random));
}

/** 2^100 ~ 1.3e30: scaling by a power of two is exact in f32, so directions stay bitwise equal. */
const HUGE = 2 ** 100;

/**
 * Seeded rows: context row 3 is zero, rows 5 and 6 are copies (a tie), row 7 is 2^100 * row 2 (an
 * exact tie with it); candidate 0 is zero, 1 is 2^100 * context row 6 (ties rows 5 and 6 -> 5),
 * 2 is 2^-100 * a gaussian (squares underflow without scaling), 3 is -row 4, the rest gaussian.
 */
export function hardCosineCase(
  seed: number,
  dim: number,
  candidates: number,
  contextRows: number,
): CosineCase {
  const random = seededRandom(seed);
  const context = Array.from({ length: contextRows }, () => gaussianRow(random, dim));
  const copy = (row: Float32Array, scale: number) => Float32Array.from(row, (x) => x * scale);
  if (contextRows > 7) {
    context[3] = new Float32Array(dim);
    context[6] = copy(context[5], 1);
    context[7] = copy(context[2], HUGE);
  }
  const rows = Array.from({ length: candidates }, () => gaussianRow(random, dim));
  if (candidates > 3 && contextRows > 7) {
    rows[0] = new Float32Array(dim);
    rows[1] = copy(context[6], HUGE);
    rows[2] = gaussianRow(random, dim, 1 / HUGE);
    rows[3] = copy(context[4], -1);
  }
  return { dim, candidates: rows, context };
}

/** Runs normalize (context and candidates) and max-cosine on the GPU; reads back 8 bytes a candidate. */
export async function gpuMaxCosine(
  gpu: Gpu,
  kernels: CosineKernels,
  input: CosineCase,
): Promise<MaxCosine[]> {
  const { dim } = input;
  const k = input.candidates.length;
  const n = input.context.length;
  const flat = (rows: Float32Array[]) => {
    const out = new Float32Array(Math.max(1, rows.length) * dim);
    rows.forEach((row, r) => out.set(row, r * dim));
    return out;
  };
  const raw = uploadStorage(gpu, flat(input.context), 'cosine-check:context');
  const candidates = uploadStorage(gpu, flat(input.candidates), 'cosine-check:candidates');
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const contextUnits = gpu.device.createBuffer({
    label: 'cosine-check:context-units',
    size: raw.size,
    usage,
  });
  const candidateUnits = gpu.device.createBuffer({
    label: 'cosine-check:units',
    size: candidates.size,
    usage,
  });
  const output = gpu.device.createBuffer({ label: 'cosine-check:out', size: Math.max(16, k * 8), usage });
  try {
    if (n > 0) {
      await submitPass(gpu, 'cosine-check:context', (pass) =>
        kernels.encodeNormalize(pass, raw, contextUnits, { dim, rows: n, inputRow: 0, outputRow: 0 }),
      );
    }
    await submitPass(gpu, 'cosine-check:candidates', (pass) => {
      kernels.encodeNormalize(pass, candidates, candidateUnits, { dim, rows: k, inputRow: 0, outputRow: 0 });
      kernels.encodeMaxCosine(pass, candidateUnits, contextUnits, output, {
        dim,
        candidates: k,
        contextRows: n,
      });
    });
    return decodeMaxCosine(await readUint32(gpu, output, k * MAX_COSINE_WORDS), k);
  } finally {
    for (const buffer of [raw, candidates, contextUnits, candidateUnits, output]) buffer.destroy();
  }
}

/** Null when GPU and reference agree (cosines within tolerance, positions exactly), else a report. */
export function compareMaxCosine(actual: MaxCosine[], expected: MaxCosine[]): string | null {
  const values = compareArrays(
    'max cosine',
    actual.map((r) => r.maxCosine),
    expected.map((r) => r.maxCosine),
    COSINE_TOLERANCE,
  );
  if (values) return values;
  const c = actual.findIndex((r, i) => r.position !== expected[i].position);
  return c < 0 ? null : `position of candidate ${c}: gpu ${actual[c].position}, ref ${expected[c].position}`;
}

async function hardCases(gpu: Gpu): Promise<KernelCheckResult> {
  const input = hardCosineCase(5, 1000, 10, 300);
  const kernels = await CosineKernels.create(gpu, 'cosine-check');
  try {
    const actual = await gpuMaxCosine(gpu, kernels, input);
    const cpuStart = performance.now();
    const expected = maxCosineReference(input.candidates, input.context);
    const cpuMs = performance.now() - cpuStart;
    const worst = Math.max(...actual.map((r, i) => Math.abs(r.maxCosine - expected[i].maxCosine)));
    // Timing: the max-cosine pass alone, on unit rows prepared in the same pass.
    const units = uploadStorage(gpu, new Float32Array(301 * 1000), 'cosine-check:timing');
    const out = uploadStorage(gpu, new Uint32Array(20), 'cosine-check:timing-out');
    const timing = await timeComputePass(gpu, 'cosine-check', (pass) =>
      kernels.encodeMaxCosine(pass, units, units, out, { dim: 1000, candidates: 10, contextRows: 300 }),
    );
    units.destroy();
    out.destroy();
    const report = compareMaxCosine(actual, expected);
    const errors = gpu.takeUncapturedErrors();
    const summary =
      `d=1000, 10 candidates x 300 context rows (zero rows, 1.3e30 and 7.9e-31 magnitudes, ties): ` +
      `worst |gpu-ref| ${worst.toExponential(2)}, tolerance ${COSINE_TOLERANCE.atol}`;
    const failure = report ?? (errors.length > 0 ? `WebGPU errors: ${errors.join('; ')}` : null);
    return {
      pass: failure === null,
      detail: failure === null ? summary : `FAILED ${failure} | ${summary}`,
      gpuMs: timing.ms,
      timing: timing.source,
      cpuMs,
    };
  } finally {
    kernels.destroy();
  }
}

export const checks: KernelCheck[] = [
  {
    id: 'cosine/max-cosine',
    family: 'cosine',
    description:
      'Unit normalisation and max cosine (contrastive search penalty) at d=1000 for 10 candidates against 300 ' +
      'context rows with zero vectors, 2^100 / 2^-100 magnitudes and tied rows, against the f64 reference',
    run: hardCases,
  },
];
