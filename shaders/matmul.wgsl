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
//   tiled*  M > 16: TILE_M x 128 output tiles, 8 columns and ROWS_PER_THREAD rows per thread, K in
//           steps of 16 through workgroup memory (tiles stored k-major as vec4); details below.
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
// A workgroup of 16 x TILE_THREAD_ROWS threads owns a TILE_M x 128 tile of Y; thread (x, y) owns
// rows m0 + ROWS_PER_THREAD y + 0 .. ROWS_PER_THREAD - 1 and columns n0 + 8x + 0 .. 7, in named
// vec4 accumulators (leftQ: row Q, columns 0..3; rightQ: columns 4..7). K advances in steps of 16
// through two workgroup tiles (8 KB each at TILE_M = 128) stored k-major as vec4 of 4 consecutive
// rows (X) or columns (W): per k a thread reads 4 vec4 for 64 multiply-adds (8 x 8), or 3 for 32.
// Tile shapes (matmul.ts TILE_SHAPES): 128 x 128 (16 x 16 threads, 8 x 8 each) for M > 64, and
// 32 x 128 (16 x 8 threads, 4 x 8 each) for M <= 64, where a 128-row tile would mostly multiply
// padding. On SwiftShader 8 x 8 per thread ran ~2x faster than the former 4 x 4 (64 x 64 tiles,
// steps of 32), as in shaders/backward-linear.wgsl. Past the edges the tiles hold zeros and
// fma(0, 0, s) = s, so padding never changes a sum: every output is one thread's fma chain over
// k = 0 .. K - 1 in increasing order, the same bits for either tile shape.
override TILE_THREAD_ROWS: u32 = 16u;   // workgroup size in y: 16 or 8
override ROWS_PER_THREAD: u32 = 8u;     // 8 or 4
override TILE_M: u32 = TILE_THREAD_ROWS * ROWS_PER_THREAD;
override TILE_THREADS: u32 = 16u * TILE_THREAD_ROWS;
const TILE_N: u32 = 128u;
const TILE_K: u32 = 16u;
const TILE_M_MAX: u32 = 128u;

// tileX is sized for the 128-row tile; the 32-row tile uses its first quarter.
var<workgroup> tileX: array<vec4<f32>, TILE_K * TILE_M_MAX / 4u>;   // tileX[k * TILE_M / 4 + m / 4][m % 4]
var<workgroup> tileW: array<vec4<f32>, TILE_K * TILE_N / 4u>;       // tileW[k * 32 + n / 4][n % 4]

// The loaders move one scalar per element: 4 consecutive elements per thread (one vec4 load, or
// 4 scalar loads with one bounds check) measured no faster on SwiftShader.
// Consecutive threads read consecutive k of one row of X.
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

struct TileAccumulators {
  left0: vec4<f32>, left1: vec4<f32>, left2: vec4<f32>, left3: vec4<f32>,
  left4: vec4<f32>, left5: vec4<f32>, left6: vec4<f32>, left7: vec4<f32>,
  right0: vec4<f32>, right1: vec4<f32>, right2: vec4<f32>, right3: vec4<f32>,
  right4: vec4<f32>, right5: vec4<f32>, right6: vec4<f32>, right7: vec4<f32>,
}

fn zeroAccumulators() -> TileAccumulators {
  let z = vec4<f32>(0.0);
  return TileAccumulators(z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z);
}

