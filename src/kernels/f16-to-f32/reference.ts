// The spec for the f16 -> f32 kernel (shaders/f16-to-f32.wgsl): IEEE 754 binary16 decoded with
// plain arithmetic. Every half value is exactly representable in f32, so the conversion has no
// rounding at all and the GPU must match this bit for bit (NaN only as "some NaN").
//
//   bits = s eeeee mmmmmmmmmm
//   e = 0        (-1)^s * m * 2^-24                  zero (m = 0, signed) or subnormal
//   e = 1..30    (-1)^s * (1 + m / 1024) * 2^(e - 15)  normal; the largest is 65504
//   e = 31       (-1)^s * Infinity when m = 0, else NaN
//
// Layout shared with the kernel: element k of a tensor is the 16 bits at byte 2k (little-endian),
// so a u32 word holds elements 2j (low half) and 2j + 1 (high half).

/** The value of half-precision `bits` (its low 16 bits). */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** out[i] = halfToNumber(halves[inputOffset + i]) for i < count: the kernel's one copy. */
export function halfToSingleReference(
  halves: Uint16Array,
  count: number,
  inputOffset = 0,
): Float32Array<ArrayBuffer> {
  if (inputOffset + count > halves.length) {
    throw new RangeError(
      `f16-to-f32 reference: elements ${inputOffset}..${inputOffset + count - 1} of a ${halves.length}-element tensor`,
    );
  }
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = halfToNumber(halves[inputOffset + i]);
  return out;
}
