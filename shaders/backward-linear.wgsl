// Gradients of the linear layer Y[M, N] = X[M, K] . W (+ bias) (src/kernels/backward-linear;
// spec src/kernels/backward-linear/reference.ts). Every product here is one strided tiled product
//
//   C[i, j] = (accumulate ? C[i, j] : 0) + sum_r A(i, r) B(r, j),   A(i, r) = a[i * aStrideI + r * aStrideR],
//                                                                   B(r, j) = b[r * bStrideR + j * bStrideJ]
//
// with C [rows, cols] row-major; the strides pick the operand's transpose without a copy:
//   dX [M, K] = dY . W^T        i = m, j = k, r = n
//   dW [K, N] = X^T . dY  (kn)  i = k, j = n, r = m
//   dW [N, K] = dY^T . X  (nk)  i = n, j = k, r = m
// Register tiling (as shaders/matmul.wgsl, one size up): a workgroup of 16 x 16 threads owns a
// 128 x 128 tile of C, each thread an 8 x 8 block of it in 16 vec4 accumulators, and r advances
// in steps of 16 through workgroup memory (2 x 8 KB, within WebGPU's default 16 KB). On
// SwiftShader 8 x 8 per thread ran 1.5-1.8x faster than 4 x 4 (fewer workgroup-memory reads per
// fma), steps of 16 beat 8, 32 and 64, and unrolling the r loop did not help.
// The accumulators are named variables, not a private array (SwiftShader keeps those in memory).
// Every C element is one thread's fma chain over r = 0, 1, .., R - 1 in increasing order (no
// split of the sum, no atomics): the result does not depend on thread timing (deterministic), and
// its rounding error is that of a sequential sum of R terms. Past the edges the tiles hold zeros,
// and fma(0, 0, s) = s, so padding adds nothing to a sum.
// columnSums gives dBias[n] = sum_m dY[m, n], m in increasing order.

struct ProductParams {
  rows: u32,
  cols: u32,
  inner: u32,
  accumulate: u32,
  aStrideI: u32,
  aStrideR: u32,
  bStrideR: u32,
  bStrideJ: u32,
}

const TILE_ROWS: u32 = 128u;   // i per workgroup (backward-linear.ts TILE)
const TILE_COLS: u32 = 128u;   // j per workgroup
const TILE_INNER: u32 = 16u;   // r per step
const THREADS: u32 = 256u;

@group(0) @binding(0) var<storage, read> productA: array<f32>;
@group(0) @binding(1) var<storage, read> productB: array<f32>;
@group(0) @binding(2) var<storage, read_write> productC: array<f32>;
@group(0) @binding(3) var<uniform> product: ProductParams;

// r-major, 4 consecutive i (A) or j (B) per vec4: the inner loop reads four vec4 per 64 fma.
var<workgroup> tileA: array<vec4<f32>, TILE_INNER * TILE_ROWS / 4u>;   // tileA[r * 32 + i / 4][i % 4]
var<workgroup> tileB: array<vec4<f32>, TILE_INNER * TILE_COLS / 4u>;   // tileB[r * 32 + j / 4][j % 4]

// Consecutive threads walk the operand's unit-stride direction, so each reads a contiguous run.
fn loadTileA(i0: u32, r0: u32, thread: u32) {
  let rContiguous = product.aStrideR == 1u;
  for (var e = thread; e < TILE_ROWS * TILE_INNER; e += THREADS) {
    let i = select(e % TILE_ROWS, e / TILE_INNER, rContiguous);
    let r = select(e / TILE_ROWS, e % TILE_INNER, rContiguous);
    var v = 0.0;
    if (i0 + i < product.rows && r0 + r < product.inner) {
      v = productA[(i0 + i) * product.aStrideI + (r0 + r) * product.aStrideR];
    }
    tileA[r * (TILE_ROWS / 4u) + i / 4u][i % 4u] = v;
  }
}

fn loadTileB(j0: u32, r0: u32, thread: u32) {
  let rContiguous = product.bStrideR == 1u;
  for (var e = thread; e < TILE_COLS * TILE_INNER; e += THREADS) {
    let j = select(e % TILE_COLS, e / TILE_INNER, rContiguous);
    let r = select(e / TILE_COLS, e % TILE_INNER, rContiguous);
    var v = 0.0;
    if (j0 + j < product.cols && r0 + r < product.inner) {
      v = productB[(r0 + r) * product.bStrideR + (j0 + j) * product.bStrideJ];
    }
    tileB[r * (TILE_COLS / 4u) + j / 4u][j % 4u] = v;
  }
}

// C[i, j .. j + 7] from the sums of columns j .. j + 3 (left) and j + 4 .. j + 7 (right).
fn storeRow(i: u32, j: u32, left: vec4<f32>, right: vec4<f32>) {
  if (i >= product.rows) { return; }
  for (var c = 0u; c < 8u; c++) {
    if (j + c < product.cols) {
      let sum = select(right[c % 4u], left[c % 4u], c < 4u);
      let index = i * product.cols + j + c;
      if (product.accumulate != 0u) {
        productC[index] = productC[index] + sum;
      } else {
        productC[index] = sum;
      }
    }
  }
}

