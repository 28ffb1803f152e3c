// The spec of the RoPE kernel (./rope.ts): plain loops in f64 on the f32 inverse frequencies.
// angle = p * inv_freq[i] is exact in f64 (p < 2^24 and inv_freq has 24 bits); Math.cos/sin
// reduce large arguments exactly.
//   out[i]       = x[i] cos(angle) - x[i + D/2] sin(angle)
//   out[i + D/2] = x[i + D/2] cos(angle) + x[i] sin(angle)

export interface RopeReferenceShape {
  tokens: number;
  heads: number;
  headDim: number;
  rowStride?: number;
  offset?: number;
}

/**
 * Returns a rotated copy of x (f64); elements outside the rotated heads are copied unchanged.
 * `direction` -1 rotates by -angle: the transpose, i.e. the backward (rope-backward/reference.ts).
 */
export function ropeReference(
  x: ArrayLike<number>,
  positions: ArrayLike<number>,
  inverseFrequencies: ArrayLike<number>,
  shape: RopeReferenceShape,
  direction: 1 | -1 = 1,
): Float64Array {
  const { tokens, heads, headDim } = shape;
  const half = headDim / 2;
  const rowStride = shape.rowStride ?? heads * headDim;
  const offset = shape.offset ?? 0;
  const out = Float64Array.from(x);
  for (let t = 0; t < tokens; t++) {
    for (let h = 0; h < heads; h++) {
      const base = t * rowStride + offset + h * headDim;
      for (let i = 0; i < half; i++) {
        const angle = positions[t] * inverseFrequencies[i];
        const [c, s] = [Math.cos(angle), direction * Math.sin(angle)];
        const a = x[base + i];
        const b = x[base + i + half];
        out[base + i] = a * c - b * s;
        out[base + i + half] = b * c + a * s;
      }
    }
  }
  return out;
}

/** transformers' angle, f32(p * inv_freq), for comparing the two conventions. */
export function transformersAngle(position: number, inverseFrequency: number): number {
  return Math.fround(Math.fround(position) * inverseFrequency);
}
