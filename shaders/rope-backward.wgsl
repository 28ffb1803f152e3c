// Backward of RoPE (src/kernels/rope-backward/; spec src/kernels/rope-backward/reference.ts).
// The forward rotates each pair (a, b) = (x[i], x[i + D/2]) by R(angle) = [[c, -s], [s, c]]; R is
// orthogonal, so the gradient is R^T dY = R(-angle) dY, in place on dY:
//
//   dX[i]       =  dY[i] cos(angle) + dY[i + D/2] sin(angle)
//   dX[i + D/2] =  dY[i + D/2] cos(angle) - dY[i] sin(angle)
//
// Same bindings, layout (rowStride, offset), turn table and sinCosOfTurn as the forward
// (shaders/rope.wgsl, included), so the (sin, cos) used are bit for bit the forward's: the
// backward is exactly the transpose of the matrix the forward applied.

#include "rope.wgsl"

@compute @workgroup_size(WORKGROUP_SIZE)
fn ropeBackward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let pair = gid.x;              // head * half + i
  let t = gid.y;
  let half = ropeParams.half;
  if (pair >= ropeParams.heads * half || t >= ropeParams.tokens) { return; }
  let head = pair / half;
  let i = pair - head * half;
  let p = ropePositions[t];
  let turns = ropeTurns[i];
  let sc = sinCosOfTurn(p * turns.x + mulHigh(p, turns.y));
  let first = t * ropeParams.rowStride + ropeParams.offset + head * 2u * half + i;
  let a = ropeX[first];
  let b = ropeX[first + half];
  ropeX[first] = a * sc.y + b * sc.x;
  ropeX[first + half] = b * sc.y - a * sc.x;
}
