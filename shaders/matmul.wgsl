// Matrix multiply of the transformer engine (src/kernels/matmul/), f32, row-major:
//
//   Y[m, n] = (accumulate ? Y[m, n] : 0) + act(sum_k X[m, k] W(k, n) + bias[n])
//
// X is [M, K]. W(k, n) is W[k, n] for layout "kn" (GPT-2 Conv1D, [K, N]) and W[n, k] for "nk"
// (nn.Linear and the tied head logits = h E^T, [N, K]). act is identity or GELU (tanh form).
// One dispatch covers one weight chunk: the output columns chunkStart .. chunkStart + chunkColumns
// of Y (row stride `columns` = N); the chunk buffer holds only those columns of W ("nk": rows
// chunkStart.. of [N, K]; "kn": a [K, chunkColumns] matrix). Spec: src/kernels/matmul/reference.ts.
//
// Two paths (chosen on the CPU by M):
//   tiled*  M > 16: 64 x 64 output tiles, 16 x 16 threads with 4 x 4 outputs each, K in steps of
//           32 through workgroup memory (tiles stored k-major as vec4).
//   gemv*   M <= 16 (decoding): no workgroup memory or barriers; each thread owns 4 output columns
//           and ROW_BLOCK rows (1 for M = 1, else 4) and streams its part of W once per row block
//           (the cost is reading W: 545 MB for Qwen2.5's f32 head). "4" variants load vec4:
//           nk4 needs K % 4 == 0, kn4 chunkColumns % 4 == 0; "1" variants load scalars.
// Accumulators are named vec4 variables, never dynamically indexed private arrays (software
// adapters keep those in memory: 2-4x slower), and are zero-initialised explicitly: a
// `var acc: RowBlock;` declared inside the row-block loop was not reset between iterations on
// SwiftShader (M > 4 came out wrong), although WGSL zero-initialises it on every execution.
// f16-weight variants of both paths: shaders/matmul-f16.wgsl, which includes this file.
#include "activation.wgsl"

struct MatmulParams {
  rows: u32,          // M
  inner: u32,         // K
  columns: u32,       // N, the row stride of Y
  chunkStart: u32,    // first output column of this chunk
  chunkColumns: u32,  // output columns in this chunk
  flags: u32,         // FLAG_* below
  _pad0: u32,
  _pad1: u32,
}

const FLAG_BIAS: u32 = 1u;
const FLAG_GELU: u32 = 2u;
const FLAG_ACCUMULATE: u32 = 4u;

@group(0) @binding(0) var<storage, read> matX: array<f32>;
@group(0) @binding(0) var<storage, read> matX4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> matW: array<f32>;
@group(0) @binding(1) var<storage, read> matW4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> matBias: array<f32>;   // [N]; a dummy without FLAG_BIAS
@group(0) @binding(3) var<storage, read_write> matY: array<f32>;
@group(0) @binding(4) var<uniform> matParams: MatmulParams;

fn storeOutput(m: u32, localColumn: u32, sum: f32) {
  let n = matParams.chunkStart + localColumn;
  let flags = matParams.flags;
  var value = sum;
  if ((flags & FLAG_BIAS) != 0u) { value += matBias[n]; }
  if ((flags & FLAG_GELU) != 0u) { value = geluTanh(value); }
  let index = m * matParams.columns + n;
  if ((flags & FLAG_ACCUMULATE) != 0u) { value += matY[index]; }
  matY[index] = value;
}

// ---- tiled path ----
// Tiles are stored k-major as vec4 of 4 consecutive rows (X) or columns (W), so the inner loop
// reads two vec4 per 16 multiply-adds. Thread (tx, ty) owns rows 4 ty .. 4 ty + 3 and columns
// 4 tx .. 4 tx + 3 of the 64 x 64 tile.
const TILE_M: u32 = 64u;
const TILE_N: u32 = 64u;
const TILE_K: u32 = 32u;
const TILE_THREADS: u32 = 256u;

var<workgroup> tileX: array<vec4<f32>, TILE_K * TILE_M / 4u>;   // tileX[k * 16 + m / 4][m % 4]
var<workgroup> tileW: array<vec4<f32>, TILE_K * TILE_N / 4u>;   // tileW[k * 16 + n / 4][n % 4]

fn loadTileX(m0: u32, k0: u32, thread: u32) {
  for (var e = thread; e < TILE_M * TILE_K; e += TILE_THREADS) {
    let r = e / TILE_K;
    let c = e % TILE_K;
    let m = m0 + r;
    let k = k0 + c;
    var v = 0.0;
    if (m < matParams.rows && k < matParams.inner) { v = matX[m * matParams.inner + k]; }
    tileX[c * (TILE_M / 4u) + r / 4u][r % 4u] = v;
  }
}

// "kn": consecutive threads read consecutive n of one row k.
fn loadTileWKn(n0: u32, k0: u32, thread: u32) {
  for (var e = thread; e < TILE_N * TILE_K; e += TILE_THREADS) {
    let r = e / TILE_N;
    let c = e % TILE_N;
    let k = k0 + r;
    let n = n0 + c;
    var v = 0.0;
    if (k < matParams.inner && n < matParams.chunkColumns) { v = matW[k * matParams.chunkColumns + n]; }
    tileW[r * (TILE_N / 4u) + c / 4u][c % 4u] = v;
  }
}

