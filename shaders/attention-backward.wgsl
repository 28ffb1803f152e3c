// Causal attention backward with grouped-query heads for a batch of B whole sequences of T tokens
// (src/kernels/attention-backward/; spec src/kernels/attention-backward/reference.ts).
// Q, dO, dQ [B, T, H, D]; K, V, dK, dV [B, T, Hkv, D]; head h reads kv head h / (H / Hkv);
// workgroup_id.z is the sequence, and sequences never see each other.
//
//   P  = softmax(Q K^T * scale + causal mask)        recomputed here, never stored ([T, T] per head)
//   dV = P^T dO        dP = dO V^T
//   dS = P * (dP - delta),  delta_i = rowsum(dO * O)_i = sum_j P_ij dP_ij   (so O is not needed)
//   dQ = dS K * scale  dK = dS^T Q * scale          (dK, dV summed over the heads of a kv group)
//
// Two passes, as FlashAttention-2's backward (Dao, 2023) without its tiling of Q: a query pass
// writes lse_i, delta_i (rowStats, [B, T, H, 2]) and dQ_i; a key/value pass writes dK_j and dV_j,
// recomputing P_ij = exp(s_ij - lse_i) and dS_ij from rowStats, heads of the group in order,
// queries ascending. Each pass comes in two shapes (attention-backward.ts picks one per call):
//   workgroup per row (attentionBackwardQuery / attentionBackwardKeyValue): one workgroup per
//     (query i or key j, head, sequence), the key or query loop split over its threads and summed
//     through workgroup memory; any D, and the most parallel (long sequences).
//   invocation per row (attentionBackwardQueryRows / attentionBackwardKeyValueRows): one invocation
//     per (row, head, sequence) running the whole loop alone, four keys (or queries) per step, with
//     no workgroup memory and no barriers; D a multiple of 4 (rows are read as vec4). On short
//     sequences a row is too little work to split: the barriers cost more than the arithmetic.
// Every sum has a fixed order (no atomics): the same inputs give the same bits.

struct BackwardParams {
  tokens: u32,
  heads: u32,
  kvHeads: u32,
  headDim: u32,
  groupSize: u32,
  scale: f32,
  _pad0: u32,
  _pad1: u32,
}

override WORKGROUP_SIZE: u32 = 64u;   // a power of two; threads of a row, or rows per workgroup
const MAX_HEAD_DIM = 128u;
const LOWEST = -0x1.fffffep+127f;   // the most negative f32; scores are finite

@group(0) @binding(0) var<storage, read> queryIn: array<f32>;
@group(0) @binding(1) var<storage, read> keyIn: array<f32>;
@group(0) @binding(2) var<storage, read> valueIn: array<f32>;
@group(0) @binding(3) var<storage, read> outputGrad: array<f32>;
@group(0) @binding(4) var<storage, read_write> queryGrad: array<f32>;
@group(0) @binding(5) var<storage, read_write> rowStatsOut: array<f32>;
@group(0) @binding(6) var<uniform> queryParams: BackwardParams;

@group(0) @binding(4) var<storage, read> rowStatsIn: array<f32>;
@group(0) @binding(5) var<storage, read_write> keyGrad: array<f32>;
@group(0) @binding(6) var<storage, read_write> valueGrad: array<f32>;
@group(0) @binding(7) var<uniform> keyValueParams: BackwardParams;

// ---- Workgroup per row -----------------------------------------------------------------------

var<workgroup> rowA: array<f32, MAX_HEAD_DIM>;      // q_i (query pass) or k_j (key/value pass)
var<workgroup> rowB: array<f32, MAX_HEAD_DIM>;      // dO_i or v_j
var<workgroup> accumulatorA: array<f32, MAX_HEAD_DIM>;   // entry d owned by thread d % WORKGROUP_SIZE
var<workgroup> accumulatorB: array<f32, MAX_HEAD_DIM>;
var<workgroup> tileA: array<f32, WORKGROUP_SIZE>;
var<workgroup> tileB: array<f32, WORKGROUP_SIZE>;
var<workgroup> scratch: array<f32, WORKGROUP_SIZE>;

fn reduceSum(value: f32, t: u32) -> f32 {
  scratch[t] = value;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { scratch[t] += scratch[t + stride]; }
    workgroupBarrier();
  }
  let total = scratch[0];
  workgroupBarrier();
  return total;
}

fn reduceMax(value: f32, t: u32) -> f32 {
  scratch[t] = value;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { scratch[t] = max(scratch[t], scratch[t + stride]); }
    workgroupBarrier();
  }
  let total = scratch[0];
  workgroupBarrier();
  return total;
}

