// Summary words: 0 max, 1 lse, 2 entropy, 3 argmax, 4 invalid count, 5 finite count, 6 sum exp(l - max),
// 7 top-10 candidates collected (diagnostic), 8..17 top ids, 18..27 top logits.
// Layouts of the small buffers the logit kernels write, and their parsers. These are the only
// things read back on the hot path: a 32-word summary per row, an 8-word decision per row and
// (token, logit) pairs per draw.

export const SUMMARY_WORDS = 32;
export const DECISION_WORDS = 8;
export const TOP = 10;
export const NO_TOKEN = 0xffffffff;
/** Probability mass is counted in units of 2^-31 (see shaders/logit-filter.wgsl). */
export const MASS_SCALE = 2 ** 31;
export const MAX_VOCAB = 262_144;
export const MAX_ROWS = 16;
export const MAX_INPUTS = 8;

const scratch = new DataView(new ArrayBuffer(4));
export function bitsToFloat(bits: number): number {
  scratch.setUint32(0, bits >>> 0, true);
  return scratch.getFloat32(0, true);
}
export function floatToBits(value: number): number {
  scratch.setFloat32(0, value, true);
  return scratch.getUint32(0, true);
}
/** Order-preserving u32 key of an f32 (as in shaders/float-keys.wgsl). */
export function orderedKey(value: number): number {
  const bits = floatToBits(value);
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0;
}
export function keyToFloat(key: number): number {
  const bits = key & 0x80000000 ? key & 0x7fffffff : ~key;
  return bitsToFloat(bits >>> 0);
}

export interface TopEntry {
  id: number;
  logit: number;
  /** exp(logit - lse) of the row the entry belongs to. */
  prob: number;
}

export interface RowSummary {
  max: number;
  lse: number;
  /** Natural-log entropy of softmax(row). */
  entropy: number;
  /** Lowest index among the maxima; null when the row has no finite entry. */
  argmax: number | null;
  /** Entries that are NaN or +Infinity. */
  invalidCount: number;
  finiteCount: number;
  /** Up to 10 entries, logit descending then index ascending; finite entries only. */
  top: TopEntry[];
}

export function parseSummary(words: Uint32Array, row: number): RowSummary {
  const o = row * SUMMARY_WORDS;
  const lse = bitsToFloat(words[o + 1]);
  const top: TopEntry[] = [];
  for (let k = 0; k < TOP; k++) {
    const id = words[o + 8 + k];
    if (id === NO_TOKEN) break;
    const logit = bitsToFloat(words[o + 18 + k]);
    top.push({ id, logit, prob: Math.exp(logit - lse) });
  }
  return {
    max: bitsToFloat(words[o]),
    lse,
    entropy: bitsToFloat(words[o + 2]),
    argmax: words[o + 3] === NO_TOKEN ? null : words[o + 3],
    invalidCount: words[o + 4],
    finiteCount: words[o + 5],
    top,
  };
}

export interface RowDecision {
  /** Key of the final threshold (max of the three); NO_TOKEN when nothing can be kept. */
  thresholdKey: number;
  topKKey: number;
  topPKey: number;
  minPKey: number;
  /** Fixed-point mass of the top-k survivors (top-p's 100%), 0 when top-p is off. */
  topPTotal: number;
  topPNeeded: number;
  keptCount: number;
  keptMass: number;
}

export function parseDecision(words: Uint32Array, row: number): RowDecision {
  const o = row * DECISION_WORDS;
  return {
    thresholdKey: words[o],
    topKKey: words[o + 1],
    topPKey: words[o + 2],
    minPKey: words[o + 3],
    topPTotal: words[o + 4],
    topPNeeded: words[o + 5],
    keptCount: words[o + 6],
    keptMass: words[o + 7],
  };
}