// "nk": consecutive threads read consecutive k of one row n.
fn loadTileWNk(n0: u32, k0: u32, thread: u32) {
  for (var e = thread; e < TILE_N * TILE_K; e += TILE_THREADS) {
    let c = e / TILE_K;
    let r = e % TILE_K;
    let k = k0 + r;
    let n = n0 + c;
    var v = 0.0;
    if (k < matParams.inner && n < matParams.chunkColumns) { v = matW[n * matParams.inner + k]; }
    tileW[r * (TILE_N / 4u) + c / 4u][c % 4u] = v;
  }
}

struct TileAccumulators { row0: vec4<f32>, row1: vec4<f32>, row2: vec4<f32>, row3: vec4<f32> }

fn multiplyTile(tx: u32, ty: u32, acc: ptr<function, TileAccumulators>) {
  var r0 = (*acc).row0;
  var r1 = (*acc).row1;
  var r2 = (*acc).row2;
  var r3 = (*acc).row3;
  for (var k = 0u; k < TILE_K; k++) {
    let a = tileX[k * (TILE_M / 4u) + ty];
    let b = tileW[k * (TILE_N / 4u) + tx];
    r0 = fma(vec4<f32>(a.x), b, r0);
    r1 = fma(vec4<f32>(a.y), b, r1);
    r2 = fma(vec4<f32>(a.z), b, r2);
    r3 = fma(vec4<f32>(a.w), b, r3);
  }
  *acc = TileAccumulators(r0, r1, r2, r3);
}

fn storeTileRow(m: u32, n: u32, sums: vec4<f32>) {
  if (m >= matParams.rows) { return; }
  for (var j = 0u; j < 4u; j++) {
    if (n + j < matParams.chunkColumns) { storeOutput(m, n + j, sums[j]); }
  }
}

fn storeTile(m0: u32, n0: u32, tx: u32, ty: u32, acc: TileAccumulators) {
  let m = m0 + 4u * ty;
  let n = n0 + 4u * tx;
  storeTileRow(m, n, acc.row0);
  storeTileRow(m + 1u, n, acc.row1);
  storeTileRow(m + 2u, n, acc.row2);
  storeTileRow(m + 3u, n, acc.row3);
}

