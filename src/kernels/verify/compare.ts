// GPU vs reference parity for speculative verification. Decisions must be identical; where they
// differ, the reference's margin at the first differing position says whether f32 rounding can
// explain it (a "boundary" case, reported) or not (a failure), as logits/checks-sampling.ts does.
//
// Margins (see reference.ts, PositionMargins) against the f32 error they must exceed:
// - accept: |u rho q - p| / max(p, u rho q). p and q carry exp's 3 + 2|a| ulp on arguments |a| of
//   up to ~20 (p > 1e-9), the argument's own rounding (~|a| 6e-8) and the normaliser's sum (~1e-6
//   at V = 50,257): ~5e-6 each, 1e-5 for the ratio; ACCEPT_MARGIN = 1e-4 leaves 10x.
// - sample: distance of r to its token's interval edges / N, times residual mass / sum(p + c min(q,
//   p/rho)) (1 for p). A shared scale cancels (n and r are both relative to the total), so only
//   per-token relative errors (~5e-6) accumulate over the prefix; a residual max(0, p - c q) turns
//   them into errors relative to p + c q, which the factor converts; SAMPLE_MARGIN = 1e-4.
// - rho: |g| at a grid point; the f32 overlap sum errs ~1e-6, RHO_MARGIN = 1e-5.
import type { VerifyResult } from './params';
import type { ReferenceTrial } from './reference';

export const ACCEPT_MARGIN = 1e-4;
export const SAMPLE_MARGIN = 1e-4;
export const RHO_MARGIN = 1e-5;
/** Hover probabilities: |gpu - ref| <= PROBABILITY_ATOL + PROBABILITY_RTOL ref (f32 softmax). */
export const PROBABILITY_ATOL = 1e-7;
export const PROBABILITY_RTOL = 2e-5;
/** rho: the kernel and the reference search the same grid; one step apart at a boundary. */
export const RHO_STEP = 2 ** -20;

export interface ParityReport {
  trials: number;
  /** Trials whose decisions are identical. */
  identical: number;
  /** Trials that differ where a margin is within f32 error (first few described). */
  boundary: string[];
  failures: string[];
  /** Largest relative error of the hover probabilities p and q. */
  worstProbabilityError: number;
}

function describe(r: VerifyResult): string {
  return `accepted ${r.accepted}, tokens [${r.tokens.join(',')}], candidate ${r.candidate}`;
}

/** Null when the trial is identical, else the first position whose decision differs. */
function firstDifference(a: VerifyResult, b: VerifyResult): number | null {
  if (a.accepted === b.accepted && a.bonus === b.bonus && a.candidate === b.candidate && a.tokens.join() === b.tokens.join()) return null; // prettier-ignore
  for (let j = 0; ; j++) {
    if (a.tokens[j] !== b.tokens[j] || j < a.accepted !== j < b.accepted) return j;
    if (j >= a.tokens.length - 1 || j >= b.tokens.length - 1) return j;
  }
}

export function compareVerify(actual: VerifyResult[], expected: ReferenceTrial[]): ParityReport {
  const report: ParityReport = { trials: expected.length, identical: 0, boundary: [], failures: [], worstProbabilityError: 0 }; // prettier-ignore
  expected.forEach(({ result: want, margins }, t) => {
    const got = actual[t];
    const d = firstDifference(got, want);
    // Hover values on the positions both decided alike.
    const alike = Math.min(d ?? Infinity, got.p.length, want.p.length);
    for (let j = 0; j < alike; j++) {
      for (const [g, w] of [
        [got.p[j], want.p[j]],
        [got.q[j], want.q[j]],
      ]) {
        const error = Math.abs(g - w);
        report.worstProbabilityError = Math.max(report.worstProbabilityError, error / Math.max(w, 1e-30));
        if (error > PROBABILITY_ATOL + PROBABILITY_RTOL * w) report.failures.push(`trial ${t} position ${j}: probability ${g} vs ${w}`); // prettier-ignore
      }
      const rhoError = Math.abs((got.rho?.[j] ?? 1) - (want.rho?.[j] ?? 1));
      if (rhoError > RHO_STEP * 1.5 && margins[j].rho >= RHO_MARGIN) report.failures.push(`trial ${t} position ${j}: rho ${got.rho?.[j]} vs ${want.rho?.[j]}`); // prettier-ignore
    }
    if (d === null) {
      report.identical++;
      return;
    }
    const m = margins[d];
    const acceptDiffers = d < got.accepted || d < want.accepted;
    const explained = m.rho < RHO_MARGIN || (acceptDiffers ? m.accept < ACCEPT_MARGIN : m.sample < SAMPLE_MARGIN); // prettier-ignore
    const line = `trial ${t} position ${d}: gpu ${describe(got)}; ref ${describe(want)} (margins accept ${m.accept.toExponential(1)}, sample ${m.sample.toExponential(1)}, rho ${m.rho.toExponential(1)})`; // prettier-ignore
    if (explained) report.boundary.push(line);
    else report.failures.push(line);
  });
  return report;
}

/** One line for a test log or a Kernel check. */
export function summarize(report: ParityReport): string {
  return (
    `${report.identical}/${report.trials} trials identical, ${report.boundary.length} at an f32 boundary, ` +
    `${report.failures.length} failures; hover p/q worst relative error ${report.worstProbabilityError.toExponential(1)}`
  );
}
