// Kernel check for the row-divergence family: GPU vs the f64 reference at Qwen's vocabulary,
// with the hard cases mixed in (-Infinity masks, ties, 1e4 magnitudes, support mismatch).
// Argmaxes are compared exactly: both sides compare the same f32 logits.
import { uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass } from '../../gpu/timing';
import { compareArrays, type Tolerance } from '../../testing/compare';
import type { KernelCheck, KernelCheckResult } from '../check';
import { RowDivergence, type DivergenceArgs, type DivergencePair, type DivergenceResult } from './divergence';
import { rowDivergence, rowOf, type DivergenceValues } from './reference';

/**
 * GPU vs f64 reference; infinities must match exactly. Budget from WGSL's accuracy bounds, not from
 * what one GPU happens to do: exp may be off by 3 + 2|x| ulp, so a token with l - m ~ -20 carries
 * ~40 ulp (5e-6) in p, and the weighted sums over ~1e5 tokens keep a few 1e-6 of relative error:
 * rtol 1e-5. log is only held to 2^-21 absolute near 1 (JS's log1p term, per token, weighted by
 * p): atol 2e-6, which also bounds KL and JS of nearly identical rows where only absolute error
 * means anything. SwiftShader stays under 7e-7 relative and 1e-5 absolute on values ~30.
 */
export const DIVERGENCE_TOLERANCE: Tolerance = { atol: 2e-6, rtol: 1e-5 };

/** Small seeded generator (mulberry32) for check and bench inputs. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RowSpec {
  /** Spread of the logits (roughly a standard deviation). */
  scale?: number;
  offset?: number;
  /** Every entry equal to this value (ties). */
  constant?: number;
  /** Fraction of entries set to -Infinity, chosen by `maskSeed` (rows sharing it share the mask). */
  negInfFraction?: number;
  maskSeed?: number;
}

/** Row-major [rows.length, vocab] f32 logits, one RowSpec per row. */
export function seededLogits(seed: number, vocab: number, rows: readonly RowSpec[]): Float32Array {
  const data = new Float32Array(rows.length * vocab);
  const random = mulberry32(seed);
  rows.forEach((spec, r) => {
    const row = rowOf(data, r, vocab);
    const mask = mulberry32(spec.maskSeed ?? seed * 31 + r);
    const { scale = 1, offset = 0, negInfFraction = 0 } = spec;
    for (let i = 0; i < vocab; i++) {
      const gaussianish = (random() + random() + random() - 1.5) * 2;
      row[i] = spec.constant ?? offset + scale * gaussianish;
      if (mask() < negInfFraction) row[i] = -Infinity;
    }
  });
  return data;
}

const QUANTITIES = ['H(P)', 'H(Q)', 'KL(P||Q)', 'KL(Q||P)', 'JS', 'TV', 'p(argmax Q)'];
/** Entries per pair in divergenceVector(). */
export const DIVERGENCE_QUANTITIES = QUANTITIES.length;

/** H(P), H(Q), KL(P||Q), KL(Q||P), JS, TV, p(argmax Q) for every pair, flattened for compareArrays. */
export function divergenceVector(results: readonly (DivergenceResult | DivergenceValues)[]): number[] {
  return results.flatMap((r) => [
    r.entropyP,
    r.entropyQ,
    r.klPQ,
    r.klQP,
    r.js,
    r.totalVariation,
    r.pOfArgmaxQ,
  ]);
}

/** argmax P, argmax Q for every pair (compared exactly, not within a tolerance). */
export function argmaxVector(results: readonly (DivergenceResult | DivergenceValues)[]): number[] {
  return results.flatMap((r) => [r.argmaxP, r.argmaxQ]);
}

/** Null when the argmaxes agree, else the first mismatch. */
export function compareArgmaxes(actual: readonly number[], expected: readonly number[]): string | null {
  const i = actual.findIndex((a, k) => a !== expected[k]);
  if (i < 0) return null;
  const side = i % 2 === 0 ? 'P' : 'Q';
  return `argmax ${side} of pair ${Math.floor(i / 2)}: gpu ${actual[i]}, ref ${expected[i]}`;
}

