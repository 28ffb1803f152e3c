// f16-weight variants of the matrix multiply (shaders/matmul.wgsl, included below): the same
// product, X, Y and bias f32, W stored as IEEE half precision and decoded with the core builtin
// unpack2x16float, so this runs on every adapter (no `shader-f16` needed) with half the weight
// memory and bandwidth. Sums accumulate in f32 exactly as in the f32 kernels.
//
// Packed layout (src/kernels/matmul/chunks.ts, packF16Chunk): each row of the chunk's contiguous
// axis is padded to an even count of halves, two halves per u32, element 2i in the low 16 bits
// (pack2x16float's order), the padding half zero.
//   "nk": row n of the chunk is K halves -> halfRowWords(K) = ceil(K / 2) words; W(k, n) is half
//         k % 2 of word n * ceil(K / 2) + k / 2.
//   "kn": row k is chunkColumns halves -> ceil(chunkColumns / 2) words; W(k, n) is half n % 2 of
//         word k * ceil(chunkColumns / 2) + n / 2.
// Per-row padding keeps every row word-aligned, so a thread never straddles two rows in a word.
#include "matmul.wgsl"

@group(0) @binding(1) var<storage, read> matWHalf: array<u32>;

fn halfRowWords(halves: u32) -> u32 {
  return (halves + 1u) / 2u;
}

// ---- tiled path: the tiles of matmul.wgsl, filled one packed word (two halves) per element ----
// n0 and k0 are multiples of 128 and 16, so a tile row starts on a word; a half past the edge
// (the padding half of an odd row, or past K or the chunk) is stored as zero.

// "kn": word w of row k holds columns n0 + 2w and n0 + 2w + 1, a pair inside one vec4.
fn loadTileWKnHalf(n0: u32, k0: u32, thread: u32) {
  let rowWords = halfRowWords(matParams.chunkColumns);
  for (var e = thread; e < TILE_N / 2u * TILE_K; e += TILE_THREADS) {
    let r = e / (TILE_N / 2u);
    let c = 2u * (e % (TILE_N / 2u));
    let k = k0 + r;
    let n = n0 + c;
    var pair = vec2<f32>(0.0);
    if (k < matParams.inner && n < matParams.chunkColumns) {
      pair = unpack2x16float(matWHalf[k * rowWords + n / 2u]);
      if (n + 1u >= matParams.chunkColumns) { pair.y = 0.0; }
    }
    let slot = r * (TILE_N / 4u) + c / 4u;
    tileW[slot][c % 4u] = pair.x;
    tileW[slot][c % 4u + 1u] = pair.y;
  }
}

// "nk": word w of row n holds k0 + 2w and k0 + 2w + 1, the same column of two tile rows.
fn loadTileWNkHalf(n0: u32, k0: u32, thread: u32) {
  let rowWords = halfRowWords(matParams.inner);
  for (var e = thread; e < TILE_N * TILE_K / 2u; e += TILE_THREADS) {
    let c = e / (TILE_K / 2u);
    let r = 2u * (e % (TILE_K / 2u));
    let k = k0 + r;
    let n = n0 + c;
    var pair = vec2<f32>(0.0);
    if (k < matParams.inner && n < matParams.chunkColumns) {
      pair = unpack2x16float(matWHalf[n * rowWords + k / 2u]);
      if (k + 1u >= matParams.inner) { pair.y = 0.0; }
    }
    tileW[r * (TILE_N / 4u) + c / 4u][c % 4u] = pair.x;
    tileW[(r + 1u) * (TILE_N / 4u) + c / 4u][c % 4u] = pair.y;
  }
}

@compute @workgroup_size(16, TILE_THREAD_ROWS)
fn tiledKnHalf(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let thread = lid.y * 16u + lid.x;
  let m0 = wid.y * TILE_M;
  let n0 = wid.x * TILE_N;
  var acc = zeroAccumulators();
  for (var k0 = 0u; k0 < matParams.inner; k0 += TILE_K) {
    loadTileX(m0, k0, thread);
    loadTileWKnHalf(n0, k0, thread);
    workgroupBarrier();
    multiplyTile(lid.x, lid.y, &acc);
    workgroupBarrier();
  }
  storeTile(m0, n0, lid.x, lid.y, acc);
}

