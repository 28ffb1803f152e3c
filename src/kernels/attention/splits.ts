// How decode attention splits the key axis (shaders/attention-decode.wgsl). Pure: no GPU.
//
// With one query and a long cache there are only numHeads (query, head) rows, far fewer
// workgroups than a GPU has compute units, so flash-decoding also parallelises over keys. The
// split count is the smallest of
//   - occupancy: ceil(targetWorkgroups / (queries * numHeads)) -- enough workgroups to fill a GPU
//     (256: a few per compute unit on current desktop GPUs), no more;
//   - length: floor(keys / minKeysPerSplit) -- a split that short spends more on its launch, the
//     query load and its partial record than on its keys (64: one key per thread of the split);
//   - maxSplits: bounds the merge, which reads every split's record per output (64);
// and at least 1. Splits then get ceil(keys / splits) keys each, and the count is recomputed from
// that size, so no split starts past the last key (queries earlier than the last still see empty
// splits past their causal limit; those weigh exactly 0 in the merge).
//
// A software (fallback) adapter such as SwiftShader runs workgroups on a few CPU threads, so more
// workgroups only add per-workgroup cost: there the occupancy target is 4 per CPU thread. Measured
// on SwiftShader with 2 threads (Tq = 1, 12 heads x 64, L = 1024): 1 split 7.7 ms, 16 splits
// 11.4 ms, the naive kernel 7.9 ms.

export interface DecodeSplitTuning {
  targetWorkgroups: number;
  minKeysPerSplit: number;
  maxSplits: number;
}

export const DECODE_SPLIT_TUNING: DecodeSplitTuning = {
  targetWorkgroups: 256,
  minKeysPerSplit: 64,
  maxSplits: 64,
};

/** Tuning for an adapter: DECODE_SPLIT_TUNING on GPUs, 4 workgroups per CPU thread on software adapters. */
export function decodeSplitTuningFor(isFallbackAdapter: boolean, cpuThreads: number): DecodeSplitTuning {
  if (!isFallbackAdapter) return DECODE_SPLIT_TUNING;
  return { ...DECODE_SPLIT_TUNING, targetWorkgroups: 4 * Math.max(1, cpuThreads) };
}

/** The decode kernel handles up to this many queries; the Attention facade uses prefill above it. */
export const DECODE_MAX_QUERIES = 16;

export interface DecodeSplitPlan {
  splits: number;
  /** Keys per split; the last split may hold fewer. */
  splitSize: number;
}

/** The split count the tuning above chooses for (keys, queries, numHeads). */
export function chooseDecodeSplits(
  keys: number,
  queries: number,
  numHeads: number,
  tuning: DecodeSplitTuning = DECODE_SPLIT_TUNING,
): number {
  const byOccupancy = Math.ceil(tuning.targetWorkgroups / (queries * numHeads));
  const byLength = Math.floor(keys / tuning.minKeysPerSplit);
  return Math.max(1, Math.min(byOccupancy, byLength, tuning.maxSplits));
}

/** Split size and the count that actually holds keys, for a requested count (1..keys). */
export function planDecodeSplits(keys: number, requestedSplits: number): DecodeSplitPlan {
  const splitSize = Math.ceil(keys / requestedSplits);
  return { splits: Math.ceil(keys / splitSize), splitSize };
}