/** Reference values for every pair of the row-major inputs. */
export function referenceDivergence(
  p: Float32Array,
  q: Float32Array,
  vocab: number,
  pairs: readonly DivergencePair[],
): DivergenceValues[] {
  return pairs.map(([pRow, qRow]) => rowDivergence(rowOf(p, pRow, vocab), rowOf(q, qRow, vocab), pRow, qRow));
}

export interface WorstError {
  abs: number;
  rel: number;
  /** Where the largest absolute error is, e.g. "KL(P||Q) of pair 2 (ref 11.93)". */
  where: string;
}

/**
 * Largest absolute error over the finite expected values of divergenceVector()s, and the largest
 * relative error over those of size >= 1e-3 (below that only absolute error means anything).
 */
export function worstError(actual: readonly number[], expected: readonly number[]): WorstError {
  const worst: WorstError = { abs: 0, rel: 0, where: 'nowhere' };
  expected.forEach((e, i) => {
    if (!Number.isFinite(e)) return;
    const error = Math.abs(actual[i] - e);
    if (error > worst.abs) {
      worst.abs = error;
      worst.where = `${QUANTITIES[i % DIVERGENCE_QUANTITIES]} of pair ${Math.floor(i / DIVERGENCE_QUANTITIES)} (ref ${e.toPrecision(4)})`;
    }
    if (Math.abs(e) >= 1e-3) worst.rel = Math.max(worst.rel, error / Math.abs(e));
  });
  return worst;
}

async function entropyKlJs(gpu: Gpu): Promise<KernelCheckResult> {
  const vocab = 151_936;
  const masked = { scale: 3, negInfFraction: 0.05, maskSeed: 7 };
  const pData = seededLogits(11, vocab, [masked, { scale: 8, offset: 1e4 }]);
  const qData = seededLogits(12, vocab, [masked, { constant: 0.5 }, { scale: 2, negInfFraction: 0.3 }]);
  // Shared mask (finite KL), ties vs mask (one KL infinite), 1e4 vs ties, support mismatch.
  const pairs: DivergencePair[] = [
    [0, 0],
    [0, 1],
    [1, 1],
    [1, 2],
  ];
  const p = uploadStorage(gpu, pData, 'divergence-check:p');
  const q = uploadStorage(gpu, qData, 'divergence-check:q');
  const divergence = await RowDivergence.create(gpu);
  try {
    const args: DivergenceArgs = { p, q, vocab, pRows: 2, qRows: 3, pairs };
    const results = await divergence.compute(args);
    const actual = divergenceVector(results);
    const timing = await timeComputePass(gpu, 'divergence-check', (pass) => divergence.encode(pass, args));
    const cpuStart = performance.now();
    const reference = referenceDivergence(pData, qData, vocab, pairs);
    const cpuMs = performance.now() - cpuStart;
    const expected = divergenceVector(reference);
    const report =
      compareArrays(QUANTITIES.join(', '), actual, expected, DIVERGENCE_TOLERANCE) ??
      compareArgmaxes(argmaxVector(results), argmaxVector(reference));
    const worst = worstError(actual, expected);
    const errors = gpu.takeUncapturedErrors();
    const summary =
      `V=${vocab}, ${pairs.length} pairs: worst |gpu-ref| ${worst.abs.toExponential(2)} at ${worst.where}, ` +
      `worst relative ${worst.rel.toExponential(2)}; tolerance atol ${DIVERGENCE_TOLERANCE.atol} rtol ${DIVERGENCE_TOLERANCE.rtol}`;
    return {
      pass: report === null && errors.length === 0,
      detail: report ?? (errors.length > 0 ? `${summary}; WebGPU errors: ${errors.join('; ')}` : summary),
      gpuMs: timing.ms,
      timing: timing.source,
      cpuMs,
    };
  } finally {
    divergence.dispose();
    p.destroy();
    q.destroy();
  }
}

export const checks: KernelCheck[] = [
  {
    id: 'divergence/entropy-kl-js',
    family: 'divergence',
    description:
      'Entropy, KL both ways, JS, total variation and argmaxes at V=151,936 for 4 pairs (shared -Infinity mask, ' +
      'ties, 1e4 magnitudes, support mismatch) against the f64 reference',
    run: entropyKlJs,
  },
];
