// Half precision to single precision (see src/kernels/f16-to-f32/): onnxruntime's fp16 exports
// return their logits as float16, and every logit kernel reads f32.
//
//   singles[output_offset + i] = f32(halves[input_offset + i])   for i < count
//
// `halves` is the f16 tensor read as u32 words, two elements per word, element 2k in the low
// half (little-endian, as onnxruntime lays tensors out), so no `shader-f16` feature is needed.
// Offsets are in elements and may be odd. The output is written as f32 bits.
//
// Exact for every one of the 65,536 half values, including the ones WGSL leaves to the
// implementation: normal halves go through unpack2x16float, whose f16 -> f32 conversion is exact
// for finite values; zeros, subnormals, infinities and NaN are built from the bits with integer
// arithmetic, because WGSL lets implementations flush subnormals and assume there are no
// infinities or NaNs in floating-point operations. So -0 stays -0, 2^-24 stays 2^-24, +-Infinity
// stay infinite (an excluded token's -Infinity logit must survive) and NaN stays NaN with its
// payload, which the logit kernels then report as an invalid row.
// One invocation per element, a grid-stride loop over `count`.

override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  count: u32,
  input_offset: u32,
  output_offset: u32,
  _unused: u32,
}

@group(0) @binding(0) var<storage, read> halves: array<u32>; // f16 pairs
@group(0) @binding(1) var<storage, read_write> singles: array<u32>; // f32 bits
@group(0) @binding(2) var<uniform> params: Params;

const HALF_EXPONENT_MAX: u32 = 0x1fu;

/** f32 bits of the half whose bits are `half` (upper 16 bits zero); `unpacked` is unpack2x16float's value. */
fn single_bits(half: u32, unpacked: f32) -> u32 {
  let sign = (half & 0x8000u) << 16u;
  let exponent = (half >> 10u) & HALF_EXPONENT_MAX;
  let mantissa = half & 0x3ffu;
  if (exponent == HALF_EXPONENT_MAX) {
    // Infinity (mantissa 0) or NaN (payload kept in the top mantissa bits).
    return sign | 0x7f800000u | (mantissa << 13u);
  }
  if (exponent == 0u) {
    if (mantissa == 0u) {
      return sign; // +-0
    }
    // Subnormal: mantissa * 2^-24 = 2^(p - 24) * 1.f with p the leading bit (0..9): a normal f32.
    let p = firstLeadingBit(mantissa);
    return sign | ((p + 103u) << 23u) | ((mantissa << (23u - p)) & 0x7fffffu);
  }
  return bitcast<u32>(unpacked);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn halfToSingle(
  @builtin(global_invocation_id) id: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let stride = groups.x * WORKGROUP_SIZE;
  for (var i = id.x; i < params.count; i += stride) {
    let element = params.input_offset + i;
    let word = halves[element >> 1u];
    let high = (element & 1u) == 1u;
    let pair = unpack2x16float(word);
    let half = select(word & 0xffffu, word >> 16u, high);
    singles[params.output_offset + i] = single_bits(half, select(pair.x, pair.y, high));
  }
}
