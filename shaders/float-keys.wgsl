// Bit-level float classification and order-preserving keys.
// WGSL lets implementations assume finite math, so NaN and infinities are recognised by their
// bits, never by comparisons, and -Infinity is written as bits, never produced by arithmetic.

const NEG_INF_BITS: u32 = 0xff800000u;
const NO_TOKEN: u32 = 0xffffffffu;

fn isNegInfBits(bits: u32) -> bool { return bits == NEG_INF_BITS; }
/** NaN or +Infinity: never valid logits. */
fn isInvalidBits(bits: u32) -> bool {
  return (bits & 0x7fffffffu) > 0x7f800000u || bits == 0x7f800000u;
}
fn isFiniteBits(bits: u32) -> bool { return (bits & 0x7f800000u) != 0x7f800000u; }

/** Maps float bits to a u32 whose unsigned order is the float order (finite values only). */
fn orderedKey(bits: u32) -> u32 {
  if ((bits & 0x80000000u) != 0u) { return ~bits; }
  return bits | 0x80000000u;
}
