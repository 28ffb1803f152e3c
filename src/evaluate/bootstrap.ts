// Percentile bootstrap over scenes (Efron & Tibshirani, "An Introduction to the Bootstrap", 1993,
// ch. 13): the scenes of a benchmark are the sampling unit, because the questions of one scene are
// correlated (the same image, the same model state). Resample r draws n scenes with replacement;
// the statistic is recomputed from the per-example records of the drawn scenes (a scene drawn
// twice counts twice); the 95% interval is the 2.5th and 97.5th percentiles of the B statistics.
// A difference between two lanes is bootstrapped *paired*: both lanes are recomputed on the same
// resampled scenes, so the interval reflects the per-scene correlation of the two methods.
//
// Resampling is a function of (seed, resample index) only, so every lane, split and benchmark over
// the same n scenes sees the same B resamples, and a run is reproducible. Interpretation: the
// generator is SFC32 (exact 32-bit integer arithmetic, identical in every engine), not the world's
// Philox stream, which costs ~0.5 µs per draw in JavaScript: B × n draws are 500,000 per benchmark
// at B = 1,000 and 500 scenes, and the coverage tests need a hundred times more.
// Percentiles use linear interpolation between order statistics (Hyndman & Fan type 7, as numpy's
// default), so the interval does not jump with B.

/** A point estimate with its bootstrap interval. */
export interface Estimate {
  value: number;
  low: number;
  high: number;
}

const TWO_POW_32 = 0x1_0000_0000;

/** A 32-bit avalanche of x (the SplitMix32 / murmur3 finaliser). */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * A seeded stream of uniform 32-bit integers: Chris Doty-Humphrey's SFC32 (PractRand), its 128-bit
 * state set from a hash of (seed, stream). Exact 32-bit integer arithmetic, so the same numbers in
 * Node, the page and a Worker; a few nanoseconds per draw.
 */
export class ResampleRandom {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;

  constructor(seed: number, stream: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`bootstrap seed must be a whole number >= 0, got ${String(seed)}`);
    }
    if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) {
      throw new RangeError(`bootstrap stream must be a whole number in 0..2^32-1, got ${String(stream)}`);
    }
    const low = seed % TWO_POW_32;
    const high = Math.floor(seed / TWO_POW_32);
    this.a = mix32(low ^ 0x9e3779b9);
    this.b = mix32(high ^ mix32(stream ^ 0x7f4a7c15));
    this.c = mix32(stream ^ 0x632be5ab);
    // Warm-up so nearby seeds and streams decorrelate.
    for (let i = 0; i < 12; i++) this.next();
  }

  private next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform integer in 0..n-1 (n in 1..2^21, so floor(bits · n / 2^32) is exact). */
  int(n: number): number {
    return Math.floor((this.next() * n) / TWO_POW_32);
  }
}

/** Units a resample may draw from: the fast path stores multiplicities as 16-bit counts. */
export const MAX_BOOTSTRAP_UNITS = 65_535;

/**
 * B resamples of n units with replacement, each as the multiplicity of every unit (counts sum to n).
 * Resample r uses stream r of `seed`.
 */
export function resampleCounts(units: number, resamples: number, seed: number): Uint16Array[] {
  if (!Number.isInteger(units) || units < 1 || units > MAX_BOOTSTRAP_UNITS) {
    throw new RangeError(
      `bootstrap: units must be a whole number in 1..${MAX_BOOTSTRAP_UNITS}, got ${String(units)}`,
    );
  }
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(`bootstrap: resamples must be a whole number >= 1, got ${String(resamples)}`);
  }
  return Array.from({ length: resamples }, (_, r) => {
    const random = new ResampleRandom(seed, r);
    const counts = new Uint16Array(units);
    for (let i = 0; i < units; i++) counts[random.int(units)]++;
    return counts;
  });
}

/** The q-quantile (0..1) of ascending `sorted`, interpolating between order statistics (type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of an empty list');
  const h = (sorted.length - 1) * q;
  const below = Math.floor(h);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (h - below) * (sorted[above] - sorted[below]);
}

/** The percentile interval of bootstrap replicates, around the full-sample `value`. */
export function percentileEstimate(
  value: number,
  replicates: ArrayLike<number>,
  confidence: number,
): Estimate {
  // Nothing to resample (no units): the interval is the point.
  if (replicates.length === 0) return { value, low: value, high: value };
  const sorted = Float64Array.from(replicates).sort();
  const tail = (1 - confidence) / 2;
  return { value, low: quantileSorted(sorted, tail), high: quantileSorted(sorted, 1 - tail) };
}

/** A count vector per unit (scene): every unit has the same fields in the same order. */
export type UnitCounts = ArrayLike<number>;

/** Σ_i weight_i · units[i] (weight 1 everywhere when `weights` is null). */
export function sumUnits(
  units: readonly UnitCounts[],
  width: number,
  weights: ArrayLike<number> | null,
): Float64Array {
  const total = new Float64Array(width);
  units.forEach((unit, i) => {
    const w = weights === null ? 1 : weights[i];
    if (w === 0) return;
    for (let k = 0; k < width; k++) total[k] += w * unit[k];
  });
  return total;
}

/** The full-sample sums and the sums of every resample, for statistics that are functions of sums. */
export interface ResampledSums {
  full: Float64Array;
  replicates: Float64Array[];
}

export function resampledSums(
  units: readonly UnitCounts[],
  width: number,
  resamples: readonly Uint16Array[],
): ResampledSums {
  for (const weights of resamples) {
    if (weights.length !== units.length) {
      throw new RangeError(`bootstrap: a resample of ${weights.length} units for ${units.length} units`);
    }
  }
  return {
    full: sumUnits(units, width, null),
    replicates: resamples.map((weights) => sumUnits(units, width, weights)),
  };
}

/** A statistic of summed counts (accuracy from TP/TN/N, CHAIR_i from hallucinated/mentioned, ...). */
export type SumStatistic = (sums: Float64Array) => number;

export function bootstrapEstimate(
  sums: ResampledSums,
  statistic: SumStatistic,
  confidence: number,
): Estimate {
  return percentileEstimate(statistic(sums.full), sums.replicates.map(statistic), confidence);
}

/**
 * statistic(a) − statistic(b) with a paired percentile interval: resample r of both was summed over
 * the same drawn units (both come from resampledSums with the same resamples).
 */
export function pairedDifference(
  a: ResampledSums,
  b: ResampledSums,
  statistic: SumStatistic,
  confidence: number,
): Estimate {
  if (a.replicates.length !== b.replicates.length) {
    throw new RangeError(`paired bootstrap: ${a.replicates.length} resamples against ${b.replicates.length}`);
  }
  return percentileEstimate(
    statistic(a.full) - statistic(b.full),
    a.replicates.map((sums, r) => statistic(sums) - statistic(b.replicates[r])),
    confidence,
  );
}
