// Causal prefill attention, tiled, with online softmax, after Dao, Fu, Ermon, Rudra and Ré,
// "FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness" (NeurIPS 2022),
// Algorithm 1 (forward pass). The [queries, keys] score matrix is never materialised: a workgroup
// owns QUERY_TILE queries of one head, keeps them in workgroup memory, and streams the visible keys
// through workgroup memory KEY_TILE at a time. For each query row it keeps a running max m, a
// running sum l and an unnormalised accumulator a (headDim values). Per key tile j with scores
// s_j = scale * q . k_j (masked keys excluded):
//   m'  = max(m, max_j s_j)
//   l'  = exp(m - m') * l + sum_j exp(s_j - m')
//   a'  = exp(m - m') * a + sum_j exp(s_j - m') * v_j
// starting from m = -inf (NO_SCORE here), l = 0, a = 0; the output is O = a / l. Every exp argument
// is <= 0, so scores of any magnitude cannot overflow. Where we interpret the paper: it tiles for
// SRAM size on a CUDA GPU; here tiles are sized for maxComputeWorkgroupStorageSize (32 KiB), and
// the causal mask skips whole key tiles past the tile's last query (its Algorithm 1 has no mask).
//
// Threads: LANES (4) per query row. In the score phase lane c computes the scores of keys c,
// c + LANES, ...; in the update phase the row's lanes each redo the row max and exps (4 lanes are
// one SIMD group on SwiftShader, so the repeat costs no extra instructions there) and own the
// output columns of 4 dims lane, lane + LANES, ... Tiles hold vec4 columns (headDim padded with
// zeros to a multiple of 4) so dot products and updates run 4 dims per instruction.
#include "attention-common.wgsl"

@group(0) @binding(0) var<storage, read> query: array<f32>;
@group(0) @binding(1) var<storage, read> keyCache: array<f32>;
@group(0) @binding(2) var<storage, read> valueCache: array<f32>;
@group(0) @binding(3) var<storage, read_write> output: array<f32>;
@group(0) @binding(4) var<uniform> params: AttentionParams;

const LANES: u32 = 4u;
const MAX_COLUMNS_PER_LANE: u32 = MAX_HEAD_DIM / 4u / LANES;

override QUERY_TILE: u32 = 16u;
override KEY_TILE: u32 = 32u;
// Largest headDim this pipeline serves (64 or 128): sizes the tiles, so small heads get more keys.
override HEAD_DIM_CAPACITY: u32 = 128u;
override COLUMNS_PER_LANE: u32 = HEAD_DIM_CAPACITY / 4u / LANES;
override WORKGROUP_SIZE: u32 = QUERY_TILE * LANES;
// Rows are padded by one vec4 so lanes reading different rows at one column hit different banks.
override ROW_STRIDE: u32 = HEAD_DIM_CAPACITY / 4u + 1u;
override QUERY_TILE_COLUMNS: u32 = QUERY_TILE * ROW_STRIDE;
override KEY_TILE_COLUMNS: u32 = KEY_TILE * ROW_STRIDE;
override SCORE_TILE_FLOATS: u32 = QUERY_TILE * KEY_TILE;

var<workgroup> queryTile: array<vec4<f32>, QUERY_TILE_COLUMNS>;
var<workgroup> keyTile: array<vec4<f32>, KEY_TILE_COLUMNS>;
var<workgroup> valueTile: array<vec4<f32>, KEY_TILE_COLUMNS>;
var<workgroup> scoreTile: array<f32, SCORE_TILE_FLOATS>;

// Dims 4c .. 4c + 3 of the row starting at `at`, zero past headDim (which is even, so a partial
// column holds exactly two dims). One function per buffer: storage pointers as parameters need
// a newer WGSL language feature than we want to require.
fn queryColumn(at: u32, c: u32, headDim: u32) -> vec4<f32> {
  let d = at + 4u * c;
  if (4u * c + 4u <= headDim) { return vec4<f32>(query[d], query[d + 1u], query[d + 2u], query[d + 3u]); }
  return vec4<f32>(query[d], query[d + 1u], 0.0, 0.0);
}

