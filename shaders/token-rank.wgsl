// Token rank: where one chosen token stands in a row of logits (see src/kernels/token-rank/).
//
// For each query q = (row, token), one workgroup counts
//   greater = #{ y : l(row, y) > l(row, token) }
// and writes out[q] = (rank = 1 + greater, bits of l(row, token)).
// Ties share the best rank (competition ranking "1 2 2 4"): a token tied with the row's maximum
// has rank 1 whatever its index. -0 and +0 are the same value. A -Infinity token ranks after
// every entry above -Infinity. NaN entries are never counted; a query whose own logit is NaN gets
// rank 0 (no rank). Comparisons use order-preserving keys of the bits (float-keys.wgsl), so no
// f32 arithmetic touches an infinity or a NaN.

#include "float-keys.wgsl"

struct Params { vocab: u32, rows: u32, queries: u32, _pad: u32 }

@group(0) @binding(0) var<storage, read> logits: array<u32>;          // [rows, vocab] f32 bits
@group(0) @binding(1) var<storage, read> queries: array<vec2<u32>>;   // [queries] (row, token)
@group(0) @binding(2) var<storage, read_write> out: array<vec2<u32>>; // [queries] (rank, bits)
@group(0) @binding(3) var<uniform> params: Params;

override WORKGROUP_SIZE: u32 = 256u;

var<workgroup> counts: array<u32, WORKGROUP_SIZE>;

fn isNanBits(bits: u32) -> bool { return (bits & 0x7fffffffu) > 0x7f800000u; }

/** Order key with -0 folded onto +0, so equal values have equal keys. */
fn valueKey(bits: u32) -> u32 {
  if (bits == 0x80000000u) { return orderedKey(0u); }
  return orderedKey(bits);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn tokenRank(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let q = wid.x;
  if (q >= params.queries) { return; }
  let query = queries[q];
  let base = query.x * params.vocab;
  let chosenBits = logits[base + query.y];
  let chosenKey = valueKey(chosenBits);
  var greater = 0u;
  for (var i = lid.x; i < params.vocab; i += WORKGROUP_SIZE) {
    let bits = logits[base + i];
    if (!isNanBits(bits) && valueKey(bits) > chosenKey) { greater++; }
  }
  counts[lid.x] = greater;
  workgroupBarrier();
  // A serial sum in thread 0: on software adapters one barrier costs more than 256 serial adds.
  if (lid.x == 0u) {
    var total = 0u;
    for (var t = 0u; t < WORKGROUP_SIZE; t++) { total += counts[t]; }
    let rank = select(total + 1u, 0u, isNanBits(chosenBits));
    out[q] = vec2<u32>(rank, chosenBits);
  }
}
