// Half-precision conversions for safetensors F16 and BF16 tensors. Bit-exact in both directions:
// F16 → F32 and BF16 → F32 are exact; F32 → F16/BF16 round to nearest, ties to even, keeping
// subnormals, infinities and NaN (what PyTorch's `.half()` and `.bfloat16()` do).

const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

/** All 65,536 F16 values as F32, built on first use (256 kB); a table lookup per element. */
let f16Table: Float32Array | null = null;

function halfBitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function table(): Float32Array {
  if (f16Table === null) {
    f16Table = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) f16Table[bits] = halfBitsToNumber(bits);
  }
  return f16Table;
}

export function f16BitsToF32(bits: number): number {
  return table()[bits & 0xffff];
}

export function f32ToF16Bits(value: number): number {
  scratchFloat[0] = value;
  const x = scratchBits[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200 | (mantissa >>> 13));
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00; // overflow → ±Infinity
  if (halfExponent <= 0) {
    // Subnormal half: value = m × 2^-24 with the implicit leading one made explicit.
    if (halfExponent < -10) return sign; // below half the smallest subnormal → ±0
    const full = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    let half = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    if (rest > midpoint || (rest === midpoint && half & 1)) half++;
    return sign | half;
  }
  // A carry out of the mantissa correctly bumps the exponent (up to Infinity).
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

export function bf16BitsToF32(bits: number): number {
  scratchBits[0] = (bits & 0xffff) << 16;
  return scratchFloat[0];
}

export function f32ToBf16Bits(value: number): number {
  scratchFloat[0] = value;
  const x = scratchBits[0];
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return (x >>> 16) | 0x40; // quiet NaN
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** F16 bits → F32 values (out is a new array unless given). */
export function f16ArrayToF32(bits: Uint16Array, out = new Float32Array(bits.length)): Float32Array {
  const lookup = table();
  for (let i = 0; i < bits.length; i++) out[i] = lookup[bits[i]];
  return out;
}

/** BF16 bits → F32 values: each value is its bits shifted into the top half of an F32. */
export function bf16ArrayToF32(bits: Uint16Array, out = new Float32Array(bits.length)): Float32Array {
  const outBits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < bits.length; i++) outBits[i] = bits[i] << 16;
  return out;
}

export function f32ArrayToF16(values: ArrayLike<number>): Uint16Array<ArrayBuffer> {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32ToF16Bits(values[i]);
  return out;
}

export function f32ArrayToBf16(values: ArrayLike<number>): Uint16Array<ArrayBuffer> {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32ToBf16Bits(values[i]);
  return out;
}