@compute @workgroup_size(16, 16)
fn tiledKn(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let thread = lid.y * 16u + lid.x;
  let m0 = wid.y * TILE_M;
  let n0 = wid.x * TILE_N;
  var acc = TileAccumulators(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
  for (var k0 = 0u; k0 < matParams.inner; k0 += TILE_K) {
    loadTileX(m0, k0, thread);
    loadTileWKn(n0, k0, thread);
    workgroupBarrier();
    multiplyTile(lid.x, lid.y, &acc);
    workgroupBarrier();
  }
  storeTile(m0, n0, lid.x, lid.y, acc);
}

@compute @workgroup_size(16, 16)
fn tiledNk(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let thread = lid.y * 16u + lid.x;
  let m0 = wid.y * TILE_M;
  let n0 = wid.x * TILE_N;
  var acc = TileAccumulators(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
  for (var k0 = 0u; k0 < matParams.inner; k0 += TILE_K) {
    loadTileX(m0, k0, thread);
    loadTileWNk(n0, k0, thread);
    workgroupBarrier();
    multiplyTile(lid.x, lid.y, &acc);
    workgroupBarrier();
  }
  storeTile(m0, n0, lid.x, lid.y, acc);
}

// ---- GEMV path (M <= 16) ----
// A thread owns 4 output columns and ROW_BLOCK rows at a time (4, or 1 for M = 1), so W is
// streamed ceil(M / ROW_BLOCK) times; rows past M are computed from a clamped row and dropped.
override GEMV_WORKGROUP: u32 = 64u;
override ROW_BLOCK: u32 = 4u;

struct RowBlock { row0: vec4<f32>, row1: vec4<f32>, row2: vec4<f32>, row3: vec4<f32> }

fn storeGemvRow(m: u32, first: u32, sums: vec4<f32>) {
  if (m >= matParams.rows) { return; }
  for (var j = 0u; j < 4u; j++) {
    if (first + j < matParams.chunkColumns) { storeOutput(m, first + j, sums[j]); }
  }
}

fn storeRowBlock(m0: u32, first: u32, acc: RowBlock) {
  storeGemvRow(m0, first, acc.row0);
  if (ROW_BLOCK > 1u) {
    storeGemvRow(m0 + 1u, first, acc.row1);
    storeGemvRow(m0 + 2u, first, acc.row2);
    storeGemvRow(m0 + 3u, first, acc.row3);
  }
}

// The 4 columns a thread owns, clamped to the chunk so loads stay in bounds.
fn ownedColumns(first: u32) -> vec4<u32> {
  return min(vec4<u32>(first) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(matParams.chunkColumns - 1u));
}

// Rows m0 .. m0 + 3 of X, clamped to M, times `stride`.
fn blockRows(m0: u32, stride: u32) -> vec4<u32> {
  return min(vec4<u32>(m0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(matParams.rows - 1u)) * stride;
}

fn dot4(x: vec4<f32>, w0: vec4<f32>, w1: vec4<f32>, w2: vec4<f32>, w3: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(dot(x, w0), dot(x, w1), dot(x, w2), dot(x, w3));
}

@compute @workgroup_size(GEMV_WORKGROUP)
fn gemvNk4(@builtin(global_invocation_id) gid: vec3<u32>) {
  let first = gid.x * 4u;
  if (first >= matParams.chunkColumns) { return; }
  let k4 = matParams.inner / 4u;
  let w = ownedColumns(first) * k4;
  for (var m0 = 0u; m0 < matParams.rows; m0 += ROW_BLOCK) {
    let x = blockRows(m0, k4);
    var acc = RowBlock(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    for (var k = 0u; k < k4; k++) {
      let w0 = matW4[w.x + k];
      let w1 = matW4[w.y + k];
      let w2 = matW4[w.z + k];
      let w3 = matW4[w.w + k];
      acc.row0 += dot4(matX4[x.x + k], w0, w1, w2, w3);
      if (ROW_BLOCK > 1u) {
        acc.row1 += dot4(matX4[x.y + k], w0, w1, w2, w3);
        acc.row2 += dot4(matX4[x.z + k], w0, w1, w2, w3);
        acc.row3 += dot4(matX4[x.w + k], w0, w1, w2, w3);
      }
    }
    storeRowBlock(m0, first, acc);
  }
}

@compute @workgroup_size(GEMV_WORKGROUP)
fn gemvNk1(@builtin(global_invocation_id) gid: vec3<u32>) {
  let first = gid.x * 4u;
  if (first >= matParams.chunkColumns) { return; }
  let inner = matParams.inner;
  let w = ownedColumns(first) * inner;
  for (var m0 = 0u; m0 < matParams.rows; m0 += ROW_BLOCK) {
    let x = blockRows(m0, inner);
    var acc = RowBlock(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    for (var k = 0u; k < inner; k++) {
      let wk = vec4<f32>(matW[w.x + k], matW[w.y + k], matW[w.z + k], matW[w.w + k]);
      acc.row0 = fma(vec4<f32>(matX[x.x + k]), wk, acc.row0);
      if (ROW_BLOCK > 1u) {
        acc.row1 = fma(vec4<f32>(matX[x.y + k]), wk, acc.row1);
        acc.row2 = fma(vec4<f32>(matX[x.z + k]), wk, acc.row2);
        acc.row3 = fma(vec4<f32>(matX[x.w + k]), wk, acc.row3);
      }
    }
    storeRowBlock(m0, first, acc);
  }
}

@compute @workgroup_size(GEMV_WORKGROUP)
fn gemvKn4(@builtin(global_invocation_id) gid: vec3<u32>) {
  let group = gid.x;
  let width4 = matParams.chunkColumns / 4u;
  if (group >= width4) { return; }
  let inner = matParams.inner;
  for (var m0 = 0u; m0 < matParams.rows; m0 += ROW_BLOCK) {
    let x = blockRows(m0, inner);
    var acc = RowBlock(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    for (var k = 0u; k < inner; k++) {
      let wk = matW4[k * width4 + group];
      acc.row0 = fma(vec4<f32>(matX[x.x + k]), wk, acc.row0);
      if (ROW_BLOCK > 1u) {
        acc.row1 = fma(vec4<f32>(matX[x.y + k]), wk, acc.row1);
        acc.row2 = fma(vec4<f32>(matX[x.z + k]), wk, acc.row2);
        acc.row3 = fma(vec4<f32>(matX[x.w + k]), wk, acc.row3);
      }
    }
    storeRowBlock(m0, group * 4u, acc);
  }
}

@compute @workgroup_size(GEMV_WORKGROUP)
fn gemvKn1(@builtin(global_invocation_id) gid: vec3<u32>) {
  let first = gid.x * 4u;
  if (first >= matParams.chunkColumns) { return; }
  let inner = matParams.inner;
  let width = matParams.chunkColumns;
  let columns = ownedColumns(first);
  for (var m0 = 0u; m0 < matParams.rows; m0 += ROW_BLOCK) {
    let x = blockRows(m0, inner);
    var acc = RowBlock(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    for (var k = 0u; k < inner; k++) {
      let row = k * width;
      let wk = vec4<f32>(matW[row + columns.x], matW[row + columns.y], matW[row + columns.z], matW[row + columns.w]);
      acc.row0 = fma(vec4<f32>(matX[x.x + k]), wk, acc.row0);
      if (ROW_BLOCK > 1u) {
        acc.row1 = fma(vec4<f32>(matX[x.y + k]), wk, acc.row1);
        acc.row2 = fma(vec4<f32>(matX[x.z + k]), wk, acc.row2);
        acc.row3 = fma(vec4<f32>(matX[x.w + k]), wk, acc.row3);
      }
    }
    storeRowBlock(m0, first, acc);
  }
}
