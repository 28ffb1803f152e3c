// The spec for the cosine kernels (shaders/cosine.wgsl): plain f64 loops.
//
//   unit(x)            = x / |x|                    (the zero vector stays zero)
//   cos(a, b)          = unit(a) . unit(b), clamped to [-1, 1]
//   maxCosine(c, C)    = max_j cos(c, C_j), and the lowest j attaining it
//
// Conventions shared with the shader:
// - the cosine of a zero vector with anything is 0 (contrastive search never meets one in the
//   paper; 0 is "no similarity", so a zero hidden state adds no degeneration penalty);
// - with no context rows the maximum is 0 with no position (no previous token, no penalty);
// - NaN or infinite entries make a row invalid: KernelInputError;
// - ties between context rows go to the lowest index.
import { KernelInputError } from '../../gpu/errors';

export interface MaxCosine {
  /** max_j cos(candidate, context_j), in [-1, 1]; 0 when there is no context row. */
  maxCosine: number;
  /** The lowest j attaining it; null when there is no context row. */
  position: number | null;
}

/** x / |x| in f64, scaled by max |x_i| first (no overflow for 1e30, no underflow for 1e-30). */
export function unitVector(x: ArrayLike<number>, what = 'row'): Float64Array {
  let largest = 0;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new KernelInputError(
        `cosine reference: ${what} has a non-finite entry (${x[i]}) at ${i}; its direction is undefined. ` +
          'Fix the forward that produced it.',
      );
    }
    largest = Math.max(largest, Math.abs(x[i]));
  }
  const out = new Float64Array(x.length);
  if (largest === 0) return out;
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += (x[i] / largest) ** 2;
  const norm = Math.sqrt(sum);
  for (let i = 0; i < x.length; i++) out[i] = x[i] / largest / norm;
  return out;
}

/** cos(a, b) with the conventions above. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new KernelInputError(`cosine reference: vectors of ${a.length} and ${b.length} entries`);
  }
  const ua = unitVector(a, 'first vector');
  const ub = unitVector(b, 'second vector');
  let dot = 0;
  for (let i = 0; i < ua.length; i++) dot += ua[i] * ub[i];
  return Math.min(1, Math.max(-1, dot));
}

/** For each candidate: the largest cosine against the context rows and where it is. */
export function maxCosineReference(
  candidates: readonly ArrayLike<number>[],
  context: readonly ArrayLike<number>[],
): MaxCosine[] {
  const units = context.map((row, j) => unitVector(row, `context row ${j}`));
  return candidates.map((candidate, c) => {
    const unit = unitVector(candidate, `candidate ${c}`);
    let best: MaxCosine = { maxCosine: 0, position: null };
    units.forEach((row, j) => {
      if (row.length !== unit.length) {
        throw new KernelInputError(
          `cosine reference: context row ${j} has ${row.length} entries, candidate ${c} has ${unit.length}`,
        );
      }
      let dot = 0;
      for (let i = 0; i < unit.length; i++) dot += unit[i] * row[i];
      const cosine = Math.min(1, Math.max(-1, dot));
      if (best.position === null || cosine > best.maxCosine) best = { maxCosine: cosine, position: j };
    });
    return best;
  });
}