// One step of TILE_K through the loaded tiles. With ROWS_PER_THREAD = 4 the rows 4..7 are
// dead code, removed when the pipeline is compiled with that constant.
fn multiplyTile(tx: u32, ty: u32, acc: ptr<function, TileAccumulators>) {
  var left0 = (*acc).left0;
  var left1 = (*acc).left1;
  var left2 = (*acc).left2;
  var left3 = (*acc).left3;
  var left4 = (*acc).left4;
  var left5 = (*acc).left5;
  var left6 = (*acc).left6;
  var left7 = (*acc).left7;
  var right0 = (*acc).right0;
  var right1 = (*acc).right1;
  var right2 = (*acc).right2;
  var right3 = (*acc).right3;
  var right4 = (*acc).right4;
  var right5 = (*acc).right5;
  var right6 = (*acc).right6;
  var right7 = (*acc).right7;
  let xColumn = (ROWS_PER_THREAD / 4u) * ty;
  for (var k = 0u; k < TILE_K; k++) {
    let a = tileX[k * (TILE_M / 4u) + xColumn];        // X(m0 + ROWS_PER_THREAD y + 0..3, k0 + k)
    let b = tileW[k * (TILE_N / 4u) + 2u * tx];        // W(k0 + k, n0 + 8x + 0..3)
    let bNext = tileW[k * (TILE_N / 4u) + 2u * tx + 1u];  // W(k0 + k, n0 + 8x + 4..7)
    left0 = fma(vec4<f32>(a.x), b, left0);
    right0 = fma(vec4<f32>(a.x), bNext, right0);
    left1 = fma(vec4<f32>(a.y), b, left1);
    right1 = fma(vec4<f32>(a.y), bNext, right1);
    left2 = fma(vec4<f32>(a.z), b, left2);
    right2 = fma(vec4<f32>(a.z), bNext, right2);
    left3 = fma(vec4<f32>(a.w), b, left3);
    right3 = fma(vec4<f32>(a.w), bNext, right3);
    if (ROWS_PER_THREAD > 4u) {
      let aNext = tileX[k * (TILE_M / 4u) + xColumn + 1u];  // X(m0 + 8y + 4..7, k0 + k)
      left4 = fma(vec4<f32>(aNext.x), b, left4);
      right4 = fma(vec4<f32>(aNext.x), bNext, right4);
      left5 = fma(vec4<f32>(aNext.y), b, left5);
      right5 = fma(vec4<f32>(aNext.y), bNext, right5);
      left6 = fma(vec4<f32>(aNext.z), b, left6);
      right6 = fma(vec4<f32>(aNext.z), bNext, right6);
      left7 = fma(vec4<f32>(aNext.w), b, left7);
      right7 = fma(vec4<f32>(aNext.w), bNext, right7);
    }
  }
  *acc = TileAccumulators(
    left0, left1, left2, left3, left4, left5, left6, left7,
    right0, right1, right2, right3, right4, right5, right6, right7,
  );
}

// Y[m, n .. n + 7] from the sums of columns n .. n + 3 (left) and n + 4 .. n + 7 (right).
fn storeTileRow(m: u32, n: u32, left: vec4<f32>, right: vec4<f32>) {
  if (m >= matParams.rows) { return; }
  for (var j = 0u; j < 8u; j++) {
    if (n + j < matParams.chunkColumns) { storeOutput(m, n + j, select(right[j % 4u], left[j % 4u], j < 4u)); }
  }
}

fn storeTile(m0: u32, n0: u32, tx: u32, ty: u32, acc: TileAccumulators) {
  let m = m0 + ROWS_PER_THREAD * ty;
  let n = n0 + 8u * tx;
  storeTileRow(m, n, acc.left0, acc.right0);
  storeTileRow(m + 1u, n, acc.left1, acc.right1);
  storeTileRow(m + 2u, n, acc.left2, acc.right2);
  storeTileRow(m + 3u, n, acc.left3, acc.right3);
  if (ROWS_PER_THREAD > 4u) {
    storeTileRow(m + 4u, n, acc.left4, acc.right4);
    storeTileRow(m + 5u, n, acc.left5, acc.right5);
    storeTileRow(m + 6u, n, acc.left6, acc.right6);
    storeTileRow(m + 7u, n, acc.left7, acc.right7);
  }
}

@compute @workgroup_size(16, TILE_THREAD_ROWS)
fn tiledKn(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let thread = lid.y * 16u + lid.x;
  let m0 = wid.y * TILE_M;
  let n0 = wid.x * TILE_N;
  var acc = zeroAccumulators();
  for (var k0 = 0u; k0 < matParams.inner; k0 += TILE_K) {
    loadTileX(m0, k0, thread);
    loadTileWKn(n0, k0, thread);
    workgroupBarrier();
    multiplyTile(lid.x, lid.y, &acc);
    workgroupBarrier();
  }
  storeTile(m0, n0, lid.x, lid.y, acc);
}

@compute @workgroup_size(16, TILE_THREAD_ROWS)
fn tiledNk(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let thread = lid.y * 16u + lid.x;
  let m0 = wid.y * TILE_M;
  let n0 = wid.x * TILE_N;
  var acc = zeroAccumulators();
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
