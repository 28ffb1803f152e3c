// Embedding backward as a gather over a CPU-built grouping (src/kernels/embedding-backward;
// spec src/kernels/embedding-backward/reference.ts):
//
//   for each unique id u (one workgroup): dE[id_u, c] += dOut[t_1, c] + dOut[t_2, c] + ...
//
// where t_1 < t_2 < ... are the tokens with that id (tokenOrder[offsets[u] .. offsets[u + 1]]).
// Each (id, column) is owned by one thread adding in token order, so no two threads write the same
// element and the result is bit-for-bit deterministic (no scatter, no atomics). The table arrives
// in row chunks (one dispatch each); a workgroup whose id lies outside the chunk does nothing.

struct Params {
  uniqueCount: u32,
  dim: u32,
  chunkStart: u32,
  chunkEnd: u32,
  groupsX: u32,   // workgroups along x; the group index is y * groupsX + x (more than 65535 ids)
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

override WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<storage, read> uniqueIds: array<u32>;    // [uniqueCount], ascending
@group(0) @binding(1) var<storage, read> offsets: array<u32>;      // [uniqueCount + 1]
@group(0) @binding(2) var<storage, read> tokenOrder: array<u32>;   // [tokens], grouped by id
@group(0) @binding(3) var<storage, read> outputGradient: array<f32>;  // [tokens, dim]
@group(0) @binding(4) var<storage, read_write> tableGradient: array<f32>;  // [chunkEnd - chunkStart, dim]
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn embeddingBackward(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let group = wid.y * params.groupsX + wid.x;
  if (group >= params.uniqueCount) { return; }
  let id = uniqueIds[group];
  if (id < params.chunkStart || id >= params.chunkEnd) { return; }
  let dim = params.dim;
  let row = (id - params.chunkStart) * dim;
  let first = offsets[group];
  let last = offsets[group + 1u];
  for (var c = lid.x; c < dim; c += WORKGROUP_SIZE) {
    var sum = tableGradient[row + c];
    for (var j = first; j < last; j++) {
      sum += outputGradient[tokenOrder[j] * dim + c];
    }
    tableGradient[row + c] = sum;
  }
}
