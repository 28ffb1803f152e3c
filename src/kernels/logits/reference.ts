// The CPU reference for the logit kernels: plain loops, the spec. Not a production path.
// Conventions shared with the shaders: -Infinity is probability zero; NaN and +Infinity are
// invalid and counted; ties are broken by the lower token id; thresholds keep ties.
import { philoxBits24, type Seed } from '../random/philox';
import type { CombineParams } from './combine';
import type { FilterParams } from './filter';
import { MASS_SCALE, orderedKey, type RowSummary, TOP } from './layout';

const isInvalid = (x: number): boolean => Number.isNaN(x) || x === Infinity;

/** max, lse, entropy, argmax, counts and top-10 of one row (f64 arithmetic). */
export function rowStatsReference(row: ArrayLike<number>): RowSummary {
  let max = -Infinity;
  let finiteCount = 0;
  let invalidCount = 0;
  for (let i = 0; i < row.length; i++) {
    const x = row[i];
    if (isInvalid(x)) invalidCount++;
    else if (x !== -Infinity) {
      finiteCount++;
      if (x > max) max = x;
    }
  }
  if (finiteCount === 0)
    return { max: -Infinity, lse: -Infinity, entropy: 0, argmax: null, invalidCount, finiteCount, top: [] };
  let sum = 0;
  let tilt = 0;
  for (let i = 0; i < row.length; i++) {
    const x = row[i];
    if (!Number.isFinite(x)) continue;
    const e = Math.exp(x - max);
    sum += e;
    tilt += e * (x - max);
  }
  const lse = max + Math.log(sum);
  const ids = topIndices(row, TOP);
  return {
    max,
    lse,
    entropy: Math.max(0, Math.log(sum) - tilt / sum),
    argmax: ids[0],
    invalidCount,
    finiteCount,
    top: ids.map((id) => ({ id, logit: row[id], prob: Math.exp(row[id] - lse) })),
  };
}

/** Ids of the `count` largest finite entries, logit descending then id ascending. */
export function topIndices(row: ArrayLike<number>, count: number): number[] {
  if (count >= 64) {
    const ids: number[] = [];
    for (let i = 0; i < row.length; i++) if (Number.isFinite(row[i])) ids.push(i);
    ids.sort((a, b) => row[b] - row[a] || a - b);
    return ids.slice(0, count);
  }
  // Few wanted: one linear pass with a small sorted list (indices rise, so ">" keeps ties in id order).
  const ids: number[] = [];
  for (let i = 0; i < row.length; i++) {
    const x = row[i];
    if (!Number.isFinite(x) || (ids.length === count && x <= row[ids[count - 1]])) continue;
    let slot = ids.length === count ? count - 1 : ids.length;
    while (slot > 0 && x > row[ids[slot - 1]]) {
      ids[slot] = ids[slot - 1];
      slot--;
    }
    ids[slot] = i;
  }
  return ids;
}

/** max and log-sum-exp of the finite entries (-Infinity for both when there are none). */
export function maxAndLogSumExp(row: ArrayLike<number>): { max: number; lse: number } {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (Number.isFinite(row[i]) && row[i] > max) max = row[i];
  if (max === -Infinity) return { max, lse: -Infinity };
  let sum = 0;
  for (let i = 0; i < row.length; i++) if (Number.isFinite(row[i])) sum += Math.exp(row[i] - max);
  return { max, lse: max + Math.log(sum) };
}

export function logSoftmaxReference(row: ArrayLike<number>): Float32Array {
  const { lse } = rowStatsReference(row);
  return Float32Array.from(row, (x) => (Number.isFinite(x) ? x - lse : x));
}

/** One row of the contrastive combination (see combine.ts for the formula). */
export function combineReference(inputs: readonly ArrayLike<number>[], params: CombineParams): Float32Array {
  const vocab = inputs[0].length;
  const stats = inputs.map(maxAndLogSumExp);
  const base = inputs[params.baseInput];
  const logBeta = params.beta > 0 ? Math.log(params.beta) : -Infinity;
  const out = new Float32Array(vocab);
  for (let y = 0; y < vocab; y++) {
    if (inputs.some((input) => isInvalid(input[y]))) {
      out[y] = NaN;
      continue;
    }
    if (params.beta > 0 && (base[y] === -Infinity || base[y] - stats[params.baseInput].max < logBeta)) {
      out[y] = -Infinity;
      continue;
    }
    let score = 0;
    let excluded = false;
    params.weights.forEach((w, j) => {
      if (w === 0) return;
      if (inputs[j][y] === -Infinity) excluded = true;
      else score += w * (inputs[j][y] - stats[j].lse);
    });
    out[y] = excluded ? -Infinity : score / params.temperature;
  }
  return out;
}