// rowA . keyIn[base ..], rowB . valueIn[base ..]
fn dotKey(base: u32, dim: u32) -> f32 {
  var sum = 0.0;
  for (var d = 0u; d < dim; d++) { sum += rowA[d] * keyIn[base + d]; }
  return sum;
}

fn dotValue(base: u32, dim: u32) -> f32 {
  var sum = 0.0;
  for (var d = 0u; d < dim; d++) { sum += rowB[d] * valueIn[base + d]; }
  return sum;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn attentionBackwardQuery(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let p = queryParams;
  let t = lid.x;
  let i = wid.x;
  let h = wid.y;
  let dim = p.headDim;
  let kvHead = h / p.groupSize;
  let sequenceRow = wid.z * p.tokens;   // the sequence's first token row in the batch
  let rowBase = ((sequenceRow + i) * p.heads + h) * dim;
  for (var d = t; d < dim; d += WORKGROUP_SIZE) {
    rowA[d] = queryIn[rowBase + d];
    rowB[d] = outputGrad[rowBase + d];
    accumulatorA[d] = 0.0;
  }
  workgroupBarrier();
  let kvStride = p.kvHeads * dim;
  let kvBase = sequenceRow * kvStride + kvHead * dim;

  var largest = LOWEST;
  for (var j = t; j <= i; j += WORKGROUP_SIZE) { largest = max(largest, dotKey(j * kvStride + kvBase, dim) * p.scale); }
  let rowMax = reduceMax(largest, t);
  var sum = 0.0;
  for (var j = t; j <= i; j += WORKGROUP_SIZE) { sum += exp(dotKey(j * kvStride + kvBase, dim) * p.scale - rowMax); }
  let lse = rowMax + log(reduceSum(sum, t));
  var weighted = 0.0;
  for (var j = t; j <= i; j += WORKGROUP_SIZE) {
    let base = j * kvStride + kvBase;
    weighted += exp(dotKey(base, dim) * p.scale - lse) * dotValue(base, dim);
  }
  let delta = reduceSum(weighted, t);

  for (var chunk = 0u; chunk <= i; chunk += WORKGROUP_SIZE) {
    let j = chunk + t;
    var ds = 0.0;
    if (j <= i) {
      let base = j * kvStride + kvBase;
      ds = exp(dotKey(base, dim) * p.scale - lse) * (dotValue(base, dim) - delta);
    }
    tileA[t] = ds;
    workgroupBarrier();
    let count = min(WORKGROUP_SIZE, i + 1u - chunk);
    for (var d = t; d < dim; d += WORKGROUP_SIZE) {
      var acc = accumulatorA[d];
      for (var u = 0u; u < count; u++) { acc += tileA[u] * keyIn[(chunk + u) * kvStride + kvBase + d]; }
      accumulatorA[d] = acc;
    }
    workgroupBarrier();
  }
  for (var d = t; d < dim; d += WORKGROUP_SIZE) { queryGrad[rowBase + d] = accumulatorA[d] * p.scale; }
  if (t == 0u) {
    rowStatsOut[((sequenceRow + i) * p.heads + h) * 2u] = lse;
    rowStatsOut[((sequenceRow + i) * p.heads + h) * 2u + 1u] = delta;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn attentionBackwardKeyValue(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let p = keyValueParams;
  let t = lid.x;
  let j = wid.x;
  let kvHead = wid.y;
  let dim = p.headDim;
  let sequenceRow = wid.z * p.tokens;
  let kvRow = ((sequenceRow + j) * p.kvHeads + kvHead) * dim;
  for (var d = t; d < dim; d += WORKGROUP_SIZE) {
    rowA[d] = keyIn[kvRow + d];
    rowB[d] = valueIn[kvRow + d];
    accumulatorA[d] = 0.0;
    accumulatorB[d] = 0.0;
  }
  workgroupBarrier();
  let rowStride = p.heads * dim;
  for (var g = 0u; g < p.groupSize; g++) {
    let h = kvHead * p.groupSize + g;
    for (var chunk = j; chunk < p.tokens; chunk += WORKGROUP_SIZE) {
      let i = chunk + t;
      var probability = 0.0;
      var ds = 0.0;
      if (i < p.tokens) {
        let base = (sequenceRow + i) * rowStride + h * dim;
        var score = 0.0;
        var dp = 0.0;
        for (var d = 0u; d < dim; d++) {
          score += queryIn[base + d] * rowA[d];
          dp += outputGrad[base + d] * rowB[d];
        }
        let stats = ((sequenceRow + i) * p.heads + h) * 2u;
        probability = exp(score * p.scale - rowStatsIn[stats]);
        ds = probability * (dp - rowStatsIn[stats + 1u]);
      }
      tileA[t] = probability;
      tileB[t] = ds;
      workgroupBarrier();
      let count = min(WORKGROUP_SIZE, p.tokens - chunk);
      for (var d = t; d < dim; d += WORKGROUP_SIZE) {
        var dv = accumulatorB[d];
        var dk = accumulatorA[d];
        for (var u = 0u; u < count; u++) {
          let index = (sequenceRow + chunk + u) * rowStride + h * dim + d;
          dv += tileA[u] * outputGrad[index];
          dk += tileB[u] * queryIn[index];
        }
        accumulatorB[d] = dv;
        accumulatorA[d] = dk;
      }
      workgroupBarrier();
    }
  }
  for (var d = t; d < dim; d += WORKGROUP_SIZE) {
    keyGrad[kvRow + d] = accumulatorA[d] * p.scale;
    valueGrad[kvRow + d] = accumulatorB[d];
  }
}

// ---- Invocation per row ----------------------------------------------------------------------
// The same buffers read as vec4 (D % 4 == 0, so every row starts on a vec4); indices below are
// in vec4 units. Slot i * H + h (or j * Hkv + g): the heads of one token are neighbouring
// invocations, so a SIMD group shares its loop bounds.

@group(0) @binding(0) var<storage, read> query4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> key4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> value4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> outputGrad4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> queryGrad4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> keyGrad4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> valueGrad4: array<vec4<f32>>;

struct Products {
  scores: vec4<f32>,      // q . k, unscaled
  gradients: vec4<f32>,   // dO . v = dP
}

// q . k and dO . v of one query row against four key rows (offsets in vec4 units).
fn queryProducts(query: u32, keys: vec4<u32>, dim4: u32) -> Products {
  var scores = vec4<f32>();
  var gradients = vec4<f32>();
  for (var d = 0u; d < dim4; d++) {
    let q = query4[query + d];
    let o = outputGrad4[query + d];
    scores += vec4<f32>(
      dot(q, key4[keys.x + d]),
      dot(q, key4[keys.y + d]),
      dot(q, key4[keys.z + d]),
      dot(q, key4[keys.w + d]),
    );
    gradients += vec4<f32>(
      dot(o, value4[keys.x + d]),
      dot(o, value4[keys.y + d]),
      dot(o, value4[keys.z + d]),
      dot(o, value4[keys.w + d]),
    );
  }
  return Products(scores, gradients);
}

// The same sums in the same order for four query rows against one key row, so a (query, key)
// pair's score and dP carry the same bits in both passes (with one key, dP - delta is then exactly
// 0 and so are dQ and dK, as in the reference).
fn keyProducts(queries: vec4<u32>, key: u32, dim4: u32) -> Products {
  var scores = vec4<f32>();
  var gradients = vec4<f32>();
  for (var d = 0u; d < dim4; d++) {
    let k = key4[key + d];
    let v = value4[key + d];
    scores += vec4<f32>(
      dot(query4[queries.x + d], k),
      dot(query4[queries.y + d], k),
      dot(query4[queries.z + d], k),
      dot(query4[queries.w + d], k),
    );
    gradients += vec4<f32>(
      dot(outputGrad4[queries.x + d], v),
      dot(outputGrad4[queries.y + d], v),
      dot(outputGrad4[queries.z + d], v),
      dot(outputGrad4[queries.w + d], v),
    );
  }
  return Products(scores, gradients);
}

// Four steps from `first`, clamped to `last` (repeated rows are masked out by the caller).
fn fourFrom(first: u32, last: u32) -> vec4<u32> {
  return min(vec4<u32>(first) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(last));
}

fn fourValid(first: u32, last: u32) -> vec4<bool> {
  return vec4<u32>(first) + vec4<u32>(0u, 1u, 2u, 3u) <= vec4<u32>(last);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn attentionBackwardQueryRows(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let p = queryParams;
  let slot = wid.x * WORKGROUP_SIZE + lid.x;   // i * H + h
  if (slot >= p.tokens * p.heads) { return; }
  let i = slot / p.heads;
  let h = slot % p.heads;
  let dim4 = p.headDim / 4u;
  let sequenceRow = wid.z * p.tokens;
  let row = (sequenceRow * p.heads + slot) * dim4;
  let kvStride = p.kvHeads * dim4;
  let kvBase = sequenceRow * kvStride + (h / p.groupSize) * dim4;

  // One sweep with a running max (online softmax, Milakov & Gimelshein 2018): total =
  // sum_j exp(s_j - largest) and weighted = sum_j exp(s_j - largest) dP_j, rescaled whenever the
  // max grows; then lse = largest + log(total) and delta = sum_j P_ij dP_ij = weighted / total.
  var largest = LOWEST;
  var total = 0.0;
  var weighted = 0.0;
  for (var j = 0u; j <= i; j += 4u) {
    let products = queryProducts(row, kvBase + fourFrom(j, i) * kvStride, dim4);
    let scores = products.scores * p.scale;
    let next = max(largest, max(max(scores.x, scores.y), max(scores.z, scores.w)));
    let rescale = exp(largest - next);
    let weights = select(vec4<f32>(), exp(scores - next), fourValid(j, i));
    total = total * rescale + dot(weights, vec4<f32>(1.0));
    weighted = weighted * rescale + dot(weights, products.gradients);
    largest = next;
  }
  let lse = largest + log(total);
  let delta = weighted / total;

  // dQ_i accumulates in the output row itself: a private row array is no faster on SwiftShader.
  for (var d = 0u; d < dim4; d++) { queryGrad4[row + d] = vec4<f32>(); }
  for (var j = 0u; j <= i; j += 4u) {
    let keys = kvBase + fourFrom(j, i) * kvStride;
    let products = queryProducts(row, keys, dim4);
    let probabilities = exp(products.scores * p.scale - lse);
    let ds = select(vec4<f32>(), probabilities * (products.gradients - delta) * p.scale, fourValid(j, i));
    for (var d = 0u; d < dim4; d++) {
      queryGrad4[row + d] += ds.x * key4[keys.x + d] + ds.y * key4[keys.y + d] + ds.z * key4[keys.z + d] +
        ds.w * key4[keys.w + d];
    }
  }
  rowStatsOut[(sequenceRow * p.heads + slot) * 2u] = lse;
  rowStatsOut[(sequenceRow * p.heads + slot) * 2u + 1u] = delta;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn attentionBackwardKeyValueRows(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let p = keyValueParams;
  let slot = wid.x * WORKGROUP_SIZE + lid.x;   // j * Hkv + kv head
  if (slot >= p.tokens * p.kvHeads) { return; }
  let j = slot / p.kvHeads;
  let kvHead = slot % p.kvHeads;
  let dim4 = p.headDim / 4u;
  let sequenceRow = wid.z * p.tokens;
  let kvRow = (sequenceRow * p.kvHeads + slot) * dim4;
  let last = p.tokens - 1u;
  for (var d = 0u; d < dim4; d++) {
    keyGrad4[kvRow + d] = vec4<f32>();
    valueGrad4[kvRow + d] = vec4<f32>();
  }
  for (var g = 0u; g < p.groupSize; g++) {
    let h = kvHead * p.groupSize + g;
    for (var i = j; i <= last; i += 4u) {
      let statsRows = (sequenceRow + fourFrom(i, last)) * p.heads + h;   // (token, head) of each query
      let queries = statsRows * dim4;
      let products = keyProducts(queries, kvRow, dim4);
      let stats = statsRows * 2u;
      let lse = vec4<f32>(rowStatsIn[stats.x], rowStatsIn[stats.y], rowStatsIn[stats.z], rowStatsIn[stats.w]);
      let delta = vec4<f32>(
        rowStatsIn[stats.x + 1u],
        rowStatsIn[stats.y + 1u],
        rowStatsIn[stats.z + 1u],
        rowStatsIn[stats.w + 1u],
      );
      let probabilities = select(vec4<f32>(), exp(products.scores * p.scale - lse), fourValid(i, last));
      let ds = probabilities * (products.gradients - delta) * p.scale;
      for (var d = 0u; d < dim4; d++) {
        keyGrad4[kvRow + d] += ds.x * query4[queries.x + d] + ds.y * query4[queries.y + d] +
          ds.z * query4[queries.z + d] + ds.w * query4[queries.w + d];
        valueGrad4[kvRow + d] += probabilities.x * outputGrad4[queries.x + d] +
          probabilities.y * outputGrad4[queries.y + d] + probabilities.z * outputGrad4[queries.z + d] +
          probabilities.w * outputGrad4[queries.w + d];
      }
    }
  }
}