// Thread (x, y) owns rows i0 + 8y .. i0 + 8y + 7 and columns j0 + 8x .. j0 + 8x + 7:
// leftQ / rightQ hold row i0 + 8y + Q, columns j0 + 8x + 0..3 / 4..7.
@compute @workgroup_size(16, 16)
fn tiledProduct(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let thread = local.y * 16u + local.x;
  let i0 = group.y * TILE_ROWS;
  let j0 = group.x * TILE_COLS;
  var left0 = vec4<f32>(0.0);
  var left1 = vec4<f32>(0.0);
  var left2 = vec4<f32>(0.0);
  var left3 = vec4<f32>(0.0);
  var left4 = vec4<f32>(0.0);
  var left5 = vec4<f32>(0.0);
  var left6 = vec4<f32>(0.0);
  var left7 = vec4<f32>(0.0);
  var right0 = vec4<f32>(0.0);
  var right1 = vec4<f32>(0.0);
  var right2 = vec4<f32>(0.0);
  var right3 = vec4<f32>(0.0);
  var right4 = vec4<f32>(0.0);
  var right5 = vec4<f32>(0.0);
  var right6 = vec4<f32>(0.0);
  var right7 = vec4<f32>(0.0);
  for (var r0 = 0u; r0 < product.inner; r0 += TILE_INNER) {
    loadTileA(i0, r0, thread);
    loadTileB(j0, r0, thread);
    workgroupBarrier();
    for (var r = 0u; r < TILE_INNER; r++) {
      let a = tileA[r * (TILE_ROWS / 4u) + 2u * local.y];        // A(i0 + 8y + 0..3, r0 + r)
      let aNext = tileA[r * (TILE_ROWS / 4u) + 2u * local.y + 1u];  // A(i0 + 8y + 4..7, r0 + r)
      let b = tileB[r * (TILE_COLS / 4u) + 2u * local.x];        // B(r0 + r, j0 + 8x + 0..3)
      let bNext = tileB[r * (TILE_COLS / 4u) + 2u * local.x + 1u];  // B(r0 + r, j0 + 8x + 4..7)
      left0 = fma(vec4<f32>(a.x), b, left0);
      right0 = fma(vec4<f32>(a.x), bNext, right0);
      left1 = fma(vec4<f32>(a.y), b, left1);
      right1 = fma(vec4<f32>(a.y), bNext, right1);
      left2 = fma(vec4<f32>(a.z), b, left2);
      right2 = fma(vec4<f32>(a.z), bNext, right2);
      left3 = fma(vec4<f32>(a.w), b, left3);
      right3 = fma(vec4<f32>(a.w), bNext, right3);
      left4 = fma(vec4<f32>(aNext.x), b, left4);
      right4 = fma(vec4<f32>(aNext.x), bNext, right4);
      left5 = fma(vec4<f32>(aNext.y), b, left5);
      right5 = fma(vec4<f32>(aNext.y), bNext, right5);
      left6 = fma(vec4<f32>(aNext.z), b, left6);
      right6 = fma(vec4<f32>(aNext.z), bNext, right6);
      left7 = fma(vec4<f32>(aNext.w), b, left7);
      right7 = fma(vec4<f32>(aNext.w), bNext, right7);
    }
    workgroupBarrier();
  }
  let i = i0 + 8u * local.y;
  let j = j0 + 8u * local.x;
  storeRow(i, j, left0, right0);
  storeRow(i + 1u, j, left1, right1);
  storeRow(i + 2u, j, left2, right2);
  storeRow(i + 3u, j, left3, right3);
  storeRow(i + 4u, j, left4, right4);
  storeRow(i + 5u, j, left5, right5);
  storeRow(i + 6u, j, left6, right6);
  storeRow(i + 7u, j, left7, right7);
}

struct ColumnSumParams {
  rows: u32,
  cols: u32,
  accumulate: u32,
  _pad: u32,
}

override COLUMN_WORKGROUP: u32 = 64u;

@group(0) @binding(0) var<storage, read> columnInput: array<f32>;         // [rows, cols]
@group(0) @binding(1) var<storage, read_write> columnOutput: array<f32>;  // [cols]
@group(0) @binding(2) var<uniform> columnParams: ColumnSumParams;

@compute @workgroup_size(COLUMN_WORKGROUP)
fn columnSums(@builtin(global_invocation_id) id: vec3<u32>) {
  let j = id.x;
  if (j >= columnParams.cols) { return; }
  var sum = 0.0;
  for (var m = 0u; m < columnParams.rows; m++) {
    sum += columnInput[m * columnParams.cols + j];
  }
  if (columnParams.accumulate != 0u) {
    columnOutput[j] = columnOutput[j] + sum;
  } else {
    columnOutput[j] = sum;
  }
}
