// Rotary position embedding, "rotate half" convention (transformers' rotate_half), in place
// (src/kernels/rope/rope.ts; spec src/kernels/rope/reference.ts). For token t, head h, i < D/2:
//
//   angle = positions[t] * inv_freq[i]
//   a = x[i], b = x[i + D/2]
//   x[i]       = a cos(angle) - b sin(angle)
//   x[i + D/2] = b cos(angle) + a sin(angle)
//
// x row t starts at t * rowStride + offset and holds `heads` heads of D = 2 * half values.
//
// Angles in turns, exactly: turns[i] = inv_freq[i] / (2 pi) as a 64-bit binary fraction
// (high, low). (p * turns) mod 1 needs only the fraction bits: its top 32 bits are
// p * high + mulHigh(p, low) in wrapping u32 arithmetic (the integer turns overflow away).
// Error of the angle: 2^-32 turn from truncation, 2^-24 relative from converting the remainder to
// f32, about 2^-55 p turn from the table: about 1e-7 rad for any p < 2^24. sin/cos of the remainder
// in [-pi/4, pi/4] are Taylor polynomials to x^9 / x^10 (truncation < 2e-9), placed in the right
// quadrant exactly. Measured against f64: src/kernels/rope/rope.gpu.test.ts.

struct RopeParams {
  tokens: u32,
  heads: u32,
  half: u32,        // D / 2
  rowStride: u32,   // elements between tokens
  offset: u32,      // element of head 0, i = 0 within a row
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

override WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<storage, read_write> ropeX: array<f32>;
@group(0) @binding(1) var<storage, read> ropePositions: array<u32>;   // [tokens]
@group(0) @binding(2) var<storage, read> ropeTurns: array<vec2<u32>>;  // [half]: (high, low)
@group(0) @binding(3) var<uniform> ropeParams: RopeParams;

// High 32 bits of the 64-bit product a * b, from 16-bit halves.
fn mulHigh(a: u32, b: u32) -> u32 {
  let a0 = a & 0xffffu;
  let a1 = a >> 16u;
  let b0 = b & 0xffffu;
  let b1 = b >> 16u;
  let low = a0 * b0;
  let middle1 = a1 * b0;
  let middle2 = a0 * b1;
  let carry = ((low >> 16u) + (middle1 & 0xffffu) + (middle2 & 0xffffu)) >> 16u;
  return a1 * b1 + (middle1 >> 16u) + (middle2 >> 16u) + carry;
}

// (sin, cos) of 2 pi * turn / 2^32.
fn sinCosOfTurn(turn: u32) -> vec2<f32> {
  // Shift by an eighth of a turn so the remainder is centred: quadrant q, remainder in
  // [-1/8, 1/8) turn = [-pi/4, pi/4).
  let shifted = turn + 0x20000000u;
  let quadrant = shifted >> 30u;
  let remainder = i32(shifted & 0x3fffffffu) - 0x20000000;
  let x = f32(remainder) * 1.4629180792671596e-9;   // 2 pi / 2^32
  let x2 = x * x;
  let s = x * (1.0 + x2 * (-1.6666666666666666e-1 + x2 * (8.3333333333333332e-3
        + x2 * (-1.9841269841269841e-4 + x2 * 2.7557319223985893e-6))));
  let c = 1.0 + x2 * (-0.5 + x2 * (4.1666666666666664e-2 + x2 * (-1.3888888888888889e-3
        + x2 * (2.4801587301587302e-5 + x2 * -2.7557319223985888e-7))));
  // angle = q pi/2 + x
  switch quadrant {
    case 0u: { return vec2<f32>(s, c); }
    case 1u: { return vec2<f32>(c, -s); }
    case 2u: { return vec2<f32>(-s, -c); }
    default: { return vec2<f32>(-c, s); }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rope(@builtin(global_invocation_id) gid: vec3<u32>) {
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
  ropeX[first] = a * sc.y - b * sc.x;
  ropeX[first + half] = b * sc.y + a * sc.x;
}

// Backward (src/kernels/rope-backward/): the rotation is orthogonal, so dX = R(angle)^T dY =
// R(-angle) dY, in place on the gradient, with the same turn table and sinCosOfTurn bit for bit:
//   dX[i] = dY[i] cos + dY[i + D/2] sin,  dX[i + D/2] = dY[i + D/2] cos - dY[i] sin
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