fn keyColumn(at: u32, c: u32, headDim: u32) -> vec4<f32> {
  let d = at + 4u * c;
  if (4u * c + 4u <= headDim) { return vec4<f32>(keyCache[d], keyCache[d + 1u], keyCache[d + 2u], keyCache[d + 3u]); }
  return vec4<f32>(keyCache[d], keyCache[d + 1u], 0.0, 0.0);
}

fn valueColumn(at: u32, c: u32, headDim: u32) -> vec4<f32> {
  let d = at + 4u * c;
  if (4u * c + 4u <= headDim) {
    return vec4<f32>(valueCache[d], valueCache[d + 1u], valueCache[d + 2u], valueCache[d + 3u]);
  }
  return vec4<f32>(valueCache[d], valueCache[d + 1u], 0.0, 0.0);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn prefill(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let p = params;
  let head = wid.y;
  let kvHead = head / p.groupSize;
  let headDim = p.headDim;
  let columns = (headDim + 3u) / 4u;
  let positionStride = p.numKvHeads * headDim;
  let firstQuery = wid.x * QUERY_TILE;
  let rowsHere = min(QUERY_TILE, p.queries - firstQuery);
  // No query of this tile sees a key past its last query's position.
  let keyEnd = causalLimit(p, firstQuery + rowsHere - 1u) + 1u;

  for (var e = tid; e < rowsHere * columns; e += WORKGROUP_SIZE) {
    let r = e / columns;
    let c = e - r * columns;
    queryTile[r * ROW_STRIDE + c] = queryColumn(queryIndex(p, firstQuery + r, head), c, headDim) * p.scale;
  }

  let row = tid / LANES;
  let lane = tid % LANES;
  let rowValid = row < rowsHere;
  let limit = causalLimit(p, firstQuery + min(row, rowsHere - 1u));
  let qBase = row * ROW_STRIDE;
  var m = NO_SCORE;
  var l = 0.0;
  var acc: array<vec4<f32>, MAX_COLUMNS_PER_LANE>;

  for (var keyStart = 0u; keyStart < keyEnd; keyStart += KEY_TILE) {
    let keysHere = min(KEY_TILE, keyEnd - keyStart);
    workgroupBarrier();  // the previous tile is consumed (first pass: the query tile is written)
    let first = cacheIndex(p, keyStart, kvHead);
    for (var e = tid; e < keysHere * columns; e += WORKGROUP_SIZE) {
      let r = e / columns;
      let c = e - r * columns;
      let at = first + r * positionStride;
      keyTile[r * ROW_STRIDE + c] = keyColumn(at, c, headDim);
      valueTile[r * ROW_STRIDE + c] = valueColumn(at, c, headDim);
    }
    workgroupBarrier();

    for (var k = lane; k < keysHere; k += LANES) {
      var s = NO_SCORE;
      if (rowValid && keyStart + k <= limit) {
        var dot4 = vec4<f32>(0.0);
        let kBase = k * ROW_STRIDE;
        for (var c = 0u; c < columns; c++) { dot4 += queryTile[qBase + c] * keyTile[kBase + c]; }
        s = dot4.x + dot4.y + dot4.z + dot4.w;
      }
      scoreTile[row * KEY_TILE + k] = s;
    }
    workgroupBarrier();

    var tileMax = NO_SCORE;
    for (var k = 0u; k < keysHere; k++) { tileMax = max(tileMax, scoreTile[row * KEY_TILE + k]); }
    let mNew = max(m, tileMax);
    let alpha = exp(m - mNew);
    l *= alpha;
    for (var i = 0u; i < COLUMNS_PER_LANE; i++) { acc[i] *= alpha; }
    for (var k = 0u; k < keysHere; k++) {
      let weight = exp(scoreTile[row * KEY_TILE + k] - mNew);
      l += weight;
      let vBase = k * ROW_STRIDE + lane;
      for (var i = 0u; i < COLUMNS_PER_LANE; i++) { acc[i] += weight * valueTile[vBase + i * LANES]; }
    }
    m = mNew;
  }

  if (rowValid) {
    let out = outputIndex(p, firstQuery + row, head);
    let inverse = 1.0 / l;
    for (var i = 0u; i < COLUMNS_PER_LANE; i++) {
      let d = 4u * (lane + i * LANES);
      let o = acc[i] * inverse;
      for (var j = 0u; j < 4u; j++) {
        if (d + j < headDim) { output[out + d + j] = o[j]; }
      }
    }
  }
}
