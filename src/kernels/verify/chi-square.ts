// Pearson's chi-square goodness of fit with an exact p-value, for the exactness tests
// (exactness.gpu.test.ts): the regularized upper incomplete gamma Q(df/2, X^2/2) by its series
// or its continued fraction (Numerical Recipes, 3rd ed., 6.2), ln Gamma by Lanczos (g = 7, n = 9).

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Gamma(x) for x > 0 (relative error ~1e-15). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const EPS = 1e-16;
const TINY = 1e-300;

/** Q(a, x) = Gamma(a, x) / Gamma(a), the regularized upper incomplete gamma, a > 0, x >= 0. */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0))
    throw new RangeError(`regularizedGammaQ needs a > 0 and x >= 0, got a=${a}, x=${x}`);
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  const front = Math.exp(-x + a * Math.log(x) - logGamma(a));
  if (x < a + 1) {
    // P(a, x) = front * sum_n x^n / (a (a+1) ... (a+n)); Q = 1 - P is not small here.
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 10_000 && Math.abs(term) > Math.abs(sum) * EPS; n++) {
      term *= x / (a + n);
      sum += term;
    }
    return Math.max(0, 1 - front * sum);
  }
  // Continued fraction for Q (modified Lentz).
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return front * h;
}

/** P(X >= statistic) for X ~ chi-square with df degrees of freedom. */
export function chiSquarePValue(statistic: number, df: number): number {
  return regularizedGammaQ(df / 2, statistic / 2);
}

export interface ChiSquareResult {
  statistic: number;
  df: number;
  pValue: number;
  /** Smallest expected count (Pearson's approximation wants >= 5). */
  minExpected: number;
}

/**
 * Pearson's X^2 of `counts` against `probabilities` (expected N p; df = cells with p > 0, minus 1).
 * A count in a cell of probability 0 gives X^2 = Infinity and p-value 0.
 */
export function chiSquareTest(counts: readonly number[], probabilities: readonly number[]): ChiSquareResult {
  if (counts.length !== probabilities.length) {
    throw new RangeError(`chiSquareTest: ${counts.length} counts but ${probabilities.length} probabilities`);
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const mass = probabilities.reduce((a, b) => a + b, 0);
  let statistic = 0;
  let cells = 0;
  let minExpected = Infinity;
  counts.forEach((count, i) => {
    const expected = (total * probabilities[i]) / mass;
    if (expected === 0) {
      if (count > 0) statistic = Infinity;
      return;
    }
    cells++;
    minExpected = Math.min(minExpected, expected);
    statistic += (count - expected) ** 2 / expected;
  });
  const df = cells - 1;
  const pValue = statistic === Infinity ? 0 : df > 0 ? chiSquarePValue(statistic, df) : 1;
  return { statistic, df, pValue, minExpected };
}
