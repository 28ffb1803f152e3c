// Shared by the cross-entropy tests and Kernel checks: one-shot GPU runs and the rounding bounds
// of the GPU's log-prob and gradient against the f64 reference (./reference.ts).
//
// Bound derivation (u = 2^-24; WGSL accuracy: exp 3 + 2|x| ulp, log 2^-21 absolute on [0.5, 2] and
// 3 ulp elsewhere). With x_v = l_v - mx (rounded: u|x_v|), each term exp(x_v) has relative error
// e_v <= (4 + 3|x_v|) u. The sum runs n = ceil(V / WG) + WG terms in a chain (strided partial,
// then thread 0 over the WG partials; WG = crossEntropyWorkgroupSize(V)), so s has relative error d_s <= gamma_n + sum_v p_v e_v, with
// p_v the softmax (weights of the terms in s). log s then has absolute error
// d_L <= d_s + max(2^-21, 6u|L|), and logp = x_t - L rounds twice more: u(|x_t| + |logp|).
// The gradient's p_v = exp(x_v - L) has relative error d_L + u(|x_v| + 4 + 3|x_v - L|), and
// w (onehot - p) rounds twice: |w| u |onehot - p| + u|g|. Both bounds doubled, plus the smallest
// normal times |w| (software adapters may flush subnormal p to zero).
import { submitPass } from '../../gpu/dispatch';
import { readFloat32, readUint32, uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import {
  CROSS_ENTROPY_STATUS_BYTES,
  crossEntropyWorkgroupSize,
  type CrossEntropyKernel,
} from './cross-entropy';
import type { CrossEntropyReference } from './reference';

const U = 2 ** -24;
const SMALLEST_NORMAL = 2 ** -126;

export interface CrossEntropyRun {
  logProbs: Float32Array;
  /** The logits buffer after the kernel: the gradient with writeGradient, else the logits. */
  rows: Float32Array;
  status: Uint32Array;
}

export async function runCrossEntropy(
  gpu: Gpu,
  kernel: CrossEntropyKernel,
  logits: Float32Array,
  targets: Uint32Array,
  weights: Float32Array,
  vocab: number,
  writeGradient: boolean,
): Promise<CrossEntropyRun> {
  const tokens = targets.length;
  const owned = [
    uploadStorage(gpu, logits, 'cross-entropy-test:logits'),
    uploadStorage(gpu, targets, 'cross-entropy-test:targets'),
    uploadStorage(gpu, weights, 'cross-entropy-test:weights'),
    uploadStorage(gpu, new Float32Array(tokens).fill(12345), 'cross-entropy-test:logp'),
    uploadStorage(gpu, new Uint32Array(CROSS_ENTROPY_STATUS_BYTES / 4), 'cross-entropy-test:status'),
  ];
  const [l, tg, w, lp, st] = owned;
  try {
    await submitPass(gpu, 'cross-entropy-test', (pass) =>
      kernel.encode(pass, l, tg, w, lp, st, { tokens, vocab }, writeGradient),
    );
    return {
      logProbs: await readFloat32(gpu, lp, tokens),
      rows: await readFloat32(gpu, l, tokens * vocab),
      status: await readUint32(gpu, st, 4),
    };
  } finally {
    for (const buffer of owned) buffer.destroy();
  }
}

export interface CrossEntropyReport {
  failures: number;
  first: string;
  /** max |gpu - ref| / bound over log-probs and gradients: <= 1 passes. */
  worstRatio: number;
  worstLogProbError: number;
  worstGradientError: number;
}

/** Compares log-probs (and the gradient rows, when given) with the reference under the bounds above. */
export function compareCrossEntropy(
  logits: Float32Array,
  targets: Uint32Array,
  weights: Float32Array,
  vocab: number,
  want: CrossEntropyReference,
  logProbs: Float32Array,
  gradient: Float32Array | null,
): CrossEntropyReport {
  const report: CrossEntropyReport = {
    failures: 0,
    first: '',
    worstRatio: 0,
    worstLogProbError: 0,
    worstGradientError: 0,
  };
  const threads = crossEntropyWorkgroupSize(vocab);
  const n = Math.ceil(vocab / threads) + threads;
  const gammaN = (n * U) / (1 - n * U);
  const judge = (what: string, got: number, expected: number, bound: number, isGradient: boolean) => {
    const exact = !Number.isFinite(expected) || bound === 0;
    const error = Math.abs(got - expected);
    const ok = exact ? Object.is(got, expected) || got === expected : error <= bound;
    const ratio = exact ? (ok ? 0 : Infinity) : error / bound;
    report.worstRatio = Math.max(report.worstRatio, Number.isNaN(ratio) ? Infinity : ratio);
    if (Number.isFinite(error) && !exact) {
      if (isGradient) report.worstGradientError = Math.max(report.worstGradientError, error);
      else report.worstLogProbError = Math.max(report.worstLogProbError, error);
    }
    if (!ok && report.failures++ === 0) {
      report.first = `${what} GPU ${got} vs ref ${expected} (bound ${bound.toExponential(2)})`;
    }
  };
  for (let t = 0; t < targets.length; t++) {
    const base = t * vocab;
    const mx = want.rowMax[t];
    const logSum = want.logSum[t];
    let termErrors = 0;
    for (let v = 0; v < vocab; v++) {
      const x = logits[base + v] - mx;
      if (x > -Infinity) termErrors += Math.exp(x - logSum) * (4 + 3 * Math.abs(x)) * U;
    }
    const logError = gammaN + termErrors + Math.max(2 ** -21, 6 * U * Math.abs(logSum));
    const target = targets[t];
    const expected = want.logProbs[t];
    if (Number.isNaN(expected)) {
      judge(`logp[${t}]`, logProbs[t], NaN, 0, false);
    } else {
      const xt = logits[base + target] - mx;
      const bound = 2 * (logError + U * (Math.abs(xt) + Math.abs(expected)));
      judge(`logp[${t}] (target ${target})`, logProbs[t], expected, bound, false);
    }
    if (!gradient) continue;
    const w = weights[t];
    for (let v = 0; v < vocab; v++) {
      const g = want.gradient[base + v];
      const x = logits[base + v] - mx;
      if (w === 0 || Number.isNaN(expected) || x === -Infinity) {
        // Masked rows, bad targets and -Inf logits (p = 0) are exact: 0, or w for the target.
        judge(`grad[${t}, ${v}]`, gradient[base + v], g === 0 ? 0 : g, 0, true);
        continue;
      }
      const p = Math.exp(x - logSum);
      const onehot = v === target ? 1 : 0;
      const relative = logError + U * (Math.abs(x) + 4 + 3 * Math.abs(x - logSum));
      const bound =
        2 * (Math.abs(w) * (p * relative + U * Math.abs(onehot - p)) + U * Math.abs(g)) +
        2 * SMALLEST_NORMAL * Math.abs(w);
      judge(`grad[${t}, ${v}]`, gradient[base + v], g, bound, true);
    }
  }
  return report;
}
