// Embedding lookup (src/kernels/embedding/embedding.ts; spec src/kernels/embedding/reference.ts):
//
//   out[t, :] = E[ids[t], :] (+ P[positions[t], :] with a learned position table, GPT-2)
//
// E [vocab, dim] arrives as row chunks (one dispatch each): a dispatch writes the tokens whose id
// falls in its chunk [chunkStart, chunkEnd). Tokens with id >= vocab, or (with P) a position
// >= maxPositions, get an all-zero row, written by the first chunk's dispatch, which also records
// them in `status` (sticky: the caller clears it): [0] count of bad ids, [1] largest bad id,
// [2] count of bad positions, [3] largest bad position. One workgroup per token.

struct EmbeddingParams {
  tokens: u32,
  dim: u32,
  vocab: u32,
  maxPositions: u32,
  chunkStart: u32,
  chunkEnd: u32,
  flags: u32,        // FLAG_POSITIONS | FLAG_FIRST_CHUNK
  _pad0: u32,
}

const FLAG_POSITIONS: u32 = 1u;
const FLAG_FIRST_CHUNK: u32 = 2u;

override WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<storage, read> embeddingIds: array<u32>;            // [tokens]
@group(0) @binding(1) var<storage, read> embeddingTable: array<f32>;          // chunk [chunkEnd - chunkStart, dim]
@group(0) @binding(2) var<storage, read> embeddingPositions: array<u32>;      // [tokens]; a dummy without P
@group(0) @binding(3) var<storage, read> embeddingPositionTable: array<f32>;  // P [maxPositions, dim]; a dummy
@group(0) @binding(4) var<storage, read_write> embeddingOut: array<f32>;      // [tokens, dim]
@group(0) @binding(5) var<storage, read_write> embeddingStatus: array<atomic<u32>, 4>;
@group(0) @binding(6) var<uniform> embeddingParams: EmbeddingParams;

@compute @workgroup_size(WORKGROUP_SIZE)
fn embed(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let p = embeddingParams;
  let t = wid.x;
  if (t >= p.tokens) { return; }
  let id = embeddingIds[t];
  let withPositions = (p.flags & FLAG_POSITIONS) != 0u;
  let first = (p.flags & FLAG_FIRST_CHUNK) != 0u;
  var position = 0u;
  if (withPositions) { position = embeddingPositions[t]; }
  let idValid = id < p.vocab;
  let positionValid = !withPositions || position < p.maxPositions;
  if (first && lid.x == 0u) {
    if (!idValid) {
      atomicAdd(&embeddingStatus[0], 1u);
      atomicMax(&embeddingStatus[1], id);
    }
    if (!positionValid) {
      atomicAdd(&embeddingStatus[2], 1u);
      atomicMax(&embeddingStatus[3], position);
    }
  }
  let out = t * p.dim;
  if (idValid && positionValid && id >= p.chunkStart && id < p.chunkEnd) {
    let row = (id - p.chunkStart) * p.dim;
    let positionRow = position * p.dim;
    for (var i = lid.x; i < p.dim; i += WORKGROUP_SIZE) {
      var value = embeddingTable[row + i];
      if (withPositions) { value += embeddingPositionTable[positionRow + i]; }
      embeddingOut[out + i] = value;
    }
  } else if (first && !(idValid && positionValid)) {
    for (var i = lid.x; i < p.dim; i += WORKGROUP_SIZE) { embeddingOut[out + i] = 0.0; }
  }
}
