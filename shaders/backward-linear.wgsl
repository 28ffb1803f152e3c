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
// One thread per C element, summing r in increasing order through 16 x 16 shared-memory tiles: the
// result does not depend on thread timing (deterministic), and its rounding error is that of a
// sequential sum of R terms. columnSums gives dBias[n] = sum_m dY[m, n], m in increasing order.

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

const TILE: u32 = 16u;

@group(0) @binding(0) var<storage, read> productA: array<f32>;
@group(0) @binding(1) var<storage, read> productB: array<f32>;
@group(0) @binding(2) var<storage, read_write> productC: array<f32>;
@group(0) @binding(3) var<uniform> product: ProductParams;

var<workgroup> tileA: array<array<f32, 16>, 16>;   // [i in tile][r in tile]
var<workgroup> tileB: array<array<f32, 16>, 16>;   // [r in tile][j in tile]

@compute @workgroup_size(16, 16)
fn tiledProduct(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let i = group.y * TILE + local.y;
  let j = group.x * TILE + local.x;
  var sum = 0.0;
  let steps = (product.inner + TILE - 1u) / TILE;
  for (var step = 0u; step < steps; step++) {
    let r0 = step * TILE;
    // Thread (x, y) loads A(i, r0 + x) and B(r0 + y, j); zeros outside keep the sum exact.
    let ra = r0 + local.x;
    var a = 0.0;
    if (i < product.rows && ra < product.inner) {
      a = productA[i * product.aStrideI + ra * product.aStrideR];
    }
    tileA[local.y][local.x] = a;
    let rb = r0 + local.y;
    var b = 0.0;
    if (j < product.cols && rb < product.inner) {
      b = productB[rb * product.bStrideR + j * product.bStrideJ];
    }
    tileB[local.y][local.x] = b;
    workgroupBarrier();
    let count = min(TILE, product.inner - r0);
    for (var r = 0u; r < count; r++) {
      sum += tileA[local.y][r] * tileB[r][local.x];
    }
    workgroupBarrier();
  }
  if (i < product.rows && j < product.cols) {
    let index = i * product.cols + j;
    if (product.accumulate != 0u) {
      productC[index] = productC[index] + sum;
    } else {
      productC[index] = sum;
    }
  }
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
