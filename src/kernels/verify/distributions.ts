// The arithmetic of speculative verification in f64, shared by the reference (./reference.ts) and
// the tests: row distributions, SpecTr's rho and residual, fixed-point sampling. Formulas and
// conventions: shaders/speculative-verify.wgsl (header).
import { EmptyDistributionError, KernelInputError } from '../../gpu/errors';
import { scaleBy24 } from '../logits/reference';
import { RHO_UNITS } from './params';

const MASS_SCALE = 2 ** 31;
const RHO_MAX_PASSES = 16;

/** One row's distribution: p(x) = weights[x] / sum with weights = exp((l - max) / T). */
export interface RowDistribution {
  /** Lowest index among the maxima (-0 equals +0). */
  argmax: number;
  weights: Float64Array;
  sum: number;
}

/** softmax(row / T) as weights; throws like the kernel on NaN / +Infinity or an all -Infinity row. */
export function rowDistribution(
  row: ArrayLike<number>,
  temperature: number,
  what: 'target' | 'draft',
  rowIndex: number,
): RowDistribution {
  let argmax = -1;
  for (let x = 0; x < row.length; x++) {
    const l = row[x];
    if (Number.isNaN(l) || l === Infinity) {
      throw new KernelInputError(
        `verify: ${what} logits row ${rowIndex} holds NaN or +Infinity; the forward that produced it ` +
          'overflowed or read uninitialised memory',
      );
    }
    if (l !== -Infinity && (argmax < 0 || l > row[argmax])) argmax = x;
  }
  if (argmax < 0) throw new EmptyDistributionError([rowIndex], `verify: ${what} logits`);
  const max = row[argmax];
  const weights = new Float64Array(row.length);
  let sum = 0;
  for (let x = 0; x < row.length; x++) {
    weights[x] = row[x] === -Infinity ? 0 : Math.exp((row[x] - max) / temperature);
    sum += weights[x];
  }
  return { argmax, weights, sum };
}

export function probabilities(d: RowDistribution): Float64Array {
  return d.weights.map((w) => w / d.sum);
}

/** g(rho) = rho beta(rho) - 1 + (1 - beta(rho))^m from S = rho beta(rho); K-SEQ is valid iff g >= 0. */
export function rhoCriterion(overlap: number, rho: number, m: number): number {
  const keep = 1 - overlap / rho;
  let power = 1;
  for (let i = 0; i < m; i++) power *= keep;
  return overlap - 1 + power;
}

/** S(rho) = sum_x min(rho q(x), p(x)) = rho beta(rho). */
export function overlap(p: Float64Array, q: Float64Array, rho: number): number {
  let s = 0;
  for (let x = 0; x < p.length; x++) s += Math.min(rho * q[x], p[x]);
  return s;
}

export interface RhoChoice {
  /** rho = units / 2^20. */
  units: number;
  rho: number;
  /** Smallest |g| met during the search: below ~1e-5 the f32 kernel may land one grid step away. */
  margin: number;
}

/**
 * The smallest grid rho = n / 2^20 >= floor with g(rho) >= 0, found by 4-point sections of
 * [floor, max(floor, m)] exactly as the kernel does (the integer grid makes the points identical).
 */
export function selectRho(p: Float64Array, q: Float64Array, m: number, floorUnits: number): RhoChoice {
  let low = floorUnits;
  let high = Math.max(floorUnits, m * RHO_UNITS);
  let margin = Infinity;
  for (let pass = 0; pass < RHO_MAX_PASSES && high !== low; pass++) {
    const width = high - low;
    const grid = [
      low,
      low + Math.floor(width / 4),
      low + Math.floor(width / 2),
      low + Math.floor((3 * width) / 4),
    ];
    let found = 4;
    for (let i = 0; i < 4; i++) {
      const rho = grid[i] / RHO_UNITS;
      const g = rhoCriterion(overlap(p, q, rho), rho, m);
      margin = Math.min(margin, Math.abs(g));
      if (g >= 0) {
        found = i;
        break;
      }
    }
    if (found === 0) [low, high] = [grid[0], grid[0]];
    else if (found < 4) [low, high] = [grid[found - 1], grid[found]];
    else low = grid[3];
    if (high - low <= 1) break;
  }
  return { units: high, rho: high / RHO_UNITS, margin };
}

/** c = sum_{i<m} (1 - beta)^i = (1 - (1 - beta)^m) / beta (m when beta = 0). */
export function residualScale(p: Float64Array, q: Float64Array, rho: number, m: number): number {
  if (m === 1) return 1;
  const keep = 1 - overlap(p, q, rho) / rho;
  let c = 0;
  let power = 1;
  for (let i = 0; i < m; i++) {
    c += power;
    power *= keep;
  }
  return c;
}

/** K-SEQ's residual, unnormalised: max(0, p(x) - c min(q(x), p(x) / rho)). */
export function modelResidual(p: Float64Array, q: Float64Array, rho: number, m: number): Float64Array {
  const c = residualScale(p, q, rho, m);
  return p.map((px, x) => Math.max(0, px - c * Math.min(q[x], px / rho)));
}

export interface Sampled {
  token: number;
  /** Distance of the draw to the nearest edge of its token's interval, as a fraction of the mass. */
  margin: number;
}

/**
 * Fixed-point inverse CDF as the kernel does it: n(x) = floor(w(x) 2^31 / sum w),
 * r = floor(u24 N / 2^24), the smallest y with n(0) + .. + n(y) > r. Null when sum w = 0.
 */
export function sampleFixedPoint(weights: ArrayLike<number>, u24: number): Sampled | null {
  let mass = 0;
  for (let x = 0; x < weights.length; x++) mass += weights[x];
  if (!(mass > 0)) return null;
  const units = Array.from(weights, (w) => Math.floor((w * MASS_SCALE) / mass));
  const total = units.reduce((a, b) => a + b, 0);
  const goal = scaleBy24(u24, total);
  let before = 0;
  for (let x = 0; x < units.length; x++) {
    const after = before + units[x];
    if (after > goal) return { token: x, margin: Math.min(goal - before, after - goal) / total };
    before = after;
  }
  return null;
}
