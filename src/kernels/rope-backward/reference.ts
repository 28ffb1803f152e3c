// The spec of the RoPE backward kernel (./rope-backward.ts), in f64: the transpose of the forward
// rotation (src/kernels/rope/reference.ts), i.e. the rotation by -angle:
//   dX[i]       = dY[i] cos(angle) + dY[i + D/2] sin(angle)
//   dX[i + D/2] = dY[i + D/2] cos(angle) - dY[i] sin(angle)
// Elements outside the rotated heads are copied unchanged (their gradient passes through).
import type { RopeReferenceShape } from '../rope/reference';

export function ropeBackwardReference(
  gradOutput: ArrayLike<number>,
  positions: ArrayLike<number>,
  inverseFrequencies: ArrayLike<number>,
  shape: RopeReferenceShape,
): Float64Array {
  const { tokens, heads, headDim } = shape;
  const half = headDim / 2;
  const rowStride = shape.rowStride ?? heads * headDim;
  const offset = shape.offset ?? 0;
  const out = Float64Array.from(gradOutput);
  for (let t = 0; t < tokens; t++) {
    for (let h = 0; h < heads; h++) {
      const base = t * rowStride + offset + h * headDim;
      for (let i = 0; i < half; i++) {
        const angle = positions[t] * inverseFrequencies[i];
        const [c, s] = [Math.cos(angle), Math.sin(angle)];
        const a = gradOutput[base + i];
        const b = gradOutput[base + i + half];
        out[base + i] = a * c + b * s;
        out[base + i + half] = b * c - a * s;
      }
    }
  }
  return out;
}
