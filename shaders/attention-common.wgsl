// Shared by the attention kernels (attention-prefill, attention-decode, attention-naive,
// attention-probabilities): the uniform block and the tensor indexing. Spec and validation:
// src/kernels/attention/reference.ts and shape.ts. All tensors are f32, row-major:
//   Q, O       [queries, numHeads, headDim]    from element queryOffset / outputOffset
//   K, V cache [capacity, numKvHeads, headDim] from element cacheOffset (both buffers)
// Query t sits at absolute position keys - queries + t and attends to keys 0 ..= that position.
// Head h reads kv head h / groupSize (grouped-query attention; groupSize = numHeads / numKvHeads).

struct AttentionParams {
  queries: u32,       // Tq, the new tokens of this sequence
  keys: u32,          // L, valid cache positions (the new tokens are the last Tq of them)
  numHeads: u32,
  numKvHeads: u32,
  headDim: u32,
  cacheOffset: u32,
  queryOffset: u32,
  outputOffset: u32,
  scale: f32,         // softmax scale, 1/sqrt(headDim) unless the caller overrides it
  splits: u32,        // decode: key splits per (query, head)
  splitSize: u32,     // decode: keys per split (the last split may be shorter)
  captureHead: u32,   // probabilities: the head to capture
  groupSize: u32,     // numHeads / numKvHeads
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

const MAX_HEAD_DIM: u32 = 128u;

// The score of a masked key (or the running max before any key). Finite on purpose: with any
// finite running max m, exp(NO_SCORE - m) is exactly 0 and NO_SCORE - NO_SCORE is 0, never NaN.
const NO_SCORE: f32 = -3.0e38;

fn queryIndex(p: AttentionParams, t: u32, head: u32) -> u32 {
  return p.queryOffset + (t * p.numHeads + head) * p.headDim;
}

fn outputIndex(p: AttentionParams, t: u32, head: u32) -> u32 {
  return p.outputOffset + (t * p.numHeads + head) * p.headDim;
}

fn cacheIndex(p: AttentionParams, position: u32, kvHead: u32) -> u32 {
  return p.cacheOffset + (position * p.numKvHeads + kvHead) * p.headDim;
}

// The last key query t may attend to (its own absolute position).
fn causalLimit(p: AttentionParams, t: u32) -> u32 {
  return p.keys - p.queries + t;
}