@compute @workgroup_size(16, TILE_THREAD_ROWS)
fn tiledNkHalf(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let thread = lid.y * 16u + lid.x;
  let m0 = wid.y * TILE_M;
  let n0 = wid.x * TILE_N;
  var acc = zeroAccumulators();
  for (var k0 = 0u; k0 < matParams.inner; k0 += TILE_K) {
    loadTileX(m0, k0, thread);
    loadTileWNkHalf(n0, k0, thread);
    workgroupBarrier();
    multiplyTile(lid.x, lid.y, &acc);
    workgroupBarrier();
  }
  storeTile(m0, n0, lid.x, lid.y, acc);
}

// ---- GEMV path: 4 output columns and ROW_BLOCK rows per thread, as in matmul.wgsl ----

// "nk": each word holds W(2j, n) and W(2j + 1, n) of one owned column n; an odd K leaves a last
// word whose high half is padding, handled after the loop so X is never read past its row.
@compute @workgroup_size(GEMV_WORKGROUP)
fn gemvNkHalf(@builtin(global_invocation_id) gid: vec3<u32>) {
  let first = gid.x * 4u;
  if (first >= matParams.chunkColumns) { return; }
  let inner = matParams.inner;
  let pairs = inner / 2u;
  let w = ownedColumns(first) * halfRowWords(inner);
  for (var m0 = 0u; m0 < matParams.rows; m0 += ROW_BLOCK) {
    let x = blockRows(m0, inner);
    var acc = RowBlock(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    for (var j = 0u; j < pairs; j++) {
      let w0 = unpack2x16float(matWHalf[w.x + j]);
      let w1 = unpack2x16float(matWHalf[w.y + j]);
      let w2 = unpack2x16float(matWHalf[w.z + j]);
      let w3 = unpack2x16float(matWHalf[w.w + j]);
      // Even k, then odd k: the rows' products in the f32 kernels' order.
      let even = vec4<f32>(w0.x, w1.x, w2.x, w3.x);
      let odd = vec4<f32>(w0.y, w1.y, w2.y, w3.y);
      let k = 2u * j;
      acc.row0 = fma(vec4<f32>(matX[x.x + k + 1u]), odd, fma(vec4<f32>(matX[x.x + k]), even, acc.row0));
      if (ROW_BLOCK > 1u) {
        acc.row1 = fma(vec4<f32>(matX[x.y + k + 1u]), odd, fma(vec4<f32>(matX[x.y + k]), even, acc.row1));
        acc.row2 = fma(vec4<f32>(matX[x.z + k + 1u]), odd, fma(vec4<f32>(matX[x.z + k]), even, acc.row2));
        acc.row3 = fma(vec4<f32>(matX[x.w + k + 1u]), odd, fma(vec4<f32>(matX[x.w + k]), even, acc.row3));
      }
    }
    if (pairs * 2u < inner) {
      let k = inner - 1u;
      let last = vec4<f32>(
        unpack2x16float(matWHalf[w.x + pairs]).x,
        unpack2x16float(matWHalf[w.y + pairs]).x,
        unpack2x16float(matWHalf[w.z + pairs]).x,
        unpack2x16float(matWHalf[w.w + pairs]).x,
      );
      acc.row0 = fma(vec4<f32>(matX[x.x + k]), last, acc.row0);
      if (ROW_BLOCK > 1u) {
        acc.row1 = fma(vec4<f32>(matX[x.y + k]), last, acc.row1);
        acc.row2 = fma(vec4<f32>(matX[x.z + k]), last, acc.row2);
        acc.row3 = fma(vec4<f32>(matX[x.w + k]), last, acc.row3);
      }
    }
    storeRowBlock(m0, first, acc);
  }
}

// "kn": the 4 owned columns first .. first + 3 (first % 4 == 0) are the two words first / 2 and
// first / 2 + 1 of row k; the second is clamped to the row when the chunk ends inside the first
// (its columns are dropped by storeRowBlock).
@compute @workgroup_size(GEMV_WORKGROUP)
fn gemvKnHalf(@builtin(global_invocation_id) gid: vec3<u32>) {
  let first = gid.x * 4u;
  if (first >= matParams.chunkColumns) { return; }
  let inner = matParams.inner;
  let rowWords = halfRowWords(matParams.chunkColumns);
  let word0 = first / 2u;
  let word1 = min(word0 + 1u, rowWords - 1u);
  for (var m0 = 0u; m0 < matParams.rows; m0 += ROW_BLOCK) {
    let x = blockRows(m0, inner);
    var acc = RowBlock(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    for (var k = 0u; k < inner; k++) {
      let row = k * rowWords;
      let wk = vec4<f32>(unpack2x16float(matWHalf[row + word0]), unpack2x16float(matWHalf[row + word1]));
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