/** Fixed-point probability mass of a logit, as the shaders compute it (f32 exp, 2^-31 units). */
export function massOf(x: number, lse: number): number {
  return Math.floor(Math.fround(Math.exp(Math.fround(x - lse))) * MASS_SCALE);
}

export interface ThresholdsReference {
  thresholdKey: number;
  topKKey: number;
  topPKey: number;
  minPKey: number;
  topPTotal: number;
  topPNeeded: number;
}

/**
 * Thresholds of one row, by sorting (the plain way a JS logits processor does it). `lse` is the
 * row's log-sum-exp; pass the GPU's value to compare decisions without lse rounding noise.
 */
export function thresholdsReference(
  row: ArrayLike<number>,
  lse: number,
  params: FilterParams,
): ThresholdsReference {
  const sorted = topIndices(row, row.length);
  const none = { thresholdKey: 0, topKKey: 0, topPKey: 0, minPKey: 0, topPTotal: 0, topPNeeded: 0 };
  if (sorted.length === 0) return { ...none, thresholdKey: 0xffffffff };
  const result = { ...none };
  let survivors = sorted;
  if (params.topK > 0 && params.topK < sorted.length) {
    const kth = row[sorted[params.topK - 1]];
    result.topKKey = orderedKey(kth);
    survivors = sorted.filter((id) => row[id] >= kth);
  }
  if (params.topP < 1) {
    const masses = survivors.map((id) => massOf(row[id], lse));
    const total = masses.reduce((a, b) => a + b, 0);
    const needed = Math.min(
      Math.max(Math.ceil(Math.fround(Math.fround(total) * Math.fround(params.topP))), 1),
      Math.max(total, 1),
    );
    let cumulative = 0;
    let chosen = survivors[survivors.length - 1];
    for (let k = 0; k < survivors.length; k++) {
      cumulative += masses[k];
      if (cumulative >= needed) {
        chosen = survivors[k];
        break;
      }
    }
    result.topPKey = orderedKey(row[chosen]);
    result.topPTotal = total;
    result.topPNeeded = needed;
  }
  if (params.minP > 0) {
    result.minPKey = orderedKey(Math.fround(row[sorted[0]] + Math.fround(Math.log(params.minP))));
  }
  result.thresholdKey = Math.max(result.topKKey, result.topPKey, result.minPKey);
  return result;
}

export function isKept(x: number, thresholdKey: number): boolean {
  return Number.isFinite(x) && thresholdKey !== 0xffffffff && orderedKey(x) >= thresholdKey;
}

/** floor(u * total / 2^24) for u < 2^24, exactly. */
export function scaleBy24(u: number, total: number): number {
  return Number((BigInt(u) * BigInt(total)) >> 24n);
}

export interface SampleReference {
  token: number | null;
  keptCount: number;
  keptMass: number;
}

/** Integer inverse-CDF sampling over the kept set (see shaders/logit-sample.wgsl). */
export function sampleReference(
  row: ArrayLike<number>,
  lse: number,
  thresholdKey: number,
  seed: Seed,
  stream: number,
  counter: number,
): SampleReference {
  let keptMass = 0;
  let keptCount = 0;
  for (let i = 0; i < row.length; i++) {
    if (isKept(row[i], thresholdKey)) {
      keptMass += massOf(row[i], lse);
      keptCount++;
    }
  }
  if (keptMass === 0) return { token: null, keptCount, keptMass };
  const target = scaleBy24(philoxBits24(seed, stream, counter), keptMass);
  let cumulative = 0;
  for (let i = 0; i < row.length; i++) {
    if (!isKept(row[i], thresholdKey)) continue;
    cumulative += massOf(row[i], lse);
    if (cumulative > target) return { token: i, keptCount, keptMass };
  }
  return { token: null, keptCount, keptMass };
}
